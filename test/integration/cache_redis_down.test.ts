// Failure mode: every Redis node dies. Every master's circuit opens, answers keep flowing from
// memory and from resolution, and when the nodes come back the circuits close and the shared
// tier serves again — no restart, no operator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisMissing, startRedisCluster } from '../harness/redis-cluster.ts';
import { internetFrontEnds, question, untilShared } from '../harness/frontends.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping Redis outage test: ${skip}`);

test('cache_redis_down: with every node dead answers keep flowing; after a restart the shared tier serves again', { skip }, async (t) => {
  const cluster = await startRedisCluster(t);
  const { fronts, names, queries } = await internetFrontEnds(t, cluster.seeds, 2);
  const [one, two] = [fronts[0]!, fronts[1]!];
  for (const n of names.slice(0, 5)) await one.resolve(question(n));

  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i)));
  for (const [i, n] of names.slice(0, 30).entries()) {
    const r = await fronts[i % 2]!.resolve(question(n));
    assert.equal(r.kind, 'answer', `${n} with Redis down: ${JSON.stringify(r)}`);
  }
  // Circuits opened on both: lookups fail fast instead of waiting out a command timeout each
  // (how fast an open breaker answers is proven on a fake clock in cache_breaker.test.ts).
  assert.notEqual(one.shared.health?.state, 'healthy', 'circuits opened');
  assert.ok((one.shared.health?.trips ?? 0) >= 1 && (two.shared.health?.trips ?? 0) >= 1);

  await Promise.all(cluster.nodes.map((_, i) => cluster.restart(i)));
  await cluster.waitHealthy(20_000);
  await untilShared(one, two, names, queries, 30, 20_000);
  assert.equal(one.shared.health?.state, 'healthy');
});
