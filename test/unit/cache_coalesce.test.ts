// Cluster-wide coalescing on the memory store: one lease holder resolves, waiters answer from
// the shared cache; a dead holder or a broken store only means resolving locally.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import type { SharedStore } from '../../src/shared-cache/store.ts';
import { smallWorld } from '../sim/small-world.ts';
import { answerLines, openFrontEnd, question } from '../harness/frontends.ts';

async function world(t: { after(fn: () => Promise<void>): void }, count: number, store?: SharedStore, leaseMs = 2000) {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const shared = store ?? new MemoryStore({ maxBytes: 1 << 24 }, clock);
  const fronts = [];
  for (let i = 0; i < count; i++) fronts.push(await openFrontEnd({ net: w.net, clock, store: shared, keyPrefix: 'c:', over: { leaseMs, leasePollMs: 10 } }, t));
  return { ...w, store: shared, fronts, queries: () => w.net.totals().queries };
}

test('cache_coalesce: a burst over four front-ends costs one resolution (memory store)', async (t) => {
  const baseline = smallWorld();
  await baseline.resolver.resolve(question('away.example.com'));
  const w = await world(t, 4);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => w.fronts[i % 4]!.resolve(question('away.example.com'))));
  for (const a of answers) assert.deepEqual(answerLines(a), answerLines(answers[0]!));
  assert.equal(w.queries(), baseline.net.totals().queries);
  assert.equal(w.fronts.reduce((n, f) => n + f.shared.stats.leaseWaits, 0), 3, 'three front-ends waited');
});

test('cache_coalesce: cache hits take no lease', async (t) => {
  const w = await world(t, 2);
  await w.fronts[0]!.resolve(question('www.example.com'));
  await w.fronts[1]!.resolve(question('www.example.com'));
  assert.equal(w.fronts[1]!.shared.stats.leasesTaken + w.fronts[1]!.shared.stats.leaseWaits, 0);
});

test('cache_coalesce: a lease holder that died delays waiters only until its lease ends', async (t) => {
  const w = await world(t, 1, undefined, 150);
  const key = w.fronts[0]!.shared.keys.lease(question('www.example.com'));
  assert.ok(await w.store.lease(key, 150), 'a "process" takes the lease and dies');
  const started = Date.now();
  const r = await w.fronts[0]!.resolve(question('www.example.com'));
  assert.deepEqual(answerLines(r), ['www.example.com A 192.0.2.10']);
  assert.ok(Date.now() - started >= 140, 'waited for the lease');
  assert.equal(w.fronts[0]!.shared.stats.leaseFallbacks, 1, 'then resolved itself');
});

test('cache_coalesce: a store that fails means resolving locally, at once', async (t) => {
  const broken = new MemoryStore({ maxBytes: 1 << 20 }, new ManualClock());
  for (const m of ['mget', 'setRanked', 'lease', 'release', 'publish'] as const) {
    (broken as unknown as Record<string, () => Promise<never>>)[m] = () => Promise.reject(new Error('down'));
  }
  const w = await world(t, 2, broken);
  for (const f of w.fronts) assert.deepEqual(answerLines(await f.resolve(question('www.example.com'))), ['www.example.com A 192.0.2.10']);
  // Each front-end resolved on its own (no shared tier), but its own memory still answers.
  const before = w.queries();
  assert.deepEqual(answerLines(await w.fronts[0]!.resolve(question('www.example.com'))), ['www.example.com A 192.0.2.10']);
  assert.equal(w.queries(), before, 'served from the hot map while the store is down');
});
