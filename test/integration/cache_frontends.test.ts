// Several front-ends on one Redis Cluster over the simulated internet: what one resolves the
// others answer with no upstream query and the same TTL; delegations are shared; a burst for
// one cold name over four front-ends costs one resolution; flushes reach every front-end;
// garbage in a key is a miss.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { keySlot } from '../../src/shared-cache/slot.ts';
import { smallWorld } from '../sim/small-world.ts';
import { command } from '../harness/resp.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.ts';
import { answerLines, openFrontEnd, question, type FrontEnd } from '../harness/frontends.ts';
import { until } from '../harness/store-contract.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping Redis Cluster front-end tests: ${skip}`);
let cluster: RedisCluster;
before(async () => {
  if (!skip) cluster = await startRedisCluster();
});
after(async () => cluster?.stop());

let n = 0;
// Sharing is counted in upstream queries: a read over the 25 ms budget on a busy machine would be
// a miss and an extra query, so these tests of sharing (not of deadlines) allow more.
const relaxed = { readBudgetMs: 1000, commandTimeoutMs: 1000 };
async function world(t: { after(fn: () => Promise<void>): void }, count: number) {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const keyPrefix = `fe${++n}:`;
  const fronts: FrontEnd[] = [];
  for (let i = 0; i < count; i++) fronts.push(await openFrontEnd({ net: w.net, clock, redis: cluster.seeds, keyPrefix, redisOver: relaxed }, t));
  return { ...w, clock, fronts, keyPrefix, queries: () => w.net.totals().queries };
}

test('cache_frontends: a name resolved by one front-end is answered by another with no upstream query and the same TTL', { skip }, async (t) => {
  const w = await world(t, 2);
  const [one, two] = w.fronts;
  const first = await one!.resolve(question('www.example.com'));
  assert.deepEqual(answerLines(first), ['www.example.com A 192.0.2.10']);
  assert.ok(first.kind === 'answer' && first.answer[0]!.ttl === 600);
  const before = w.queries();
  assert.ok(before > 0);
  w.clock.advance(7_300);
  const second = await two!.resolve(question('www.example.com'));
  const again = await one!.resolve(question('www.example.com'));
  assert.equal(w.queries(), before, 'no upstream query from the second front-end');
  assert.deepEqual(answerLines(second), answerLines(first));
  assert.ok(second.kind === 'answer' && again.kind === 'answer');
  assert.ok(Math.abs(second.answer[0]!.ttl! - again.answer[0]!.ttl!) <= 1, `TTLs ${second.answer[0]!.ttl} and ${again.answer[0]!.ttl}`);
  assert.ok(Math.abs(second.answer[0]!.ttl! - (600 - 7.3)) <= 1, 'the TTL counts down from the same absolute expiry');
  assert.ok(two!.shared.stats.storeHits > 0);
});

test('cache_frontends: CNAME chains and negative answers (RFC 8020 too) are shared', { skip }, async (t) => {
  const w = await world(t, 2);
  const [one, two] = w.fronts;
  const away = answerLines(await one!.resolve(question('away.example.com')));
  assert.equal((await one!.resolve(question('nope.example.com'))).kind, 'nxdomain');
  assert.equal((await one!.resolve(question('only-a.example.com', 28))).kind, 'nodata');
  const before = w.queries();
  assert.deepEqual(answerLines(await two!.resolve(question('away.example.com'))), away);
  assert.equal((await two!.resolve(question('nope.example.com'))).kind, 'nxdomain');
  assert.equal((await two!.resolve(question('deep.below.nope.example.com'))).kind, 'nxdomain');
  assert.equal((await two!.resolve(question('only-a.example.com', 28))).kind, 'nodata');
  assert.equal(w.queries(), before);
});

