// DoH through undici over HTTP/2 and HTTP/1.1, with TLS and in clear (h2c): GET, POST, the JSON
// API, Cache-Control, padding, ID 0, HEAD/OPTIONS/CORS, and many streams on one connection.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Client } from 'undici';
import { fakePipeline, makeCert, query, startDoh, TABLE, a, type Cert } from './doh-fixture.ts';
import type { DohListener } from '../../src/doh/listener.ts';

const { pipeline, asked } = fakePipeline();
let cert: Cert | undefined;
let tlsServer: { listener: DohListener; origin: string } | undefined;
let plainServer: { listener: DohListener; origin: string };

before(async () => {
  cert = makeCert();
  plainServer = await startDoh(pipeline, { maxConcurrentStreams: 100 });
  if (cert) tlsServer = await startDoh(pipeline, { maxConcurrentStreams: 100 }, cert);
});
after(async () => {
  await plainServer?.listener.close();
  await tlsServer?.listener.close();
});

/** dns-packet decodes the rcode but its types do not say so. */
const rcodeOf = (reply: Buffer): string | undefined => (dnsPacket.decode(reply) as { rcode?: string }).rcode;

type Mode = 'h2 over TLS' | 'HTTP/1.1 over TLS' | 'h2c' | 'HTTP/1.1 in clear';
const MODES: Mode[] = ['h2 over TLS', 'HTTP/1.1 over TLS', 'h2c', 'HTTP/1.1 in clear'];

function client(mode: Mode): Client | undefined {
  const tls = mode.includes('TLS');
  if (tls && !tlsServer) return undefined;
  const h2 = mode.startsWith('h2');
  return new Client(tls ? tlsServer!.origin : plainServer.origin, {
    allowH2: h2,
    h2Options: h2 && !tls ? { useH2c: true } : undefined,
    connect: { rejectUnauthorized: false },
  });
}

