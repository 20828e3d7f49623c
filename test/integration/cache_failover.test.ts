// Failure mode: a Redis master dies. Its replica takes over, answers never stop (misses resolve
// upstream meanwhile), and once the cluster is whole again the shared tier serves again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keySlot } from '../../src/shared-cache/slot.ts';
import { redisMissing, startRedisCluster } from '../harness/redis-cluster.ts';
import { internetFrontEnds, question, untilShared } from '../harness/frontends.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping Redis fail-over test: ${skip}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const breaker = { failureThreshold: 3, openMs: 200, maxOpenMs: 1000 };

test('cache_failover: killing a master fails over with answers flowing, then the shared tier serves again', { skip }, async (t) => {
  const cluster = await startRedisCluster(t);
  const { fronts, names, queries } = await internetFrontEnds(t, cluster.seeds, 2, { breaker });
  const [one, two] = [fronts[0]!, fronts[1]!];
  for (const n of names.slice(0, 10)) assert.equal((await one.resolve(question(n))).kind, 'answer', n);
  const warm = queries();
  for (const n of names.slice(0, 10)) await two.resolve(question(n));
  assert.equal(queries(), warm, 'shared before the failure');

  const victim = await cluster.masterOf(keySlot(one.shared.keys.rrset(names[0]!, 1)));
  await cluster.kill(victim);
  let healthy = false;
  const recovered = cluster.waitHealthy(20_000).then(() => (healthy = true));
  let answered = 0;
  for (let i = 0; !healthy; i++) {
    const name = names[i % 30]!;
    const r = await fronts[i % 2]!.resolve(question(name));
    assert.equal(r.kind, 'answer', `${name} during fail-over: ${JSON.stringify(r)}`);
    answered++;
    await sleep(10);
  }
  await recovered;
  assert.ok(answered > 10, `${answered} answers during the fail-over`);
  assert.ok(!(await cluster.masters()).includes(victim), 'a replica took over');

  // Fresh names: resolved by one front-end, then answered by the other from Redis alone.
  await untilShared(one, two, names, queries, 30, 15_000);
});
