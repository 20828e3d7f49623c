// Real `andns serve` processes on one Redis Cluster over the simulated internet on sockets: what
// one resolved the others answer with no upstream query and the same TTL; a burst over four
// processes costs one resolution; `andns cache flush` on one empties every other's memory;
// garbage in a key is a miss; serve-stale with every server dead; prefetch before expiry.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EdeCode } from '../../src/dns/constants.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { command } from '../harness/resp.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.ts';
import { answerData, edeCode, firstTtl, simOnSockets, startAndns, type AndnsProcess, type SimOnSockets } from '../harness/andns-processes.ts';
import { until } from '../harness/store-contract.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping multi-process Redis Cluster tests: ${skip}`);
let cluster: RedisCluster;
before(async () => {
  if (!skip) cluster = await startRedisCluster();
});
after(async () => cluster?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
type T = { after(fn: () => Promise<void> | void): void };

/** `count` processes sharing one key prefix on the cluster, with `sharedCache`/`cache` settings. */
async function fleet(t: T, sim: SimOnSockets, count: number, config: Record<string, unknown> = {}): Promise<{ procs: AndnsProcess[]; prefix: string }> {
  const prefix = `mp${process.pid}-${++n}:`;
  const sc = (config['sharedCache'] as Record<string, unknown> | undefined) ?? {};
  // These tests count sharing in upstream queries; a read over the 25 ms budget on a busy
  // machine would be a miss and one query more, so they allow a longer one.
  const full = { ...config, sharedCache: { redisReadBudgetMs: 1000, redisCommandTimeoutMs: 1000, ...sc, keyPrefix: prefix } };
  const procs = await Promise.all(Array.from({ length: count }, () => startAndns(t, sim, full, ['--redis', cluster.seeds.join(',')])));
  return { procs, prefix };
}

test('cluster_processes: a name resolved through one process is answered by another with no upstream query, TTLs within a second', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  const { procs: [a, b] } = await fleet(t, sim, 2);
  const name = sim.names[0]!;
  const first = await a!.query(name);
  assert.equal(first.rcode, 'NOERROR');
  assert.ok(first.answers!.length > 0);
  const resolved = sim.queries();
  await sleep(1200);
  const second = await b!.query(name);
  const again = await a!.query(name);
  assert.equal(sim.queries(), resolved, 'zero upstream queries for the second process');
  assert.deepEqual(answerData(second), answerData(again));
  assert.ok(Math.abs(firstTtl(second) - firstTtl(again)) <= 1, `TTLs ${firstTtl(second)} and ${firstTtl(again)}`);
  assert.ok(firstTtl(second) < firstTtl(first), 'the TTL counts down from the shared absolute expiry');
});

test('cluster_processes: twenty clients asking one cold name over four processes cost one resolution upstream', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  const name = sim.names[3]!;
  // Baseline: the same cold question through one process with its own embedded cache.
  const lone = await startAndns(t, sim, {});
  const start = sim.queries();
  assert.equal((await lone.query(name)).rcode, 'NOERROR');
  const one = sim.queries() - start;
  assert.ok(one >= 2, `one resolution sends several queries (${one})`);
  await lone.stop();

  const { procs } = await fleet(t, sim, 4);
  const before = sim.queries();
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => procs[i % 4]!.query(name)));
  for (const r of replies) assert.deepEqual(answerData(r), answerData(replies[0]!));
  assert.equal(sim.queries() - before, one, 'the simulated servers saw one resolution, not four');
});

