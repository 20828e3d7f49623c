// Measures the cluster for the README: per-tier latency (hot hit, Redis hit, miss through the
// simulated internet on sockets) as p50/p99 over UDP from a one-at-a-time stub client, and the
// upstream queries of one workload over 1, 2 and 4 front-end processes sharing a Redis Cluster
// versus as many with their own caches. Run: node dist/test/harness/bench-cluster.js

import { performance } from 'node:perf_hooks';
import { redisMissing, startRedisCluster } from './redis-cluster.ts';
import { simOnSockets, startAndns, type AndnsProcess } from './andns-processes.ts';

const afters: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => void afters.push(fn) };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(p: AndnsProcess, names: string[]): Promise<string> {
  const ms: number[] = [];
  for (const n of names) {
    const start = performance.now();
    const r = await p.query(n);
    ms.push(performance.now() - start);
    if (r.rcode !== 'NOERROR') throw new Error(`${n}: ${r.rcode}`);
  }
  ms.sort((a, b) => a - b);
  return `p50 ${percentile(ms, 50).toFixed(3)} ms, p99 ${percentile(ms, 99).toFixed(3)} ms (n=${ms.length})`;
}

async function main(): Promise<void> {
  const why = redisMissing();
  if (why) throw new Error(why);
  const cluster = await startRedisCluster(t);
  const sim = await simOnSockets(t, 42, 150);
  const redis = ['--redis', cluster.seeds.join(',')];
  const names = sim.names;
  console.log(`simulated internet: ${names.length} plain A names; Redis Cluster of ${cluster.nodes.length} nodes`);

  // Tiers: A resolves every name (misses), B reads them once each (Redis hits), then B asks
  // one name again and again (hot hits; the hot tier re-checks Redis every 2 s).
  const prefix = { sharedCache: { keyPrefix: `bench${Date.now()}:` } };
  const [a, b] = await Promise.all([startAndns(t, sim, prefix, redis), startAndns(t, sim, prefix, redis)]);
  console.log(`miss (resolution through the simulated internet): ${await timed(a!, names)}`);
  console.log(`Redis hit (another process resolved it):           ${await timed(b!, names)}`);
  console.log(`hot hit (this process, wire-format tier):          ${await timed(b!, Array.from({ length: 2000 }, (_, i) => names[i % 5]!))}`);
  await Promise.all([a!.stop(), b!.stop()]);

  // Upstream queries for one workload: 4 rounds over 150 names; in round r name i goes to
  // front-end (i + r) mod N, so with N front-ends each name is asked on every one of them.
  if (names.length < 150) throw new Error('the workload needs 150 names');
  const workload = Array.from({ length: 600 }, (_, j) => names[j % 150]!);
  for (const count of [1, 2, 4]) {
    const row: string[] = [];
    for (const shared of [true, false]) {
      const config = { sharedCache: { keyPrefix: `wl${count}${shared}${Date.now()}:` } };
      const procs = await Promise.all(Array.from({ length: count }, () => startAndns(t, sim, config, shared ? redis : [])));
      const before = sim.queries();
      for (let j = 0; j < workload.length; j += 10) await Promise.all(workload.slice(j, j + 10).map((n, k) => procs[(((j + k) % 150) + Math.floor((j + k) / 150)) % count]!.query(n)));
      row.push(`${shared ? 'shared' : 'separate'} ${sim.queries() - before}`);
      await Promise.all(procs.map((p) => p.stop()));
    }
    console.log(`${count} front-end(s), 600 queries over 150 names: upstream queries ${row.join(', ')}`);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of afters.reverse()) await fn();
  });
