// DoH's HTTP errors, each with its status (400, 404, 405, 408, 413, 415, 431), over HTTP/1.1 and
// HTTP/2; slow and hostile clients; and proof that the listener keeps serving after all of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { Client } from 'undici';
import { fakePipeline, query, startDoh } from './doh-fixture.ts';
import type { DohListener } from '../../src/doh/listener.ts';

const { pipeline } = fakePipeline();
let server: { listener: DohListener; origin: string };

before(async () => {
  server = await startDoh(pipeline, { requestTimeoutMs: 300, maxHeaderBytes: 4096, maxConnections: 50 });
});
after(() => server?.listener.close());

interface Res {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

async function send(c: Client, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Res> {
  const res = await c.request({ method, path, headers, ...(body ? { body } : {}) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Resolves on 'close' whether or not a reset came first (events.once would reject on 'error'). */
const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));

const dns = (b: Buffer): string => `/dns-query?dns=${b.toString('base64url')}`;

for (const h2 of [true, false]) {
  const version = h2 ? 'HTTP/2' : 'HTTP/1.1';

  test(`${version}: 400 for a missing or bad dns parameter, an empty body, and a DNS message that does not parse`, async (t) => {
    const c = new Client(server.origin, { allowH2: h2, h2Options: h2 ? { useH2c: true } : undefined });
    t.after(() => c.close());
    assert.equal((await send(c, 'GET', '/dns-query')).status, 400);
    assert.equal((await send(c, 'GET', '/dns-query?dns=not*base64!')).status, 400);
    assert.equal((await send(c, 'GET', dns(Buffer.from([1, 2, 3])))).status, 400, 'shorter than a header');
    const response = query('www.test');
    response[2]! |= 0x80; // QR=1: a response, not a query
    assert.equal((await send(c, 'GET', dns(response))).status, 400);
    const noQuestion = Buffer.from(query('www.test').subarray(0, 14)); // QDCOUNT 1, question cut off
    const r = await send(c, 'POST', '/dns-query', { 'content-type': 'application/dns-message' }, noQuestion);
    assert.equal(r.status, 400);
    assert.match(r.text, /does not parse/);
    assert.equal((await send(c, 'POST', '/dns-query', { 'content-type': 'application/dns-message' }, Buffer.alloc(0))).status, 400);
    // A well-formed query with an opcode andns does not serve is a DNS answer (NOTIMP), not an HTTP error.
    const notify = query('www.test');
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    assert.equal((await send(c, 'GET', dns(notify))).status, 200);
  });

  test(`${version}: 400 with a JSON body for a bad JSON API request`, async (t) => {
    const c = new Client(server.origin, { allowH2: h2, h2Options: h2 ? { useH2c: true } : undefined });
    t.after(() => c.close());
    for (const path of ['/resolve', '/resolve?name=www.test&type=NOSUCHTYPE', `/resolve?name=${'a'.repeat(64)}.test`, '/resolve?name=a..b', '/resolve?name=www.test&type=70000']) {
      const r = await send(c, 'GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(typeof JSON.parse(r.text).error === 'string', path);
    }
    const cf = await send(c, 'GET', '/dns-query', { accept: 'application/dns-json' });
    assert.equal(cf.status, 400);
    assert.match(JSON.parse(cf.text).error, /name/);
  });

  test(`${version}: 404 for another path, 405 for another method, 415 for another content type, 413 for a body over 65 535 bytes`, async (t) => {
    const c = new Client(server.origin, { allowH2: h2, h2Options: h2 ? { useH2c: true } : undefined });
    t.after(() => c.close());
    assert.equal((await send(c, 'GET', '/')).status, 404);
    assert.equal((await send(c, 'GET', '/dns-query/extra')).status, 404);
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await send(c, method, '/dns-query', {}, Buffer.from('x'));
      assert.equal(r.status, 405, method);
      assert.equal(r.headers['allow'], 'GET, POST, HEAD, OPTIONS');
    }
    assert.equal((await send(c, 'POST', '/resolve', { 'content-type': 'application/dns-message' }, query('www.test'))).status, 405);
    assert.equal((await send(c, 'POST', '/dns-query', { 'content-type': 'application/json' }, query('www.test'))).status, 415);
    assert.equal((await send(c, 'POST', '/dns-query', {}, query('www.test'))).status, 415);
    assert.equal((await send(c, 'POST', '/dns-query', { 'content-type': 'application/dns-message' }, Buffer.alloc(70_000))).status, 413);
    // Still serving on the same client after all of that.
    assert.equal((await send(c, 'GET', dns(query('www.test')))).status, 200);
  });
}

test('HTTP/1.1: 431 for an oversized head, 408 for a slow client, 413 from the declared length alone', async () => {
  const raw = async (request: string, dribble = false): Promise<string> => {
    const socket = net.connect(Number(new URL(server.origin).port), '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    // The server closes after its error reply, maybe with a reset (it did not read the rest):
    // wait for the close whatever came first, and never leave the dribble timer running.
    socket.on('error', () => {});
    const closed = new Promise((r) => socket.once('close', r));
    if (dribble) {
      // Slowloris: a header line every 100 ms, never the blank line that ends the head.
      socket.write(request);
      const timer = setInterval(() => socket.writable && socket.write('x-slow: 1\r\n'), 100);
      await closed.finally(() => clearInterval(timer));
    } else {
      socket.end(request);
      await closed;
    }
    return out;
  };
  assert.match(await raw(`GET /dns-query HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(8000)}\r\n\r\n`), /^HTTP\/1.1 431/);
  assert.match(await raw('GET /dns-query HTTP/1.1\r\nhost: x\r\n', true), /^HTTP\/1.1 408/);
  assert.match(await raw('POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: application/dns-message\r\ncontent-length: 1000000\r\n\r\n'), /^HTTP\/1.1 413/);
  assert.match(await raw('garbage\r\n\r\n'), /^HTTP\/1.1 400/);
});

test('HTTP/2: a body that never finishes gets 408; an oversized header list is refused; the session lives on', async (t) => {
  const session = http2.connect(server.origin);
  session.on('error', () => {});
  t.after(() => session.close());
  const slow = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' });
  slow.on('error', () => {});
  slow.write(query('www.test').subarray(0, 5)); // and never the rest
  const [headers] = (await once(slow, 'response')) as [http2.IncomingHttpHeaders];
  assert.equal(headers[':status'], 408);

  const big = session.request({ ':path': '/dns-query', 'x-big': 'a'.repeat(6000) });
  const outcome = await new Promise<string>((resolve) => {
    big.on('response', (h) => resolve(String(h[':status'])));
    big.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
    big.on('close', () => resolve(`closed ${big.rstCode}`));
    big.end();
  });
  assert.notEqual(outcome, '200', `refused (${outcome})`);

  const ok = session.request({ ':path': dns(query('www.test')) });
  const [okHeaders] = (await once(ok, 'response')) as [http2.IncomingHttpHeaders];
  ok.resume();
  assert.equal(okHeaders[':status'], 200);
});

test('garbage on the port, and a full listener, do not stop the listener: the idlest connection makes room', async (t) => {
  for (const junk of [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\xff\xff\xff\xff'), Buffer.alloc(3000, 0xfe), Buffer.from('\x16\x03\x01\x02\x00')]) {
    const s = net.connect(Number(new URL(server.origin).port), '127.0.0.1');
    s.on('error', () => {});
    s.resume(); // read the server's reply, or the socket never sees its end
    s.end(junk);
    await closed(s);
  }
  const held = await Promise.all(Array.from({ length: 50 }, async () => {
    const s = net.connect(Number(new URL(server.origin).port), '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    return s;
  }));
  t.after(() => held.forEach((s) => s.destroy()));
  const evicted = Promise.race(held.map((s, i) => once(s, 'close').then(() => i)));
  // The 51st is served: the connection idle longest (the first held) is closed for it.
  let status = 0;
  const c = new Client(server.origin);
  status = await send(c, 'GET', dns(query('www.test'))).then((r) => r.status, () => 0);
  await c.close().catch(() => {});
  assert.equal(status, 200);
  assert.equal(await evicted, 0, 'the oldest idle connection was closed');
  for (const s of held) s.destroy();
});