async function get(c: Client, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await c.request({ path, method: 'GET', headers });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

async function post(c: Client, path: string, body: Buffer, type = 'application/dns-message'): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await c.request({ path, method: 'POST', headers: { 'content-type': type, accept: 'application/dns-message' }, body });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

for (const mode of MODES) {
  test(`${mode}: GET and POST of application/dns-message, ID 0 round-trips, padded, Cache-Control from the smallest TTL`, async (t) => {
    const c = client(mode);
    if (!c) return t.skip('openssl is not installed');
    t.after(() => c.close());
    const q = query('www.test');
    const g = await get(c, `/dns-query?dns=${q.toString('base64url')}`, { accept: 'application/dns-message' });
    assert.equal(g.status, 200);
    assert.equal(g.headers['content-type'], 'application/dns-message');
    assert.equal(g.headers['cache-control'], 'max-age=60', 'the smaller of the two TTLs (RFC 8484 §5.1)');
    assert.equal(g.headers['access-control-allow-origin'], '*');
    assert.equal(g.body.length % 468, 0, 'padded to a multiple of 468 bytes (RFC 8467 §4.1)');
    const reply = dnsPacket.decode(g.body);
    assert.equal(reply.id, 0);
    assert.deepEqual(reply.answers!.map((r) => (r as { data: unknown }).data).sort(), ['192.0.2.1', '192.0.2.2']);
    const padding = (reply.additionals![0] as dnsPacket.OptAnswer).options.find((o) => o.code === 12);
    assert.ok(padding, 'an EDNS Padding option (RFC 7830)');

    const p = await post(c, '/dns-query', query('www.test', 'A', { id: 0x1234, edns: false }));
    assert.equal(p.status, 200);
    const posted = dnsPacket.decode(p.body);
    assert.equal(posted.id, 0x1234);
    assert.equal(posted.answers!.length, 2);
    assert.equal(posted.additionals!.length, 0, 'no OPT, and so no padding, for a query without EDNS');
  });

  test(`${mode}: the JSON API on /resolve and on /dns-query with Accept: application/dns-json`, async (t) => {
    const c = client(mode);
    if (!c) return t.skip('openssl is not installed');
    t.after(() => c.close());
    const r = await get(c, '/resolve?name=www.test&type=A');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/dns-json');
    assert.equal(r.headers['cache-control'], 'max-age=60');
    const doc = JSON.parse(r.body.toString());
    assert.deepEqual(
      { ...doc, Answer: undefined },
      { Status: 0, TC: false, RD: true, RA: true, AD: false, CD: false, Question: [{ name: 'www.test.', type: 1 }], Answer: undefined },
    );
    assert.deepEqual(doc.Answer, [
      { name: 'www.test.', type: 1, TTL: 300, data: '192.0.2.1' },
      { name: 'www.test.', type: 1, TTL: 60, data: '192.0.2.2' },
    ]);
    const cf = JSON.parse((await get(c, '/dns-query?name=txt.test&type=TXT&cd=1', { accept: 'application/dns-json' })).body.toString());
    assert.equal(cf.CD, true);
    assert.deepEqual(cf.Answer, [{ name: 'txt.test.', type: 16, TTL: 30, data: '"hello \\"world\\""' }]);
    assert.equal(asked.at(-1)!.checkingDisabled, true);
  });
}

test('negative answers are fresh for the SOA\'s negative TTL; SERVFAIL is a 200 that is never stored', async () => {
  const c = client('h2c')!;
  after(() => c.close());
  const nx = await get(c, `/dns-query?dns=${query('nx.test').toString('base64url')}`);
  assert.equal(nx.status, 200);
  assert.equal(nx.headers['cache-control'], 'max-age=120', 'min(SOA TTL 900, MINIMUM 120): RFC 2308 §5');
  assert.equal(rcodeOf(nx.body), 'NXDOMAIN');
  const fail = await get(c, `/dns-query?dns=${query('fail.test').toString('base64url')}`);
  assert.equal(fail.status, 200, 'RFC 8484 §4.2.1: any DNS reply is a 2xx');
  assert.equal(fail.headers['cache-control'], 'no-store');
  assert.equal(rcodeOf(fail.body), 'SERVFAIL');
  const json = JSON.parse((await get(c, '/resolve?name=fail.test&do=1')).body.toString());
  assert.equal(json.Status, 2);
  assert.equal(json.Comment, 'EDE 22: no reachable authority');
  assert.equal(asked.at(-1)!.dnssecOk, true, 'do=1 sets the DO bit');
  const nxJson = JSON.parse((await get(c, '/resolve?name=nx.test&type=28')).body.toString());
  assert.equal(nxJson.Status, 3);
  assert.equal(nxJson.Question[0].type, 28);
  assert.equal(nxJson.Authority[0].type, 6);
  assert.equal(nxJson.Answer, undefined);
});

test('HEAD has the GET headers without a body; OPTIONS answers the CORS preflight', async (t) => {
  for (const mode of ['h2c', 'HTTP/1.1 in clear'] as const) {
    const c = client(mode)!;
    t.after(() => c.close());
    const head = await c.request({ path: `/dns-query?dns=${query('www.test').toString('base64url')}`, method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['cache-control'], 'max-age=60');
    assert.ok(Number(head.headers['content-length']) > 0);
    assert.equal((await head.body.arrayBuffer()).byteLength, 0);
    const options = await c.request({ path: '/dns-query', method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } });
    await options.body.dump();
    assert.equal(options.statusCode, 204);
    assert.equal(options.headers['access-control-allow-origin'], '*');
    assert.match(String(options.headers['access-control-allow-methods']), /POST/);
    assert.match(String(options.headers['access-control-allow-headers']), /content-type/);
  }
});

test('many concurrent streams on one HTTP/2 connection are resolved at once', async (t) => {
  if (!tlsServer) return t.skip('openssl is not installed');
  // A barrier: no answer until 60 queries are in the resolver together, which only happens if
  // the connection carries them as concurrent streams.
  const waiting: (() => void)[] = [];
  const names = Array.from({ length: 60 }, (_, i) => `c${i}.barrier.test`);
  for (const name of names) {
    TABLE[name] = () => new Promise((resolve) => {
      waiting.push(() => resolve({ kind: 'answer', answer: [a(name, '192.0.2.7', 10)], authority: [] }));
      if (waiting.length === names.length) for (const w of waiting) w();
    });
  }
  let connects = 0;
  const c = new Client(tlsServer.origin, { allowH2: true, connect: { rejectUnauthorized: false } });
  c.on('connect', () => connects++);
  t.after(() => c.close());
  const replies = await Promise.all(names.map((n) => post(c, '/dns-query', query(n))));
  assert.ok(replies.every((r) => r.status === 200 && dnsPacket.decode(r.body).answers!.length === 1));
  assert.equal(connects, 1, 'one connection carried every stream');
});
