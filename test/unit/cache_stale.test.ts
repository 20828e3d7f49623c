// Serve-stale (RFC 8767) on the memory store: when every authoritative server is dead after the
// TTL ran out, the answer comes from expired data with TTL 30 and EDE 3, within the stale window
// only; a resolution slower than the client deadline is answered stale and still refreshes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdeCode } from '../../src/dns/constants.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { StaleReader } from '../../src/shared-cache/stale.ts';
import { createDriver, type DriverResolver } from '../../src/pipeline/driver.ts';
import type { CacheMiss } from '../../src/resolver/resolver.ts';
import { newStats } from '../../src/shared-cache/stats.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { smallWorld } from '../sim/small-world.ts';
import { answerLines, openFrontEnd, question } from '../harness/frontends.ts';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { Rank, type DnssecStatus } from '../../src/cache/record-cache.ts';
import type { RR } from '../../src/dns/message.ts';

const MISS = { kind: 'miss', read: [] } as unknown as CacheMiss;
const noLease = { take: async () => undefined, wait: async () => false };

/** The driver with its serve-stale branch over `resolver`, without a cluster lease. */
function staleDriver(resolver: DriverResolver, reader: StaleReader, afterMs: number, stats: ReturnType<typeof newStats>, clock: ManualClock) {
  return createDriver({ resolver, lease: noLease, stale: { reader, afterMs }, stats, clock }).resolve;
}

async function world(t: { after(fn: () => Promise<void>): void }, staleWindowMs = 86_400_000) {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ maxBytes: 1 << 24 }, clock);
  const front = await openFrontEnd({ net: w.net, clock, store, keyPrefix: 's:', over: { staleWindowMs, prefetchPercent: 0 } }, t);
  return { ...w, clock, store, front };
}

test('cache_stale: every authoritative server dead after the TTL ran out: a stale answer, TTL 30, EDE 3', async (t) => {
  const w = await world(t);
  const fresh = await w.front.resolve(question('away.example.com'));
  assert.deepEqual(answerLines(fresh), ['away.example.com CNAME web.gluelss.com', 'web.gluelss.com A 192.0.2.20']);
  await w.front.resolve(question('www.example.com'));
  w.clock.advance(3_600_000);
  for (const server of ['ns1.example.com', 'ns.hoster.net']) w.server(server).faults.dead = true;
  for (const [name, address] of [['www.example.com', '192.0.2.10'], ['away.example.com', '192.0.2.20']] as const) {
    const r = await w.front.resolve(question(name));
    assert.equal(r.kind, 'answer', `${name}: ${JSON.stringify(r)}`);
    assert.ok(r.kind === 'answer');
    assert.equal(r.ede?.code, EdeCode.STALE_ANSWER);
    assert.ok(r.answer.every((rr) => rr.ttl === 30), 'RFC 8767 §4: a stale TTL of 30 s');
    assert.equal(r.answer.at(-1)!.data, address);
  }
  assert.equal(w.front.shared.stats.staleAnswers, 2);
});

test('cache_stale: past the stale window the failure stands; a live server is always preferred', async (t) => {
  const w = await world(t, 60_000);
  await w.front.resolve(question('www.example.com'));
  w.clock.advance(600_000 + 30_000);
  const live = await w.front.resolve(question('www.example.com'));
  assert.ok(live.kind === 'answer' && live.ede === undefined && live.answer[0]!.ttl === 600, 'resolved afresh, not stale');
  w.clock.advance(600_000 + 61_000);
  w.server('ns1.example.com').faults.dead = true;
  const gone = await w.front.resolve(question('www.example.com'));
  assert.equal(gone.kind, 'servfail');
});

test('cache_stale: a resolution slower than staleAfterMs is answered stale; no stale data means waiting for it', async (t) => {
  const w = await world(t);
  await w.front.resolve(question('www.example.com'));
  w.clock.advance(700_000);
  // The front-end filled the store; a wrapper of our own around a resolution that hangs reads it.
  const reader = new StaleReader({ cache: w.front.shared.cache, clock: w.clock, options: { staleTtl: 30 }, maxCnameChain: 8, validating: false });
  let finish: (r: Resolution) => void = () => {};
  const slow = (): Promise<Resolution> => new Promise((resolve) => (finish = resolve));
  const stats = newStats();
  // The real cache read; a resolution that hangs until the test finishes it.
  const resolve = staleDriver({ fromCache: (q) => w.front.resolver.fromCache(q), resolve: slow }, reader, 20, stats, w.clock);
  const stale = await resolve(question('www.example.com'));
  assert.ok(stale.kind === 'answer' && stale.ede?.code === EdeCode.STALE_ANSWER && stale.answer[0]!.ttl === 30);
  const waiting = resolve(question('nothing.example.com'));
  await new Promise((r) => setTimeout(r, 40));
  finish({ kind: 'nxdomain', answer: [], authority: [] });
  assert.equal((await waiting).kind, 'nxdomain', 'nothing stale to give: the resolution is awaited');
  assert.equal(stats.staleAnswers, 1);
});

