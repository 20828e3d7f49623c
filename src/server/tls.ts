// The TLS certificate and key that DoH and DoT present: read from files, checked, and reloaded
// without a restart (SIGHUP, or the files changing on disk) into every listener that uses them.

import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from '../config/check.ts';
import type { Logger } from '../util/log.ts';

export interface TlsFiles {
  /** PEM certificate chain: the server's certificate first, then intermediates. */
  cert: string;
  /** PEM private key of that certificate. */
  key: string;
}

/** TLS 1.2 is the floor for DoH (RFC 8484 §5, via RFC 9113 §9.2) and DoT (RFC 8310 §8). */
export const MIN_TLS_VERSION = 'TLSv1.2';
/** RFC 8467 §4.1: responses on encrypted transports are padded to a multiple of 468 bytes. */
export const RESPONSE_PAD_BLOCK = 468;
/** How often the files are checked for changes (a stat each; a renewed certificate is no hurry). */
const WATCH_INTERVAL_MS = 5_000;

interface Pem {
  cert: Buffer;
  key: Buffer;
}

/** Reads both files and proves they make a context (the key matches the certificate). */
function readPem(files: TlsFiles): Pem {
  const read = (key: 'cert' | 'key'): Buffer => {
    try {
      return readFileSync(files[key]);
    } catch (err) {
      throw new ConfigError(`tls.${key}`, `cannot read ${files[key]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const pem = { cert: read('cert'), key: read('key') };
  try {
    tls.createSecureContext({ ...pem, minVersion: MIN_TLS_VERSION });
  } catch (err) {
    throw new ConfigError('tls.cert', `${files.cert} and ${files.key} do not make a TLS context: ${(err as Error).message}`);
  }
  return pem;
}

export class TlsCredentials {
  private readonly files: TlsFiles;
  private readonly log: Logger;
  private pem: Pem;
  private readonly servers = new Set<tls.Server>();
  private watching = false;

  private constructor(files: TlsFiles, pem: Pem, log: Logger) {
    this.files = files;
    this.pem = pem;
    this.log = log;
  }

  /** Throws ConfigError naming `tls.cert` or `tls.key` when the files are unusable. */
  static load(files: TlsFiles, log: Logger): TlsCredentials {
    return new TlsCredentials(files, readPem(files), log);
  }

  /** Options for tls.createServer and tls.Server.setSecureContext. */
  get secureOptions(): tls.SecureContextOptions {
    return { cert: this.pem.cert, key: this.pem.key, minVersion: MIN_TLS_VERSION };
  }

  /** The listener gets every later reload; new connections use it, open ones keep theirs. */
  attach(server: tls.Server): void {
    this.servers.add(server);
  }

  detach(server: tls.Server): void {
    this.servers.delete(server);
  }

  /**
   * Reads the files again. A pair that does not make a context (say, the certificate renewed
   * and the key not yet) is logged and the old pair kept, so a bad reload never stops serving.
   */
  reload(): boolean {
    let pem: Pem;
    try {
      pem = readPem(this.files);
    } catch (err) {
      this.log.warn('tls reload failed; keeping the current certificate', { err: (err as Error).message });
      return false;
    }
    this.pem = pem;
    for (const server of this.servers) server.setSecureContext(this.secureOptions);
    this.log.info('tls certificate reloaded', { cert: this.files.cert });
    return true;
  }

  /** Reloads when either file changes on disk (polled: survives the rename that renewals do). */
  watch(intervalMs = WATCH_INTERVAL_MS): void {
    if (this.watching) return;
    this.watching = true;
    const onChange = (now: { mtimeMs: number }, before: { mtimeMs: number }): void => {
      if (now.mtimeMs !== before.mtimeMs) this.reload();
    };
    for (const file of [this.files.cert, this.files.key]) {
      watchFile(file, { interval: intervalMs, persistent: false }, onChange);
    }
  }

  close(): void {
    if (!this.watching) return;
    this.watching = false;
    unwatchFile(this.files.cert);
    unwatchFile(this.files.key);
  }
}
