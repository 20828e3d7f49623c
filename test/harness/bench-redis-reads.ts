// Benchmark (not a test): shared-cache reads on a real Redis Cluster — latency of one lookup
// (hot hit, Redis hit) and reads/s under load with our per-turn batching, ioredis
// auto-pipelining, and neither. Run: npx tsc -p . && node dist/test/harness/bench-redis-reads.js [seconds]

import { performance } from 'node:perf_hooks';
import { Rank } from '../../src/cache/record-cache.ts';
import { defaultCacheOptions } from '../../src/cache/options.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { redisOptions } from '../../src/shared-cache/options.ts';
import { RedisClusterStore } from '../../src/shared-cache/redis-store.ts';
import { SharedRecordCache } from '../../src/shared-cache/shared-record-cache.ts';
import { systemClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { startRedisCluster } from './redis-cluster.ts';

const seconds = Number(process.argv[2] ?? 5);
const NAMES = 10_000;
const IN_FLIGHT = 256;
const names = Array.from({ length: NAMES }, (_, i) => `host${i}.zone${i % 97}.example`);

function pct(sorted: Float64Array, p: number): string {
  return `${(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000).toFixed(0)} µs`;
}

function cacheOn(store: RedisClusterStore, hotMaxBytes: number): SharedRecordCache {
  return new SharedRecordCache({
    store, keys: new KeySpace('bench:'), clock: systemClock, caps: defaultCacheOptions, log: silentLogger,
    options: { hotMaxBytes, hotMaxAgeMs: 60_000, staleWindowMs: 60_000, prefetchPercent: 0 },
  });
}

/** One lookup at a time: the latency a query sees when nothing else is going on. */
async function latency(label: string, cache: SharedRecordCache, count: number): Promise<void> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const hit = await cache.getRRset(names[i % NAMES]!, 1);
    samples[i] = performance.now() - t0;
    if (!hit) throw new Error('bench data missing');
  }
  samples.sort();
  console.log(`${label.padEnd(38)} p50 ${pct(samples, 0.5)}  p99 ${pct(samples, 0.99)}  (${count} sequential lookups)`);
}

/** IN_FLIGHT concurrent readers for `seconds`: reads/s, latency, and CPU µs per read. */
async function load(label: string, store: RedisClusterStore): Promise<void> {
  const keys = new KeySpace('bench:');
  const lat: number[] = [];
  let reads = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, w) => {
      for (let i = w; performance.now() < end; i += IN_FLIGHT) {
        const s = performance.now();
        // A lookup as answer() makes it: the name's own three keys, one slot.
        const n = names[(i * 7919) % NAMES]!;
        await store.mget([keys.rrset(n, 1), keys.nxdomain(n), keys.rrset(n, 5)]);
        if (reads % 16 === 0) lat.push(performance.now() - s);
        reads++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(lat).sort();
  console.log(
    `${label.padEnd(38)} ${Math.round(reads / elapsed).toLocaleString('en').padStart(8)} lookups/s  p50 ${pct(sorted, 0.5)}  p99 ${pct(sorted, 0.99)}  client CPU ${((cpu.user + cpu.system) / reads).toFixed(1)} µs/lookup`,
  );
}

const cluster = await startRedisCluster();
try {
  const writer = new RedisClusterStore(redisOptions(cluster.seeds), silentLogger);
  await writer.ready();
  const fill = cacheOn(writer, 0);
  for (let i = 0; i < NAMES; i += 500) {
    await Promise.all(names.slice(i, i + 500).map((n, j) => fill.putRRset({ name: n, type: 1, signatures: [], records: [{ name: n, type: 'A', class: 'IN', ttl: 3600, data: `10.0.${(i + j) >> 8 & 255}.${(i + j) & 255}` }] }, Rank.AUTH_ANSWER)));
  }
  await writer.close();
  console.log(`Redis Cluster: 3 masters + 3 replicas on loopback, ${NAMES} RRsets, ${seconds} s per load run, ${IN_FLIGHT} lookups in flight\n`);

  const modes: [string, Partial<Parameters<typeof redisOptions>[1]>][] = [
    ['batched per turn (default)', { batchReads: true, autoPipelining: false }],
    ['ioredis auto-pipelining', { batchReads: false, autoPipelining: true }],
    ['one command per lookup', { batchReads: false, autoPipelining: false }],
  ];
  for (const [label, over] of modes) {
    const store = new RedisClusterStore(redisOptions(cluster.seeds, { ...over, commandTimeoutMs: 1000 }), silentLogger);
    await store.ready();
    if (label.startsWith('batched')) {
      const hot = cacheOn(store, 64 << 20);
      await latency('Redis hit, filling the hot map', hot, 2000);
      await latency('hot hit (SharedRecordCache)', hot, 20_000);
      await latency('Redis hit (SharedRecordCache, no hot)', cacheOn(store, 0), 5000);
      console.log('');
    }
    await load(label, store);
    await store.close();
  }
} finally {
  await cluster.stop();
}
