// Prefetch on the memory store: an answer asked for in the last 10 % of its TTL is refreshed in
// the background before it expires (clients never miss), once per cluster, not once per front-end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { smallWorld } from '../sim/small-world.ts';
import { openFrontEnd, question, type FrontEnd } from '../harness/frontends.ts';
import { until } from '../harness/store-contract.ts';

async function world(t: { after(fn: () => Promise<void>): void }, count: number) {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ maxBytes: 1 << 24 }, clock);
  const fronts: FrontEnd[] = [];
  for (let i = 0; i < count; i++) fronts.push(await openFrontEnd({ net: w.net, clock, store, keyPrefix: 'p:' }, t));
  const idle = () => until(() => fronts.every((f) => f.driver.prefetcher!.backlog === 0));
  return { ...w, clock, fronts, idle, example: () => w.server('ns1.example.com').queries };
}

const ttlOf = (r: Awaited<ReturnType<FrontEnd['resolve']>>): number => (r.kind === 'answer' ? r.answer[0]!.ttl! : -1);

test('cache_prefetch: an answer read in the last 10 % of its TTL is refreshed before it expires', async (t) => {
  const w = await world(t, 1);
  const [fe] = w.fronts;
  assert.equal(ttlOf(await fe!.resolve(question('www.example.com'))), 600);
  const before = w.example();
  w.clock.advance(500_000); // 100 s left of 600: not yet in the last 10 %
  assert.equal(ttlOf(await fe!.resolve(question('www.example.com'))), 100);
  await w.idle();
  assert.equal(w.example(), before, 'no refresh before the last 10 %');
  w.clock.advance(50_000); // 50 s left
  assert.equal(ttlOf(await fe!.resolve(question('www.example.com'))), 50, 'the client is answered from the cache at once');
  await w.idle();
  assert.equal(w.example(), before + 1, 'one upstream query refreshed it, before expiry');
  assert.equal(fe!.shared.stats.prefetchDone, 1);
  w.clock.advance(60_000); // past the old expiry
  assert.equal(ttlOf(await fe!.resolve(question('www.example.com'))), 540, 'the refreshed answer, no miss');
  assert.equal(w.example(), before + 1);
});

test('cache_prefetch: three front-ends reading the same near-expiry answer refresh it once', async (t) => {
  const w = await world(t, 3);
  await w.fronts[0]!.resolve(question('www.example.com'));
  w.clock.advance(570_000);
  const before = w.example();
  const answers = await Promise.all(w.fronts.map((f) => f.resolve(question('www.example.com'))));
  assert.ok(answers.every((a) => ttlOf(a) === 30));
  await w.idle();
  for (const f of w.fronts) await f.resolve(question('www.example.com'));
  await w.idle();
  assert.equal(w.example(), before + 1, 'one refresh for the whole cluster');
  assert.equal(w.fronts.reduce((n, f) => n + f.shared.stats.prefetchDone, 0), 1);
});
