// Exposure over real loopback sockets: allowFrom on UDP, TCP, DoT and DoH (with trusted proxies),
// per-source connection caps, the per-message deadline, the HTTP/2 header cap, and slow-drip
// attackers with many connections that must not stop legitimate queries (counted, not timed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createDohHandler } from '../../src/doh/handler.ts';
import { DohListener } from '../../src/doh/listener.ts';
import { defaultDohOptions, type DohOptions } from '../../src/doh/options.ts';
import { Acl } from '../../src/policy/acl.ts';
import { listenDot } from '../../src/server/dot.ts';
import { defaultTcpOptions, type TcpOptions } from '../../src/server/options.ts';
import { startServer } from '../../src/server/server.ts';
import { TlsCredentials } from '../../src/server/tls.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { fakePipeline, makeCert, query } from './doh-fixture.ts';
import { questionEnd } from '../../src/dns/wire.ts';
import { readReply as readHeader } from './server-packets.ts';

/** The reply's header and, for a reply without records, its OPT with the EDE. */
const readReply = (reply: Buffer) => readHeader(reply, questionEnd(reply));

const { pipeline } = fakePipeline();
const execFileAsync = promisify(execFile);
const ONLY_2 = ['127.0.0.2/32'];

function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]);
}

/** Sends one framed query on a stream and resolves with the reply, or undefined if the stream closes first. */
function askStream(socket: net.Socket, message: Buffer, timeoutMs = 4_000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) done(pending.subarray(2, 2 + pending.readUInt16BE(0)));
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.write(frame(message));
  });
}

function tcpAsk(port: number, from: string, message: Buffer): Promise<Buffer | undefined> {
  return askStream(net.connect({ host: '127.0.0.1', port, localAddress: from }), message);
}

function dotAsk(port: number, from: string, message: Buffer, pem: string): Promise<Buffer | undefined> {
  const socket = tls.connect({ host: '127.0.0.1', port, localAddress: from, ca: pem, servername: 'localhost' } as tls.ConnectionOptions);
  return askStream(socket, message);
}

async function udpAsk(port: number, from: string, message: Buffer): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind({ address: from, port: 0 }, r));
  try {
    socket.send(message, port, '127.0.0.1');
    const [reply] = (await once(socket, 'message')) as [Buffer];
    return reply;
  } finally {
    socket.close();
  }
}

function dohPost(port: number, from: string, message: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/dns-query', agent: false, headers: { 'content-type': 'application/dns-message', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.setTimeout(4_000, () => req.destroy(new Error('timeout')));
    req.end(message);
  });
}

async function startDoh(options: Partial<DohOptions>, allowFrom: string[], trusted: string[] = [], credentials?: TlsCredentials): Promise<DohListener> {
  const o = { ...defaultDohOptions, ...options };
  const handler = createDohHandler(pipeline, o.path, { acl: Acl.from(allowFrom), trustedProxies: trusted.length ? Acl.from(trusted) : undefined });
  return DohListener.listen({ address: '127.0.0.1', port: 0, family: 4 }, handler, o, credentials, silentLogger);
}

function assertProhibited(reply: Buffer | undefined, what: string): void {
  assert.ok(reply, `${what}: a reply`);
  const view = readReply(reply);
  assert.equal(view.rcode, 5, `${what}: REFUSED`);
  assert.equal(view.opt?.ede?.code, 18, `${what}: EDE 18 Prohibited`);
}

test('allowFrom: a source outside it gets REFUSED with EDE 18 on UDP and TCP; one inside is answered', async (t) => {
  const server = await startServer({ listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: defaultTcpOptions, allowFrom: ONLY_2 }, pipeline, silentLogger);
  t.after(() => server.close());
  const port = server.addresses[0]!.port;
  const q = query('www.test', 'A', { id: 7 });
  assertProhibited(await udpAsk(port, '127.0.0.1', q), 'UDP');
  assertProhibited(await tcpAsk(port, '127.0.0.1', q), 'TCP');
  const ok = readReply((await udpAsk(port, '127.0.0.2', q))!);
  assert.equal(ok.rcode, 0);
  assert.equal(ok.ancount, 2);
  assert.equal(readReply((await tcpAsk(port, '127.0.0.2', q))!).ancount, 2);
});

