// Starts the HTTP and TLS front-ends — DoH over HTTPS, DoH over plain HTTP, DoT — on one shared
// pipeline and one set of TLS credentials, and reloads those credentials on demand.

import { formatListen } from '../config/listen.ts';
import { createDohHandler } from '../doh/handler.ts';
import { DohListener } from '../doh/listener.ts';
import { Acl } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import { listenDot } from './dot.ts';
import type { ListenAddress, ServerOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { ListenError } from './server.ts';
import { TlsCredentials } from './tls.ts';

export interface Endpoint {
  protocol: 'DoH' | 'DoT';
  /** The address actually bound (port 0 replaced by the kernel's choice). */
  address: ListenAddress;
  /** What a client is pointed at: the DoH URL template base, or ADDR:PORT for DoT. */
  target: string;
  /** For the start-up line: the HTTP versions or the transport. */
  detail: string;
}

export interface SecureFrontends {
  readonly endpoints: readonly Endpoint[];
  /** Re-reads the certificate and key (SIGHUP); false when they are unusable (the old pair stays). */
  reloadTls(): boolean;
  close(): Promise<void>;
}

function url(scheme: 'http' | 'https', at: ListenAddress, path: string): string {
  return `${scheme}://${formatListen(at)}${path}`;
}

export async function startSecureFrontends(options: ServerOptions, pipeline: Pipeline, log: Logger, acl: Acl): Promise<SecureFrontends> {
  const doh = options.doh;
  const dot = options.dot ?? [];
  const needTls = (doh?.listen.length ?? 0) + dot.length > 0;
  // A missing pair is caught by the config checks; here it only guards direct callers.
  if (needTls && !options.tls) throw new Error('DoH over TLS and DoT need tls.cert and tls.key');
  const credentials = needTls && options.tls ? TlsCredentials.load(options.tls, log) : undefined;
  const closers: (() => Promise<void>)[] = [];
  const endpoints: Endpoint[] = [];
  const close = async (): Promise<void> => {
    credentials?.close();
    await Promise.all(closers.map((c) => c()));
  };
  const bind = async <T>(at: ListenAddress, protocol: string, start: () => Promise<T>): Promise<T> =>
    start().catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, protocol, err);
    });
  try {
    if (doh) {
      const trustedProxies = doh.trustedProxies.length > 0 ? Acl.from(doh.trustedProxies) : undefined;
      const handler = createDohHandler(pipeline, doh.path, { acl, trustedProxies });
      for (const [list, tls] of [[doh.listen, true], [doh.plainListen, false]] as const) {
        for (const at of list) {
          const listener = await bind(at, tls ? 'DoH over TLS' : 'DoH', () => DohListener.listen(at, handler, doh, tls ? credentials : undefined, log));
          closers.push(() => listener.close());
          const bound = { ...at, port: listener.port };
          endpoints.push({
            protocol: 'DoH',
            address: bound,
            target: url(tls ? 'https' : 'http', bound, doh.path),
            detail: tls ? 'HTTP/2 and HTTP/1.1 over TLS' : 'plain HTTP/1.1 and h2c',
          });
        }
      }
    }
    for (const at of dot) {
      const started = await bind(at, 'DoT', () => listenDot(at, pipeline, options.tcp, credentials!, log, acl));
      closers.push(() => started.close());
      const bound = { ...at, port: started.frontend.port };
      endpoints.push({ protocol: 'DoT', address: bound, target: formatListen(bound), detail: 'TLS' });
    }
  } catch (err) {
    await close();
    throw err;
  }
  credentials?.watch();
  return { endpoints, reloadTls: () => credentials?.reload() ?? false, close };
}
