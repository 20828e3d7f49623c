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

test('cache_failover: killing a master fails over with answers flowing, then the shared tier serves again', { skip }, async (t) => {
  const cluster = await startRedisCluster(t);
  const { fronts, names, queries } = await internetFrontEnds(t, cluster.seeds, 2);
  const [one, two] = [fronts[0]!, fronts[1]!];
  for (const n of names.slice(0, 10)) assert.equal((await one.resolve(question(n))).kind, 'answer', n);
  const warm = queries();
  for (const n of names.slice(0, 10)) await two.resolve(question(n));
  assert.equal(queries(), warm, 'shared before the failure');

  const victim = await cluster.masterOf(keySlot(one.shared.keys.rrset(names[0]!, 1)));
  await cluster.kill(victim);
  let healthy = false;
  const recovered = cluster.waitHealthy(20_000).then(() => (healthy = true));
  // Eight clients asking back to back over both front-ends through the fail-over, counted:
  // every query asked is answered, none fails (SERVFAIL) and none is dropped.
  let asked = 0;
  let answered = 0;
  const failures: string[] = [];
  const client = async (c: number): Promise<void> => {
    for (let i = c; !healthy; i += 8) {
      const name = names[i % 30]!;
      asked++;
      try {
        const r = await fronts[i % 2]!.resolve(question(name));
        if (r.kind === 'answer') answered++;
        else failures.push(`${name}: ${r.kind}`);
      } catch (err) {
        failures.push(`${name}: threw ${String(err)}`);
      }
      await sleep(5);
    }
  };
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(client));
  await recovered;
  assert.deepEqual(failures, [], 'no failed query');
  assert.equal(answered, asked, 'every query answered');
  assert.ok(answered > 10, `${answered} answers during the fail-over`);
  assert.ok(!(await cluster.masters()).includes(victim), 'a replica took over');

  // Fresh names: resolved by one front-end, then answered by the other from Redis alone.
  await untilShared(one, two, names, queries, 30, 15_000);
});