test('cluster_processes: andns cache flush on one process makes the next query on every other go upstream', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  // A long hot-tier cap, so that only the flush can make the others let go of their copies.
  const { procs } = await fleet(t, sim, 3, { sharedCache: { hotMaxAgeMs: 600_000 } });
  const [a, b, c] = procs as [AndnsProcess, AndnsProcess, AndnsProcess];
  const name = sim.names[5]!;
  const fullTtl = firstTtl(await a.query(name));
  await b.query(name);
  await c.query(name);
  await sleep(2100);
  assert.ok(firstTtl(await b.query(name)) <= fullTtl - 2, 'b answers its counting-down copy');
  assert.match(await a.flush(name), /flushed .*: 1 shared-cache key deleted/);
  await sleep(200);
  const before = sim.queries();
  const fromB = await b.query(name);
  assert.ok(sim.queries() > before, 'b went upstream');
  const afterB = sim.queries();
  const fromC = await c.query(name);
  assert.ok(firstTtl(fromB) >= fullTtl - 1 && firstTtl(fromC) >= fullTtl - 1, `fresh TTLs ${firstTtl(fromB)}, ${firstTtl(fromC)} of ${fullTtl}`);
  assert.equal(sim.queries(), afterB, "c took b's fresh answer from Redis, not its own flushed copy");
  assert.match(await c.flush('--all'), /flushed everything/);
});

test('cluster_processes: garbage written into a key by hand is a miss, resolved and replaced', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  const { procs: [a, b], prefix } = await fleet(t, sim, 2);
  const name = sim.names[7]!;
  const good = await a!.query(name);
  const key = new KeySpace(prefix).rrset(name, 1);
  let written = false;
  for (const node of cluster.nodes) {
    if ((await command(node.port, ['SET', key, 'GARBAGE \u0001\u0001\u0006 not a value'])) === 'OK') {
      written = true;
      break;
    }
  }
  assert.ok(written, 'some master took the key');
  const before = sim.queries();
  const r = await b!.query(name);
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(answerData(r), answerData(good));
  assert.ok(sim.queries() > before, 'treated as a miss: resolved again');
});

test('cluster_processes: every authoritative server dead after the TTL ran out: a stale answer with TTL 30 and EDE 3', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  // TTLs capped at 1 s so that the data expires within the test.
  const { procs: [a, b] } = await fleet(t, sim, 2, { cache: { maxTtl: 1 }, sharedCache: { prefetchPercent: 0 } });
  const name = sim.names[9]!;
  const fresh = await a!.query(name);
  assert.equal(fresh.rcode, 'NOERROR');
  await sleep(2200);
  for (const server of sim.internet.network.servers()) server.faults.dead = true;
  const stale = await b!.query(name);
  assert.equal(stale.rcode, 'NOERROR', 'answered, from the other process’s data');
  assert.deepEqual(answerData(stale), answerData(fresh));
  assert.equal(firstTtl(stale), 30);
  assert.equal(edeCode(stale), EdeCode.STALE_ANSWER);
});

test('cluster_processes: a popular entry near expiry is refreshed before it expires, and clients never see a miss', { skip }, async (t) => {
  const sim = await simOnSockets(t);
  // TTL 4 s, refreshed in its last 50 %; the hot tier checks Redis every 200 ms.
  const { procs: [a, b] } = await fleet(t, sim, 2, { cache: { maxTtl: 4 }, sharedCache: { prefetchPercent: 50, hotMaxAgeMs: 200 } });
  const name = sim.names[11]!;
  const t0 = Date.now();
  assert.equal((await a!.query(name)).rcode, 'NOERROR');
  const resolved = sim.queries();
  await sleep(2300);
  // In the last half of the TTL: answered from the cache at once, refreshed behind it.
  const near = await b!.query(name);
  assert.ok(firstTtl(near) >= 1 && firstTtl(near) <= 2, `TTL ${firstTtl(near)} near expiry`);
  await until(() => sim.queries() > resolved, 1500);
  assert.ok(Date.now() - t0 < 4000, 'the upstream refresh came before the old expiry');
  const refreshed = sim.queries();
  await sleep(Math.max(0, 4300 - (Date.now() - t0)));
  for (const p of [a!, b!]) {
    const r = await p.query(name);
    assert.equal(r.rcode, 'NOERROR');
    assert.ok(firstTtl(r) >= 1, 'a refreshed answer');
  }
  assert.equal(sim.queries(), refreshed, 'no miss after the old expiry: nothing went upstream');
});
