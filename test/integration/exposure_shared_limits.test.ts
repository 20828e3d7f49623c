// Rate limits shared by the cluster on a real Redis Cluster: two front-ends (each its own Redis
// connection, guard and sync) meet one budget per client prefix; with Redis away each keeps
// limiting on its own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { parseAddress } from '../../src/policy/address.ts';
import { BucketSync } from '../../src/policy/bucket-sync.ts';
import { ExposureGuard } from '../../src/policy/guard.ts';
import { defaultRateLimit } from '../../src/policy/options.ts';
import { Verdict } from '../../src/policy/rrl.ts';
import { redisOptions } from '../../src/shared-cache/options.ts';
import { RedisClusterStore } from '../../src/shared-cache/redis-store.ts';
import { RedisBuckets } from '../../src/shared-cache/shared-buckets.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { simOnSockets, startAndns } from '../harness/andns-processes.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.ts';
import { rawQuery } from '../unit/server-packets.ts';

const skip = redisMissing();
let cluster: RedisCluster;
const stores: RedisClusterStore[] = [];
let run = 0;

before(async () => {
  if (skip) return;
  cluster = await startRedisCluster();
});
after(async () => {
  for (const s of stores) await s.close();
  await cluster?.stop();
});

async function frontEnd(clock: ManualClock, prefix: string) {
  const store = new RedisClusterStore(redisOptions(cluster.seeds.slice(0, 2), { commandTimeoutMs: 1000 }), silentLogger);
  stores.push(store);
  await store.ready();
  const guard = new ExposureGuard({
    rateLimit: { ...defaultRateLimit, responsesPerSecond: 10, slip: 0, clientQueriesPerSecond: 0, exempt: [] },
    cookies: { enabled: false, secret: undefined, previousSecret: undefined, requireOverUdp: false },
  });
  const sync = new BucketSync({ guard, shared: new RedisBuckets(store.cluster, 1000), clock, log: silentLogger, keyPrefix: prefix, intervalMs: 100 });
  return { guard, sync, store };
}

/** A NOERROR answer to www.example. */
const reply = (): Buffer => {
  const r = rawQuery({ name: 'www.example' });
  r.writeUInt16BE(0x8180, 2);
  r.writeUInt16BE(1, 6);
  return r;
};

function sent(guard: ExposureGuard, n: number, now: number, source = '198.51.100.7'): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    guard.see(source);
    if (guard.judge(reply(), now) === Verdict.SEND) count++;
  }
  return count;
}

test('two front-ends share one budget per prefix through Redis Cluster', { skip: skip ?? false }, async () => {
  const clock = new ManualClock();
  const prefix = `andns-test-${process.pid}-${run++}:`;
  const a = await frontEnd(clock, prefix);
  const b = await frontEnd(clock, prefix);
  assert.equal(sent(a.guard, 10, clock.now()), 10, 'A spends the whole budget of 10');
  await a.sync.sync();
  assert.equal(sent(b.guard, 1, clock.now(), '198.51.100.99'), 1, 'B has its local allowance until it syncs');
  await b.sync.sync();
  assert.equal(a.sync.syncs + b.sync.syncs, 2);
  assert.equal(sent(b.guard, 10, clock.now(), '198.51.100.8'), 0, 'after the sync B knows the prefix spent the budget');
  // Another prefix is untouched; and a second later the shared budget has refilled for both.
  assert.equal(sent(b.guard, 5, clock.now(), '203.0.113.1'), 5);
  clock.advance(1000);
  await a.sync.sync();
  const afterRefill = sent(a.guard, 20, clock.now()) + sent(b.guard, 20, clock.now());
  assert.ok(afterRefill <= 10 + 10 + 1, `${afterRefill} answers a second later across both`);
  await b.sync.sync();
  await a.sync.sync();
  clock.advance(100);
  // Once both have synced, together they send about rate × time, not twice it.
  assert.ok(sent(a.guard, 10, clock.now()) + sent(b.guard, 10, clock.now()) <= 2);
});

test('with Redis away the limits are per process: local buckets go on limiting', { skip: skip ?? false }, async () => {
  const clock = new ManualClock();
  const a = await frontEnd(clock, `andns-test-${process.pid}-${run++}:`);
  await a.store.close(); // this front-end's Redis connection is gone
  assert.equal(sent(a.guard, 15, clock.now()), 10, 'the local bucket still holds the rate');
  await a.sync.sync();
  assert.equal(a.sync.failures, 1, 'the failed sync is counted, nothing thrown');
  clock.advance(500);
  assert.equal(sent(a.guard, 10, clock.now()), 5, 'and refills locally');
});

/** UDP queries for `name` from one socket, alternating between the front-ends, `perSecond` each, for `seconds`; full answers counted. */
async function flood(ports: number[], name: string, perSecond: number, seconds: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  let full = 0;
  sock.on('message', (m) => {
    if ((m[2]! & 0x02) === 0 && m.readUInt16BE(6) > 0) full++;
  });
  const ticks = seconds * 20;
  for (let tick = 0; tick < ticks; tick++) {
    for (const port of ports) for (let i = 0; i < perSecond / 20; i++) sock.send(rawQuery({ id: (tick * 64 + i) & 0xffff, name }), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  sock.close();
  return full;
}

test('two andns processes on one Redis Cluster answer a flood from one prefix with one budget, not two', { skip: skip ?? false }, async (t) => {
  const sim = await simOnSockets(t, 11, 10);
  const name = sim.names[0]!;
  const config = { rateLimit: { responsesPerSecond: 20, slip: 0, clientQueriesPerSecond: 0, exempt: [], syncIntervalMs: 20 } };
  const alone = await Promise.all([startAndns(t, sim, config), startAndns(t, sim, config)]);
  const shared = await Promise.all([0, 1].map(() => startAndns(t, sim, { ...config, sharedCache: { keyPrefix: `andns-rl-${process.pid}:` } }, ['--redis', cluster.seeds.join(',')])));
  for (const p of [...alone, ...shared]) assert.equal((await p.query(name)).rcode, 'NOERROR');
  await new Promise((r) => setTimeout(r, 1100)); // buckets full again
  const separate = await flood(alone.map((p) => p.port), name, 200, 3);
  const together = await flood(shared.map((p) => p.port), name, 200, 3);
  t.diagnostic(`full answers in 3 s at 20/s: ${separate} from two separate front-ends, ${together} with one shared budget`);
  // Separate budgets: about 2 × (20 + 3 × 20) = 160. One budget: about 20 + 3 × 20, plus one
  // burst and a sync interval's refill for the second front-end.
  assert.ok(separate >= 120, `${separate} full answers from two separate front-ends`);
  assert.ok(together <= 0.8 * separate, `${together} full answers with the shared budget vs ${separate} separately`);
  for (const p of [...alone, ...shared]) await p.stop();
});
