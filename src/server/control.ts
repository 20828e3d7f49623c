// The control endpoint: HTTP on a loopback address, one action, `POST /cache/flush` with a
// flush scope as JSON, answered with the number of keys deleted. No authentication, so it only
// ever listens on loopback (config/cluster.ts) and refuses what a web page could send it:
// a Host that is not a loopback literal (DNS rebinding) or a body that is not application/json
// (a cross-site form post, which cannot set that type without a CORS preflight we never allow).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseScope, type FlushScope } from '../shared-cache/flush.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress } from './options.ts';

export interface ControlActions {
  /** Flushes the scope everywhere it must go; resolves the keys deleted in the shared store. */
  flush(scope: FlushScope): Promise<number>;
}

export interface ControlEndpoint {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

const MAX_BODY = 4096;
const LOOPBACK_HOST = /^(?:127(?:\.\d{1,3}){3}|\[::1\]|localhost)(?::\d{1,5})?$/;

export async function startControl(at: ListenAddress, actions: ControlActions, log: Logger): Promise<ControlEndpoint> {
  const server = http.createServer({ requestTimeout: 10_000 }, (req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
    };
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) return reply(421, { error: 'Host must be a loopback address' });
    if (req.url !== '/cache/flush') return reply(404, { error: 'unknown path (POST /cache/flush)' });
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return reply(415, { error: 'content-type must be application/json' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      const scope = parseScope(body);
      if (!scope) return reply(400, { error: 'body must be {"kind":"all"} or {"kind":"name"|"subtree","name":…} or {"kind":"type","name":…,"type":N}' });
      actions.flush(scope).then(
        (deleted) => {
          log.info('cache flushed', { scope: scope.kind, deleted });
          reply(200, { scope, deleted });
        },
        // Local copies are dropped already; the shared store could not be reached.
        (err: Error) => reply(503, { scope, error: `shared cache unreachable: ${err.message}` }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.address, port: at.port, ipv6Only: at.family === 6, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: { ...at, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
