// The iterator against a small hand-written hierarchy in memory: referrals, glue, glue-less
// NS names, CNAME chains, negative answers, faults, poisoning and work limits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import type { Faults } from '../sim/server.ts';
import { smallWorld } from '../sim/small-world.ts';

const q = (qname: string, qtype = 1, over: Partial<ClientQuestion> = {}): ClientQuestion => ({
  qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true, ...over,
});

function data(r: Resolution): string[] {
  assert.ok(r.kind === 'answer' || r.kind === 'nodata' || r.kind === 'nxdomain', `unexpected ${r.kind}: ${JSON.stringify(r)}`);
  return r.answer.map((rr) => `${rr.name} ${rr.type} ${typeof rr.data === 'string' ? rr.data : JSON.stringify(rr.data)}`);
}

test('iter_referrals: resolves from the root through referrals and glue', async () => {
  const w = smallWorld();
  const r = await w.resolver.resolve(q('www.example.com'));
  assert.equal(r.kind, 'answer');
  assert.deepEqual(data(r), ['www.example.com A 192.0.2.10']);
  // Priming (. NS), then root → com → example.com.
  assert.equal(w.server('a.root').queries, 2);
  assert.equal(w.server('ns.com').queries, 1);
  assert.equal(w.server('ns1.example.com').queries, 1);
});

test('iter_cache: a second query is answered from cache with the TTL counting down', async () => {
  const w = smallWorld();
  await w.resolver.resolve(q('www.example.com'));
  const before = w.net.totals().queries;
  w.clock.advance(100_000);
  const r = await w.resolver.resolve(q('www.example.com'));
  assert.equal(w.net.totals().queries, before);
  assert.ok(r.kind === 'answer');
  assert.equal(r.answer[0]!.ttl, 500);
  // A sibling name needs only the example.com server: the delegation is cached.
  await w.resolver.resolve(q('only-a.example.com'));
  assert.equal(w.net.totals().queries, before + 1);
});

test('iter_cname: in-zone and cross-zone CNAME chains via a glue-less delegation', async () => {
  const w = smallWorld();
  assert.deepEqual(data(await w.resolver.resolve(q('alias.example.com'))), ['alias.example.com CNAME www.example.com', 'www.example.com A 192.0.2.10']);
  assert.deepEqual(data(await w.resolver.resolve(q('away.example.com'))), ['away.example.com CNAME web.gluelss.com', 'web.gluelss.com A 192.0.2.20']);
  assert.ok(w.server('ns.hoster.net').queries >= 1, 'the glue-less server was found by a sub-query');
});

test('iter_negative: NXDOMAIN and NODATA carry the SOA and are cached (RFC 2308)', async () => {
  const w = smallWorld();
  const nx = await w.resolver.resolve(q('nope.example.com'));
  assert.equal(nx.kind, 'nxdomain');
  assert.ok(nx.kind === 'nxdomain' && nx.authority.some((rr) => rr.type === 'SOA'));
  const nodata = await w.resolver.resolve(q('only-a.example.com', 28));
  assert.equal(nodata.kind, 'nodata');
  const before = w.server('ns1.example.com').queries;
  assert.equal((await w.resolver.resolve(q('nope.example.com'))).kind, 'nxdomain');
  assert.equal((await w.resolver.resolve(q('below.nope.example.com'))).kind, 'nxdomain', 'RFC 8020');
  assert.equal((await w.resolver.resolve(q('only-a.example.com', 28))).kind, 'nodata');
  assert.equal(w.server('ns1.example.com').queries, before);
  w.clock.advance(61_000);
  await w.resolver.resolve(q('nope.example.com'));
  assert.equal(w.server('ns1.example.com').queries, before + 1, 'negative TTL is min(SOA TTL, MINIMUM) = 60 s');
});

test('iter_lame: a lame server is skipped for the zone\'s other server', async () => {
  const w = smallWorld({ 'ns1.lame.com': { lame: true } });
  for (let i = 0; i < 4; i++) {
    const r = await w.resolver.resolve(q(`host.lame.com`, 1, {}));
    assert.deepEqual(data(r), ['host.lame.com A 192.0.2.30']);
  }
});