test('allowFrom on DoT and DoH (TLS and plain); proxy headers count only from a trusted proxy', async (t) => {
  const cert = makeCert();
  if (!cert) return t.skip('openssl is not installed');
  const credentials = TlsCredentials.load({ cert: cert.cert, key: cert.key }, silentLogger);
  const dot = await listenDot({ address: '127.0.0.1', port: 0, family: 4 }, pipeline, defaultTcpOptions, credentials, silentLogger, Acl.from(ONLY_2));
  t.after(() => dot.close());
  const q = query('www.test', 'A', { id: 0 });
  assertProhibited(await dotAsk(dot.frontend.port, '127.0.0.1', q, cert.pem), 'DoT');
  assert.equal(readReply((await dotAsk(dot.frontend.port, '127.0.0.2', q, cert.pem))!).ancount, 2);

  const plain = await startDoh({}, ONLY_2, ['127.0.0.1/32']);
  t.after(() => plain.close());
  const refused = await dohPost(plain.port, '127.0.0.3', q);
  assert.equal(refused.status, 200, 'a DNS answer, whatever its rcode (RFC 8484 §4.2.1)');
  assertProhibited(refused.body, 'DoH');
  assert.equal(readReply((await dohPost(plain.port, '127.0.0.2', q)).body).ancount, 2);
  // The trusted proxy (127.0.0.1) speaks for 127.0.0.2, or for a stranger.
  assert.equal(readReply((await dohPost(plain.port, '127.0.0.1', q, { 'x-forwarded-for': '127.0.0.2' })).body).ancount, 2);
  assertProhibited((await dohPost(plain.port, '127.0.0.1', q, { forwarded: 'for=203.0.113.9' })).body, 'DoH via proxy');
  // An untrusted peer cannot claim an allowed address.
  assertProhibited((await dohPost(plain.port, '127.0.0.3', q, { 'x-forwarded-for': '127.0.0.2' })).body, 'DoH, forged header');
});

test('TCP: connections per source address are capped; another source still gets in', async (t) => {
  const server = await startServer({ listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: { ...defaultTcpOptions, maxConnectionsPerAddress: 2 } }, pipeline, silentLogger);
  t.after(() => server.close());
  const port = server.addresses[0]!.port;
  const held = [net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' }), net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' })];
  t.after(() => held.forEach((s) => s.destroy()));
  await Promise.all(held.map((s) => once(s, 'connect')));
  assert.equal(await tcpAsk(port, '127.0.0.5', query('www.test')), undefined, 'the third from one address is closed');
  assert.ok(await tcpAsk(port, '127.0.0.6', query('www.test')), 'another address is served');
});

test('TCP: a message must be whole within messageTimeoutMs of its first byte (RFC 7766 §6.2.3); dripping bytes do not extend it', async (t) => {
  const server = await startServer({ listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: { ...defaultTcpOptions, messageTimeoutMs: 200, idleTimeoutMs: 10_000 } }, pipeline, silentLogger);
  t.after(() => server.close());
  const socket = net.connect({ host: '127.0.0.1', port: server.addresses[0]!.port });
  await once(socket, 'connect');
  socket.on('error', () => {});
  const bytes = frame(query('www.test'));
  let sent = 0;
  let closed = false;
  socket.once('close', () => (closed = true));
  while (!closed && sent < bytes.length) {
    socket.write(bytes.subarray(sent, sent + 1));
    sent++;
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.equal(closed, true, 'closed while the message was still incomplete');
  assert.ok(sent < bytes.length, `closed after ${sent} of ${bytes.length} bytes`);
});

test('DoH over HTTP/2: a header list over maxHeaderBytes gets 431, as HTTP/1.1 does', async (t) => {
  const listener = await startDoh({ maxHeaderBytes: 16_384 }, ['127.0.0.0/8']);
  t.after(() => listener.close());
  // curl sends its request before it has the server's SETTINGS, so nghttp2 itself lets a large
  // header list through: this is the case the adapter must catch.
  const status = async (extra: string[]): Promise<string> =>
    (await execFileAsync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', '--http2-prior-knowledge', ...extra, `http://127.0.0.1:${listener.port}/dns-query?dns=${query('www.test').toString('base64url')}`], { encoding: 'utf8' })).stdout;
  assert.equal(await status([]), '200 2');
  for (const size of [20_000, 60_000]) assert.equal(await status(['-H', `x-big: ${'a'.repeat(size)}`]), '431 2', `${size}-byte header`);
});

// --- Slow-drip attackers: many connections from many sources, each sending a byte now and then
// and reconnecting whenever closed. Legitimate clients (another source) must all be answered.

const ATTACK_SOURCES = Array.from({ length: 10 }, (_, i) => `127.0.0.${20 + i}`);
const PER_SOURCE = 8; // 80 attacker connections against a listener of 40

interface Attack {
  stop(): void;
  readonly connections: number;
}

function dripAttack(connect: (from: string) => net.Socket, payload: Buffer): Attack {
  let stopped = false;
  let opened = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();
  const open = (from: string): void => {
    if (stopped) return;
    const socket = connect(from);
    sockets.add(socket);
    opened++;
    let i = 0;
    const timer = setInterval(() => {
      if (i < payload.length && socket.writable) socket.write(payload.subarray(i, ++i));
    }, 300);
    timers.add(timer);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      clearInterval(timer);
      timers.delete(timer);
      setTimeout(() => open(from), 20); // reconnect churn
    });
  };
  for (const from of ATTACK_SOURCES) for (let k = 0; k < PER_SOURCE; k++) open(from);
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
    get connections() {
      return opened;
    },
  };
}

const STREAM_CAPS: TcpOptions = { ...defaultTcpOptions, maxConnections: 40, messageTimeoutMs: 1_000, idleTimeoutMs: 5_000 };
const LEGIT = 15;

