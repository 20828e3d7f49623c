// Redis memory per cached name, for the README's sizing advice: INFO memory (used_memory) and
// DBSIZE summed over the masters before and after one andns front-end resolves N distinct names
// of the simulated internet through a six-node Redis Cluster. Run after a build:
//   node dist/loadtest/faults/memory.js [N]

import { command } from '../../test/harness/resp.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../../test/harness/redis-cluster.ts';
import { simOnSockets, startAndns } from '../../test/harness/andns-processes.ts';

const afters: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => void afters.push(fn) };

async function totals(cluster: RedisCluster): Promise<{ bytes: number; keys: number }> {
  let bytes = 0;
  let keys = 0;
  for (const i of await cluster.masters()) {
    const port = cluster.nodes[i]!.port;
    const info = String(await command(port, ['INFO', 'memory']));
    bytes += Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
    keys += Number(await command(port, ['DBSIZE']));
  }
  return { bytes, keys };
}

async function main(): Promise<void> {
  const why = redisMissing();
  if (why) throw new Error(why);
  const sim = await simOnSockets(t, 42, 600);
  const cluster = await startRedisCluster(t);
  const n = Math.min(Number(process.argv[2] ?? 1000), sim.names.length - 1);
  const front = await startAndns(t, sim, { sharedCache: { keyPrefix: 'mem:' } }, ['--redis', cluster.seeds.join(',')]);
  // Prime the root and TLDs first, so the figure is per name, not per new zone.
  await front.query(sim.names[n]!);
  const before = await totals(cluster);
  for (let i = 0; i < n; i += 20) await Promise.all(sim.names.slice(i, Math.min(n, i + 20)).map((name) => front.query(name)));
  const after = await totals(cluster);
  await front.stop();
  const bytes = after.bytes - before.bytes;
  const keys = after.keys - before.keys;
  console.log(`${n} names: +${keys} keys (${(keys / n).toFixed(2)} per name), +${bytes} bytes used_memory (${Math.round(bytes / n)} bytes per name, ${Math.round(bytes / Math.max(1, keys))} per key)`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of afters.reverse()) await fn();
  });
