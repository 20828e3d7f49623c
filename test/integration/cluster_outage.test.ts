// Failure modes of Redis under real `andns serve` processes: a master dies (fail-over, no
// client-visible error), then every node dies (answers keep flowing: the breaker), then they come
// back (the shared tier is used again, no restart of andns).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { keySlot } from '../../src/shared-cache/slot.ts';
import { redisMissing, startRedisCluster } from '../harness/redis-cluster.ts';
import { simOnSockets, startAndns } from '../harness/andns-processes.ts';
import { until } from '../harness/store-contract.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping multi-process Redis outage test: ${skip}`);

test('cluster_outage: master fail-over and a whole-cluster outage cost no client-visible error; the shared tier returns by itself', { skip }, async (t) => {
  const cluster = await startRedisCluster(t);
  const sim = await simOnSockets(t, 11);
  const prefix = `out${process.pid}:`;
  const config = { sharedCache: { keyPrefix: prefix } };
  const procs = await Promise.all([0, 1].map(() => startAndns(t, sim, config, ['--redis', cluster.seeds.join(',')])));
  const names = sim.names;
  const ask = async (i: number): Promise<void> => {
    const name = names[i % names.length]!;
    const r = await procs[i % 2]!.query(name);
    assert.equal(r.rcode, 'NOERROR', `${name} from process ${i % 2}`);
    assert.ok((r.answers ?? []).length > 0, name);
  };
  for (let i = 0; i < 10; i++) await ask(i);

  // A master dies: keep asking until the cluster is whole again.
  const victim = await cluster.masterOf(keySlot(new KeySpace(prefix).rrset(names[0]!, 1)));
  await cluster.kill(victim);
  let healthy = false;
  const recovered = cluster.waitHealthy(20_000).then(() => (healthy = true));
  let asked = 0;
  while (!healthy) await ask(asked++);
  await recovered;
  assert.ok(asked >= 5, `${asked} answers during the fail-over`);
  assert.ok(!(await cluster.masters()).includes(victim), 'a replica took over');

  // Every node dies: answers keep flowing, quickly (the breaker fails fast).
  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i)));
  const started = Date.now();
  for (let i = 0; i < 30; i++) await ask(100 + i);
  assert.ok(Date.now() - started < 10_000, `30 answers took ${Date.now() - started} ms with Redis down`);

  // They come back: a name resolved through one process is answered by the other from Redis.
  await Promise.all(cluster.nodes.map((_, i) => cluster.restart(i)));
  await cluster.waitHealthy(20_000);
  let k = 200;
  await until(async () => {
    const name = names[k++ % names.length]!;
    await procs[0]!.query(`x${k}.${name}`);
    const before = sim.queries();
    await procs[1]!.query(`x${k}.${name}`);
    return sim.queries() === before;
  }, 30_000);
  for (const p of procs) assert.equal(await p.stop(), 0, 'drained and exited 0');
});
