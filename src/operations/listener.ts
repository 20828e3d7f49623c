// The operations listener: one HTTP/1.1 port with GET /metrics (Prometheus text format),
// /healthz (the process is alive and its event loop turns) and /readyz (200 when it should
// receive traffic, 503 otherwise: what an anycast health check or a load balancer polls).
// Read-only and without secrets (no query names in metrics); no authentication, so keep it on
// loopback or a management network.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../server/options.ts';
import type { Logger } from '../util/log.ts';

export interface OperationsHandlers {
  /** The exposition text of every metric of this process (or machine, with workers). */
  metrics(): Promise<string>;
  /** Readiness and the details an operator wants to see with it. */
  readiness(): Promise<{ ready: boolean; body: unknown }>;
}

export interface OperationsListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Prometheus text exposition format 0.0.4 (what every Prometheus-compatible scraper reads). */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const ROUTES = 'GET /metrics, /healthz, /readyz';

export async function startOperations(at: ListenAddress, handlers: OperationsHandlers, log: Logger): Promise<OperationsListener> {
  const started = Date.now();
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, body: unknown): void => send(status, 'application/json', `${JSON.stringify(body)}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: `${req.method} not allowed (${ROUTES})` });
    const path = (req.url ?? '/').split('?')[0];
    const fail = (err: Error): void => {
      log.warn('operations endpoint failed', { path, err: err.message });
      json(500, { error: err.message });
    };
    switch (path) {
      case '/metrics':
        return void handlers.metrics().then((text) => send(200, PROMETHEUS_TEXT, text), fail);
      case '/healthz':
        // Answering at all proves the process and its event loop are alive.
        return json(200, { status: 'alive', pid: process.pid, uptimeS: Math.round((Date.now() - started) / 1000) });
      case '/readyz':
        return void handlers.readiness().then(({ ready, body }) => json(ready ? 200 : 503, body), fail);
      default:
        return json(404, { error: `unknown path (${ROUTES})` });
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
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