test('cache_stale: with validation on, only data judged secure or insecure is served stale (never unchecked or indeterminate)', async () => {
  const clock = new ManualClock(Date.now());
  const cache = memoryRecordCache(clock);
  const rr = (name: string, ip: string): RR => ({ name, type: 'A', class: 'IN', ttl: 60, data: ip });
  const put = (name: string, status?: DnssecStatus) =>
    cache.putRRset({ name, type: 1, records: [rr(name, '192.0.2.1')], signatures: [], ...(status ? { status } : {}) }, Rank.AUTH_ANSWER);
  await put('secure.example', 'secure');
  await put('insecure.example', 'insecure');
  await put('unjudged.example');
  await put('indeterminate.example', 'indeterminate');
  // A chain whose stale target was never judged is not served either, though its CNAME was.
  await cache.putRRset({ name: 'alias.example', type: 5, records: [{ name: 'alias.example', type: 'CNAME', class: 'IN', ttl: 60, data: 'unjudged.example' }], signatures: [], status: 'secure' }, Rank.AUTH_ANSWER);
  clock.advance(120_000);
  const reader = new StaleReader({ cache, clock, options: { staleTtl: 30 }, maxCnameChain: 8, validating: true });
  const failing = async (): Promise<Resolution> => ({ kind: 'servfail', ede: { code: EdeCode.NO_REACHABLE_AUTHORITY, text: 'down' }, reason: 'down' });
  const stats = newStats();
  const resolve = staleDriver({ fromCache: async () => MISS, resolve: failing }, reader, 1000, stats, clock);
  for (const name of ['secure.example', 'insecure.example']) {
    const r = await resolve(question(name));
    assert.ok(r.kind === 'answer' && r.ede?.code === EdeCode.STALE_ANSWER && r.answer[0]!.ttl === 30, `${name}: ${JSON.stringify(r)}`);
  }
  for (const name of ['unjudged.example', 'indeterminate.example', 'alias.example']) {
    assert.equal((await resolve(question(name))).kind, 'servfail', `${name} must not be served stale`);
  }
  assert.equal(stats.staleAnswers, 2);
  // Without a validator nothing is ever judged: the unchecked entry is what the fresh path served.
  const plain = new StaleReader({ cache, clock, options: { staleTtl: 30 }, maxCnameChain: 8, validating: false });
  assert.equal((await plain.lookup(question('unjudged.example')))?.stale, true);
});

test('cache_stale: without DO, a stale answer loses its DNSSEC records by the fresh path\'s rule (RFC 4035 §3.2.1)', async () => {
  const clock = new ManualClock(Date.now());
  const cache = memoryRecordCache(clock);
  const name = 'signed.example';
  const sig: RR = { name, type: 'RRSIG', class: 'IN', ttl: 60, data: { typeCovered: 'A', algorithm: 13, labels: 2, originalTTL: 60, expiration: 2000000000, inception: 1700000000, keyTag: 1, signersName: 'example', signature: Buffer.alloc(64) } };
  await cache.putRRset({ name, type: 1, records: [{ name, type: 'A', class: 'IN', ttl: 60, data: '192.0.2.1' }], signatures: [sig], status: 'secure' }, Rank.AUTH_ANSWER);
  clock.advance(120_000);
  const reader = new StaleReader({ cache, clock, options: { staleTtl: 30 }, maxCnameChain: 8, validating: true });
  const plain = await reader.lookup(question(name));
  assert.deepEqual(plain?.resolution.answer.map((r) => r.type), ['A']);
  const withDo = await reader.lookup({ ...question(name), dnssecOk: true });
  assert.deepEqual(withDo?.resolution.answer.map((r) => r.type), ['A', 'RRSIG']);
});
