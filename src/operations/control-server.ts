// The control endpoint: HTTP on a loopback address (a bearer token required) or on a Unix
// socket (its file mode decides who may connect). Flush, stats, negative trust anchors, reload
// and a rolling restart; every request is rate-limited and every change is logged.
//
// A web page must not reach it either: a Host that is not a loopback literal is refused (DNS
// rebinding) and a POST body must be application/json (a cross-site form cannot send that type
// without a CORS preflight, which is never allowed).

import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { canonicalName } from '../dns/name.ts';
import type { ListenAddress } from '../server/options.ts';
import { parseScope, type FlushScope } from '../shared-cache/flush.ts';
import type { Logger } from '../util/log.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ControlActions {
  /** Flushes the scope everywhere it must go; resolves the keys deleted in the shared store. */
  flush(scope: FlushScope): Promise<number>;
  /** Counters of this process, or of every worker. */
  stats(): Promise<unknown>;
  /** Negative trust anchors in force (RFC 7646), after an optional change made here. */
  nta(change?: { action: 'add' | 'remove'; name: string }): Promise<string[]>;
  /** Re-reads the config and applies what can change while serving. */
  reload(): Promise<unknown>;
  /** Replaces the workers one by one (--workers only). */
  restart?(): Promise<unknown>;
}

export interface ControlOptions {
  /** Loopback TCP; requires `token`. */
  listen?: ListenAddress | undefined;
  /** Unix socket path, created with mode 0600. */
  socket?: string | undefined;
  token?: string | undefined;
  maxRequestsPerMinute: number;
}

export interface ControlEndpoint {
  /** The TCP address as bound, if any. */
  readonly address: ListenAddress | undefined;
  readonly socket: string | undefined;
  close(): Promise<void>;
}

const MAX_BODY = 4096;
const LOOPBACK_HOST = /^(?:127(?:\.\d{1,3}){3}|\[::1\]|localhost)(?::\d{1,5})?$/;
/** A burst that a script flushing a few names passes; then the per-minute rate. */
const BURST = 20;

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

export async function startControl(options: ControlOptions, actions: ControlActions, log: Logger): Promise<ControlEndpoint> {
  if (options.listen && !options.token) throw new Error('a control endpoint on TCP needs a token');
  const bucket = new TokenBucket(Math.min(BURST, options.maxRequestsPerMinute), options.maxRequestsPerMinute / 60_000);
  const expected = options.token ? digest(options.token) : undefined;

  const handler = (viaSocket: boolean) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const client = viaSocket ? 'unix socket' : `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const reply: Reply = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
    };
    // Counted before anything else, so guessing tokens costs the same as using one.
    if (!bucket.take(Date.now())) {
      log.warn('control: request refused by the rate limit', { client, path: req.url });
      return reply(429, { error: `more than ${options.maxRequestsPerMinute} requests per minute` }, { 'retry-after': '1' });
    }
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) return reply(421, { error: 'Host must be a loopback address' });
    if (!viaSocket && !authorized(req.headers.authorization, expected)) {
      log.warn('control: request without a valid token', { client, path: req.url });
      return reply(401, { error: 'a valid token is required (Authorization: Bearer …)' }, { 'www-authenticate': 'Bearer' });
    }
    route(req, reply, actions, log, client);
  };

  const servers: http.Server[] = [];
  let address: ListenAddress | undefined;
  try {
    if (options.listen) {
      const at = options.listen;
      const server = http.createServer({ requestTimeout: 10_000 }, handler(false));
      servers.push(server);
      await listen(server, { host: at.address, port: at.port, ipv6Only: at.family === 6, exclusive: true });
      address = { ...at, port: (server.address() as AddressInfo).port };
    }
    if (options.socket) {
      const server = http.createServer({ requestTimeout: 10_000 }, handler(true));
      servers.push(server);
      await removeStaleSocket(options.socket);
      await listen(server, { path: options.socket, exclusive: true });
      // Connecting needs write permission on the socket: owner only.
      chmodSync(options.socket, 0o600);
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return {
    address,
    socket: options.socket,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}

function route(req: http.IncomingMessage, reply: Reply, actions: ControlActions, log: Logger, client: string): void {
  const path = req.url ?? '';
  const answer = (action: string, work: () => Promise<unknown>, logged?: (result: unknown) => Record<string, unknown>): void => {
    work().then(
      (result) => {
        if (logged) log.info(`control: ${action}`, { client, ...logged(result) });
        reply(200, result);
      },
      (err: Error & { status?: number }) => {
        log.warn(`control: ${action} failed`, { client, err: err.message });
        reply(err.status ?? 503, { error: err.message });
      },
    );
  };
  if (req.method === 'GET') {
    if (path === '/stats') return answer('stats', () => actions.stats());
    if (path === '/nta') return answer('nta', async () => ({ ntas: await actions.nta() }));
  }
  const routes = ['/cache/flush', '/nta/add', '/nta/remove', '/reload', '/restart'];
  if (!routes.includes(path) && path !== '/stats' && path !== '/nta') return reply(404, { error: `unknown path (GET /stats, GET /nta, POST ${routes.join(', POST ')})` });
  if (req.method !== 'POST') return reply(405, { error: path === '/stats' || path === '/nta' ? 'GET only' : 'POST only' });
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return reply(415, { error: 'content-type must be application/json' });
  readBody(req, (body) => {
    switch (path) {
      case '/cache/flush': {
        const scope = parseScope(body);
        if (!scope) return reply(400, { error: 'body must be {"kind":"all"} or {"kind":"name"|"subtree","name":…} or {"kind":"type","name":…,"type":N}' });
        // The log line names what was flushed, so an unexpected flush can be traced to its caller.
        return answer('cache flush', async () => ({ scope, deleted: await actions.flush(scope) }), (r) => ({ ...scope, deleted: (r as { deleted: number }).deleted }));
      }
      case '/nta/add':
      case '/nta/remove': {
        const name = ntaName(body);
        if (name === undefined) return reply(400, { error: 'body must be {"name":"example.com"}' });
        const action = path === '/nta/add' ? 'add' : 'remove';
        return answer(`nta ${action}`, async () => ({ ntas: await actions.nta({ action, name }) }), () => ({ name }));
      }
      case '/reload':
        return answer('reload', () => actions.reload(), (r) => r as Record<string, unknown>);
      case '/restart':
        if (!actions.restart) return reply(409, { error: 'a rolling restart needs --workers (this process serves alone)' });
        return answer('rolling restart', () => actions.restart!(), (r) => r as Record<string, unknown>);
    }
  });
}

function readBody(req: http.IncomingMessage, done: (body: string) => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
    if (body.length > MAX_BODY) req.destroy();
  });
  req.on('end', () => done(body));
}

/** The name of an NTA request: a domain name in text form, at most 253 characters. */
function ntaName(body: string): string | undefined {
  try {
    const name = (JSON.parse(body) as { name?: unknown }).name;
    if (typeof name !== 'string' || name === '' || name.length > 254 || /[\s\\]/.test(name)) return undefined;
    const canonical = canonicalName(name);
    return canonical.split('.').every((l) => l.length <= 63) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/** Compares digests in constant time, so the time taken tells nothing about the token. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
function authorized(header: string | undefined, expected: Buffer | undefined): boolean {
  if (!expected) return false;
  const m = /^Bearer ([^\s]+)$/.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}

function listen(server: http.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A socket file left by a process that died is removed; one that answers belongs to a live andns. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // absent
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (alive) throw Object.assign(new Error(`${path} is in use by a running process`), { code: 'EADDRINUSE' });
  unlinkSync(path);
}
