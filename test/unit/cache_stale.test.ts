// Serve-stale (RFC 8767) on the memory store: when every authoritative server is dead after the
// TTL ran out, the answer comes from expired data with TTL 30 and EDE 3, within the stale window
// only; a resolution slower than the client deadline is answered stale and still refreshes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdeCode } from '../../src/dns/constants.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { StaleReader } from '../../src/shared-cache/stale.ts';
import { servingStale } from '../../src/shared-cache/serve-stale.ts';
import { newStats } from '../../src/shared-cache/stats.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { smallWorld } from '../sim/small-world.ts';
import { answerLines, openFrontEnd, question } from '../harness/frontends.ts';

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
  const { store, clock } = w;
  const keys = new KeySpace('s:');
  const reader = new StaleReader({ store, keys, clock, options: { staleTtl: 30 }, maxCnameChain: 8 });
  let finish: (r: Resolution) => void = () => {};
  const slow = (): Promise<Resolution> => new Promise((resolve) => (finish = resolve));
  const stats = newStats();
  const resolve = servingStale(slow, { reader, options: { staleAfterMs: 20 }, stats });
  const stale = await resolve(question('www.example.com'));
  assert.ok(stale.kind === 'answer' && stale.ede?.code === EdeCode.STALE_ANSWER && stale.answer[0]!.ttl === 30);
  const waiting = resolve(question('nothing.example.com'));
  await new Promise((r) => setTimeout(r, 40));
  finish({ kind: 'nxdomain', answer: [], authority: [] });
  assert.equal((await waiting).kind, 'nxdomain', 'nothing stale to give: the resolution is awaited');
  assert.equal(stats.staleAnswers, 1);
});