test('cache_frontends: a new front-end starts from the deepest delegation the cluster knows', { skip }, async (t) => {
  const w = await world(t, 2);
  await w.fronts[0]!.resolve(question('www.example.com'));
  const root = w.server('a.root').queries;
  const com = w.server('ns.com').queries;
  const example = w.server('ns1.example.com').queries;
  assert.deepEqual(answerLines(await w.fronts[1]!.resolve(question('only-a.example.com'))), ['only-a.example.com A 192.0.2.11']);
  assert.equal(w.server('a.root').queries, root, 'no priming, no root referral');
  assert.equal(w.server('ns.com').queries, com);
  assert.equal(w.server('ns1.example.com').queries, example + 1, 'straight to the example.com server');
});

test('cache_frontends: twenty concurrent clients over four front-ends cost one resolution upstream', { skip }, async (t) => {
  for (const name of ['www.example.com', 'away.example.com']) {
    const baseline = smallWorld();
    await baseline.resolver.resolve(question(name));
    const oneResolution = baseline.net.totals().queries;
    const w = await world(t, 4);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => w.fronts[i % 4]!.resolve(question(name))));
    for (const a of answers) assert.deepEqual(answerLines(a), answerLines(answers[0]!));
    assert.equal(w.queries(), oneResolution, `${name}: ${w.queries()} upstream queries, one resolution is ${oneResolution}`);
    const leases = w.fronts.reduce((s, f) => s + f.shared.stats.leasesTaken, 0);
    assert.equal(leases, 1, 'one front-end held the lease');
  }
});

test('cache_frontends: a flush on one front-end sends the next query of every other upstream', { skip }, async (t) => {
  const w = await world(t, 3);
  for (const f of w.fronts) await f.resolve(question('www.example.com'));
  const before = w.server('ns1.example.com').queries;
  assert.equal(before, 1);
  const heard = [0, 0, 0];
  for (const [i, f] of w.fronts.entries()) await f.shared.flusher.onFlush(() => heard[i]!++);
  await w.fronts[0]!.shared.flusher.flush({ kind: 'name', name: 'www.example.com' });
  // Pub/sub: every front-end hears it (and drops it from its hot map) within moments.
  await until(() => heard[1]! > 0 && heard[2]! > 0);
  await w.fronts[2]!.resolve(question('www.example.com'));
  assert.equal(w.server('ns1.example.com').queries, before + 1, 'the flushed name went upstream again');
  await w.fronts[1]!.resolve(question('www.example.com'));
  assert.equal(w.server('ns1.example.com').queries, before + 1, 'and is shared again');
  // A subtree flush takes the delegation too: the next query starts higher up.
  const heardBefore = heard[0]!;
  await w.fronts[1]!.shared.flusher.flush({ kind: 'subtree', name: 'example.com' });
  await until(() => heard[0]! > heardBefore);
  const com = w.server('ns.com').queries;
  await w.fronts[0]!.resolve(question('www.example.com'));
  assert.equal(w.server('ns.com').queries, com + 1);
});

test('cache_frontends: garbage written into a key by hand is a miss, then replaced', { skip }, async (t) => {
  const w = await world(t, 2);
  await w.fronts[0]!.resolve(question('www.example.com'));
  const key = w.fronts[0]!.shared.keys.rrset('www.example.com', 1);
  // Write it as an operator would with redis-cli: straight to the node that owns the slot.
  let written = false;
  for (const node of cluster.nodes) {
    const reply = await command(node.port, ['SET', key, 'GARBAGE \u0001\u0001\u0006 not a value']);
    if (reply === 'OK') written = true;
    if (written) break;
  }
  assert.ok(written, `no node took slot ${keySlot(key)}`);
  const before = w.server('ns1.example.com').queries;
  const r = await w.fronts[1]!.resolve(question('www.example.com'));
  assert.deepEqual(answerLines(r), ['www.example.com A 192.0.2.10']);
  assert.equal(w.server('ns1.example.com').queries, before + 1, 'treated as a miss: resolved again');
  assert.ok(w.fronts[1]!.shared.stats.corrupt >= 1, 'counted');
});
