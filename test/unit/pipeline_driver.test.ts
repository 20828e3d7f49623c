// The driver (pipeline/driver.ts) on the production cache over the memory store: one cache read
// per query (a lease holder's resolution does not read the same keys again), RD=0 answered from
// the cache alone, hits counted as the shared tier.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { smallWorld } from '../sim/small-world.ts';
import { answerLines, openFrontEnd, question } from '../harness/frontends.ts';

/** The embedded store, counting how often each key is read. */
class CountingStore extends MemoryStore {
  readonly reads = new Map<string, number>();
  override mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    for (const k of keys) this.reads.set(k, (this.reads.get(k) ?? 0) + 1);
    return super.mget(keys);
  }
}

async function world(t: { after(fn: () => Promise<void>): void }) {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const store = new CountingStore({ maxBytes: 1 << 24 }, clock);
  const front = await openFrontEnd({ net: w.net, clock, store, keyPrefix: 'd:', over: { prefetchPercent: 0 } }, t);
  return { ...w, clock, store, front };
}

test('driver: a cold miss reads each of the question\'s keys once, the ancestors\' NXDOMAIN keys too', async (t) => {
  const w = await world(t);
  const r = await w.front.resolve(question('www.example.com'));
  assert.deepEqual(answerLines(r), ['www.example.com A 192.0.2.10']);
  const own = ['d:{www.example.com.}|1|1', 'd:{www.example.com.}|nx|1', 'd:{www.example.com.}|5|1', 'd:{example.com.}|nx|1', 'd:{com.}|nx|1'];
  for (const key of own) assert.equal(w.store.reads.get(key), 1, `${key} read ${w.store.reads.get(key) ?? 0} times`);
  assert.equal(w.front.shared.stats.leasesTaken, 1, 'it resolved as the lease holder');
});

test('driver: RD=0 is answered from the cache alone; nothing there is REFUSED, and nobody upstream is asked', async (t) => {
  const w = await world(t);
  const rd0 = { ...question('www.example.com'), recursionDesired: false };
  const miss = await w.front.resolve(rd0);
  assert.equal(miss.kind, 'refused');
  assert.equal(w.net.totals().queries, 0);
  await w.front.resolve(question('www.example.com'));
  const before = w.net.totals().queries;
  assert.deepEqual(answerLines(await w.front.resolve(rd0)), ['www.example.com A 192.0.2.10']);
  assert.equal(w.net.totals().queries, before);
  assert.ok(w.front.driver.answeredFromCache.has(await w.front.resolve(question('www.example.com'))), 'a hit is the shared tier');
});