test('iter_dead: dead, wrong-ID and wrong-question servers fail over; all dead is SERVFAIL with EDE 22', async () => {
  for (const fault of [{ dead: true }, { wrongId: true }, { wrongQuestion: true }, { servfail: true }] as Faults[]) {
    const w = smallWorld({ 'ns1.lame.com': fault });
    assert.deepEqual(data(await w.resolver.resolve(q('host.lame.com'))), ['host.lame.com A 192.0.2.30'], JSON.stringify(fault));
  }
  const w = smallWorld({ 'ns1.lame.com': { dead: true }, 'ns2.lame.com': { dead: true } });
  const r = await w.resolver.resolve(q('host.lame.com'));
  assert.ok(r.kind === 'servfail');
  assert.equal(r.ede.code, 22);
});

test('iter_truncation: TC=1 over UDP is retried over TCP', async () => {
  const w = smallWorld({ 'ns.big.com': { truncate: true } });
  const r = await w.resolver.resolve(q('many.big.com'));
  assert.ok(r.kind === 'answer');
  assert.equal(r.answer.length, 60);
  assert.equal(w.server('ns.big.com').tcp, 1);
});

test('iter_poison: out-of-bailiwick records never reach the cache', async () => {
  const w = smallWorld({
    'ns.poison.com': {
      poison: {
        answer: [{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 9999, data: '203.0.113.66' }],
        authority: [{ name: 'example.com', type: 'NS', class: 'IN', ttl: 9999, data: 'ns.poison.com' }],
        additional: [{ name: 'ns1.example.com', type: 'A', class: 'IN', ttl: 9999, data: '203.0.113.67' }],
      },
    },
  });
  assert.deepEqual(data(await w.resolver.resolve(q('www.example.com'))), ['www.example.com A 192.0.2.10']);
  assert.deepEqual(data(await w.resolver.resolve(q('host.poison.com'))), ['host.poison.com A 192.0.2.40']);
  // A referral for sub.poison.com to ns1.example.com, with forged "glue" for ns1.example.com.
  await w.resolver.resolve(q('x.sub.poison.com'));
  // The cached delegation of example.com must still lead to its real server.
  const before = w.server('ns1.example.com').queries;
  assert.deepEqual(data(await w.resolver.resolve(q('only-a.example.com'))), ['only-a.example.com A 192.0.2.11']);
  assert.equal(w.server('ns1.example.com').queries, before + 1);
  assert.deepEqual(data(await w.resolver.resolve(q('ns1.example.com'))), ['ns1.example.com A 127.53.2.1']);
});

test('iter_loop: mutually glue-less NS names end in SERVFAIL, not a hang', async () => {
  const w = smallWorld();
  const r = await w.resolver.resolve(q('www.loop-a.com'));
  assert.equal(r.kind, 'servfail');
  assert.ok(w.net.totals().queries < 30, `bounded work (${w.net.totals().queries} queries)`);
});

test('iter_limits: a tiny upstream budget ends in SERVFAIL with an EDE naming the limit', async () => {
  const w = smallWorld({}, { maxUpstreamQueries: 2 });
  const r = await w.resolver.resolve(q('www.example.com'));
  assert.ok(r.kind === 'servfail');
  assert.match(r.ede.text, /upstream-queries/);
  assert.equal(w.net.totals().queries, 2);
});

test('iter_cache_read: the cache read asks nobody upstream; a miss resumes where it stopped', async () => {
  const w = smallWorld();
  const miss = await w.resolver.fromCache(q('www.example.com'));
  assert.equal(miss.kind, 'miss');
  assert.equal(w.net.totals().queries, 0);
  assert.ok(miss.kind === 'miss');
  assert.deepEqual(data(await w.resolver.resolve(q('www.example.com'), miss)), ['www.example.com A 192.0.2.10']);
  const hit = await w.resolver.fromCache(q('www.example.com'));
  assert.ok(hit.kind === 'hit');
  assert.deepEqual(data(hit.resolution), ['www.example.com A 192.0.2.10']);
  assert.deepEqual(hit.read.map((l) => `${l.name}/${l.type} ${l.storedTtl}`), ['www.example.com/1 600']);
});