async function legitimateRun(ask: () => Promise<Buffer | undefined>): Promise<number> {
  let answered = 0;
  for (let i = 0; i < LEGIT; i++) {
    const reply = await ask();
    if (reply && readReply(reply).ancount === 2) answered++;
  }
  return answered;
}

test('slow drip on TCP: every legitimate query is answered while 80 dripping connections churn', async (t) => {
  const server = await startServer({ listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: STREAM_CAPS }, pipeline, silentLogger);
  t.after(() => server.close());
  const port = server.addresses[0]!.port;
  const attack = dripAttack((from) => net.connect({ host: '127.0.0.1', port, localAddress: from }), frame(query('www.test')));
  t.after(() => attack.stop());
  await new Promise((r) => setTimeout(r, 500)); // the listener is full
  const answered = await legitimateRun(() => tcpAsk(port, '127.0.0.1', query('www.test')));
  attack.stop();
  assert.equal(answered, LEGIT, `legitimate TCP queries answered: ${answered}/${LEGIT} (attacker connections opened: ${attack.connections})`);
});

test('slow drip on DoT: every legitimate query is answered while 80 dripping connections churn', async (t) => {
  const cert = makeCert();
  if (!cert) return t.skip('openssl is not installed');
  const credentials = TlsCredentials.load({ cert: cert.cert, key: cert.key }, silentLogger);
  const dot = await listenDot({ address: '127.0.0.1', port: 0, family: 4 }, pipeline, STREAM_CAPS, credentials, silentLogger);
  t.after(() => dot.close());
  const port = dot.frontend.port;
  // Raw TCP drip: a TLS ClientHello that never completes holds a slot just the same.
  const attack = dripAttack((from) => net.connect({ host: '127.0.0.1', port, localAddress: from }), Buffer.from('\x16\x03\x01\x02\x00'.repeat(20), 'latin1'));
  t.after(() => attack.stop());
  await new Promise((r) => setTimeout(r, 500));
  const answered = await legitimateRun(() => dotAsk(port, '127.0.0.1', query('www.test'), cert.pem));
  attack.stop();
  assert.equal(answered, LEGIT, `legitimate DoT queries answered: ${answered}/${LEGIT}`);
});

test('slow drip on DoH (HTTP/1.1 and h2c): every legitimate query is answered while 80 dripping connections churn', async (t) => {
  const listener = await startDoh({ maxConnections: 40, requestTimeoutMs: 1_000 }, ['127.0.0.0/8']);
  t.after(() => listener.close());
  const port = listener.port;
  const head = Buffer.from(`POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: application/dns-message\r\ncontent-length: 40\r\nx-pad: ${'a'.repeat(200)}\r\n\r\n`);
  const attack = dripAttack((from) => net.connect({ host: '127.0.0.1', port, localAddress: from }), head);
  t.after(() => attack.stop());
  await new Promise((r) => setTimeout(r, 500));
  const h1 = await legitimateRun(async () => (await dohPost(port, '127.0.0.1', query('www.test')).catch(() => undefined))?.body);
  let h2 = 0;
  for (let i = 0; i < LEGIT; i++) {
    const client = http2.connect(`http://127.0.0.1:${port}`, { localAddress: '127.0.0.1' } as http2.ClientSessionOptions);
    client.on('error', () => {});
    const body = await new Promise<Buffer | undefined>((resolve) => {
      const req = client.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(undefined));
      req.setTimeout(4_000, () => resolve(undefined));
      req.end(query('www.test'));
    });
    client.destroy();
    if (body && body.length >= 12 && readReply(body).ancount === 2) h2++;
  }
  attack.stop();
  assert.equal(h1, LEGIT, `legitimate DoH/1.1 queries answered: ${h1}/${LEGIT}`);
  assert.equal(h2, LEGIT, `legitimate DoH/h2c queries answered: ${h2}/${LEGIT}`);
});

test('a listener other hosts can reach that lets everyone in gets a loud OPEN RESOLVER warning; loopback does not', async (t) => {
  const lines: string[] = [];
  const log = createLogger('warn', (l) => lines.push(l));
  const open = await startServer({ listen: [{ address: '0.0.0.0', port: 0, family: 4 }], tcp: defaultTcpOptions, allowFrom: ['0.0.0.0/0'] }, pipeline, log);
  t.after(() => open.close());
  assert.equal(lines.filter((l) => l.includes('OPEN RESOLVER')).length, 1);
  const local = await startServer({ listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: defaultTcpOptions, allowFrom: ['0.0.0.0/0'] }, pipeline, log);
  t.after(() => local.close());
  const closed = await startServer({ listen: [{ address: '0.0.0.0', port: 0, family: 4 }], tcp: defaultTcpOptions }, pipeline, log);
  t.after(() => closed.close());
  assert.equal(lines.filter((l) => l.includes('OPEN RESOLVER')).length, 1, 'loopback, or the default list: no warning');
});
