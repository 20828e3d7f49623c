// Config keys of operating a running andns beside the operations listener: the control endpoint
// (where it listens and how it authenticates), the query log and dnstap output, with their checks
// and defaults, and the token file (refused unless only its owner can read it).

import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ListenAddress } from '../server/options.ts';
import { arrayOf, boolean, ConfigError, describe, integer, object, show, type Check } from './check.ts';
import { formatListen, LISTEN_SCHEMA, listenAddress } from './listen.ts';

export interface ControlFileConfig {
  /** Loopback HTTP listener(s); a token (tokenFile) is required with it. */
  listen: ListenAddress[];
  /** A Unix socket path: whoever may open it (its mode 0600 and directory) is trusted. */
  socket: string;
  /** A file holding the bearer token, readable by its owner only (mode 0600 or 0400). */
  tokenFile: string;
  /** Requests accepted per minute, all clients together, failed ones included (brute force). */
  maxRequestsPerMinute: number;
}

export interface QueryLogConfig {
  enabled: boolean;
  /** The fraction of queries written, 0 to 1 (1: every query). */
  sampleRate: number;
}

export interface DnstapConfig {
  /** Frame Streams file written from start (truncated), '' for none. */
  file: string;
  /** Frame Streams Unix socket of a collector (dnstap-read -u, fstrm_capture), '' for none. */
  socket: string;
  /** The identity field of every message; '' sends none. */
  identity: string;
}

export const defaultControlConfig: ControlFileConfig = { listen: [], socket: '', tokenFile: '', maxRequestsPerMinute: 120 };
export const defaultQueryLogConfig: QueryLogConfig = { enabled: false, sampleRate: 0.01 };
export const defaultDnstapConfig: DnstapConfig = { file: '', socket: '', identity: '' };

/** Even with a token, HTTP control stays on loopback: it is not meant to cross a network. */
export const loopbackAddress: Check<ListenAddress> = describe((value, path) => {
  const at = listenAddress(value, path);
  const loopback = at.family === 6 ? at.address === '::1' : isIP(at.address) === 4 && at.address.startsWith('127.');
  if (!loopback) throw new ConfigError(path, `${show(value)} is not a loopback address: the control endpoint listens on loopback only`);
  return at;
}, { ...LISTEN_SCHEMA, pattern: '^(\\[::1\\]|127\\.[0-9.]+):[0-9]{1,5}$', examples: ['127.0.0.1:5380'] }, (value) => formatListen(value as ListenAddress));

const path: Check<string> = describe((value, at) => {
  if (typeof value !== 'string') throw new ConfigError(at, `${show(value)} is not a file name`);
  return value;
}, { type: 'string', description: 'a file name, relative to the config file; "" for none' });

export const fraction: Check<number> = describe((value, at) => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ConfigError(at, `${show(value)} is not a number from 0 to 1`);
  return value;
}, { type: 'number', minimum: 0, maximum: 1 });

const identity: Check<string> = describe((value, at) => {
  if (typeof value !== 'string' || Buffer.byteLength(value) > 255) throw new ConfigError(at, `${show(value)} is not a string of at most 255 bytes`);
  return value;
}, { type: 'string', maxLength: 255, description: 'at most 255 bytes (UTF-8)' });

export const controlCheck = object<ControlFileConfig>(
  { listen: arrayOf(loopbackAddress), socket: path, tokenFile: path, maxRequestsPerMinute: integer(1, 100_000) },
  defaultControlConfig,
);
export const queryLogCheck = object<QueryLogConfig>({ enabled: boolean, sampleRate: fraction }, defaultQueryLogConfig);
export const dnstapCheck = object<DnstapConfig>({ file: path, socket: path, identity }, defaultDnstapConfig);

/** The control endpoint as the server runs it: at most one TCP listener; the token file is read when the endpoint opens. */
export interface ControlConfig {
  readonly listen: ListenAddress | undefined;
  readonly socket: string | undefined;
  readonly tokenFile: string | undefined;
  readonly maxRequestsPerMinute: number;
}

/** undefined when no control endpoint is configured. */
export function controlConfig(c: ControlFileConfig): ControlConfig | undefined {
  if (c.listen.length === 0 && c.socket === '') return undefined;
  if (c.listen.length > 0 && c.tokenFile === '') {
    throw new ConfigError('control.tokenFile', 'required by control.listen (--control): a file holding a token, mode 0600; or use control.socket (--control-socket)');
  }
  return {
    listen: c.listen[0],
    socket: c.socket === '' ? undefined : c.socket,
    tokenFile: c.tokenFile === '' ? undefined : c.tokenFile,
    maxRequestsPerMinute: c.maxRequestsPerMinute,
  };
}

/** The shortest token accepted: 128 bits as hex. */
const MIN_TOKEN_LENGTH = 32;

/**
 * Reads a control token: the file must be a regular file that neither group nor others can
 * read or write (mode 0600 or 0400), as ssh insists for private keys; the token is its first line.
 */
export function readToken(file: string, key: string): string {
  let mode: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ConfigError(key, `${file} is not a regular file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(key, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(key, `${file} has mode 0${mode.toString(8)}: others may read the token; chmod 600 ${file}`);
  }
  const token = readFileSync(file, 'utf8').split(/\r?\n/)[0]!.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(key, `${file}: the token must be one line of at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`);
  }
  return token;
}
