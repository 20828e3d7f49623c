// The shared cache assembled from its parts: store (memory, or Redis Cluster with a breaker per master),
// the two-level RecordCache, flushes wired to its hot map, and cluster coalescing.
//
// The composition root calls openSharedCache once per process, hands `cache` to the Resolver and
// `coalescer` (the lease) to the driver (pipeline/assemble.ts), hooks its hot answer tier to
// `flusher.onFlush`, and calls close() on shutdown.

import type { CacheOptions } from '../cache/options.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { ClusterCoalescer } from './cluster-coalesce.ts';
import { CacheFlusher } from './flush.ts';
import { KeySpace } from './keys.ts';
import { MemoryStore } from './memory-store.ts';
import type { NodeHealth } from './node-health.ts';
import type { SharedCacheOptions } from './options.ts';
import { RedisClusterStore } from './redis-store.ts';
import { SharedRecordCache } from './shared-record-cache.ts';
import { newStats, type SharedCacheStats } from './stats.ts';
import type { SharedStore } from './store.ts';
import { RedisBuckets, type SharedBuckets } from './shared-buckets.ts';

export interface SharedCache {
  /** The store every part uses; with Redis it guards each master's keys by that master's health. */
  store: SharedStore;
  keys: KeySpace;
  cache: SharedRecordCache;
  flusher: CacheFlusher;
  coalescer: ClusterCoalescer;
  stats: SharedCacheStats;
  /** Present with Redis: per-master circuits; `health.state` is the "Redis health" to report. */
  health?: NodeHealth;
  /** Present with Redis: the cluster's token buckets (rate limits shared by every front-end). */
  buckets?: SharedBuckets;
  close(): Promise<void>;
}

export interface SharedCacheDeps {
  clock: Clock;
  /** TTL caps, shared with the in-process cache settings. */
  caps: CacheOptions;
  log: Logger;
  /** An existing store to use instead of building one (tests share one MemoryStore between "processes"). */
  store?: SharedStore;
}

export async function openSharedCache(options: SharedCacheOptions, deps: SharedCacheDeps): Promise<SharedCache> {
  const keys = new KeySpace(options.keyPrefix);
  const stats = newStats();
  let store: SharedStore;
  let health: NodeHealth | undefined;
  let buckets: SharedBuckets | undefined;
  if (deps.store) {
    store = deps.store;
  } else if (options.redis) {
    const redis = new RedisClusterStore(options.redis, deps.log, { breaker: options.breaker, clock: deps.clock });
    // Start serving even if Redis is not reachable yet: its nodes' circuits treat it as down.
    await redis.ready(options.redis.connectTimeoutMs).catch((err: Error) => deps.log.warn('redis not ready; starting without it', { err: err.message }));
    health = redis.health;
    store = redis;
    buckets = new RedisBuckets(redis.cluster, options.redis.commandTimeoutMs);
  } else {
    store = new MemoryStore({ maxBytes: options.memoryMaxBytes }, deps.clock);
  }
  const cache = new SharedRecordCache({ store, keys, clock: deps.clock, caps: deps.caps, options, log: deps.log, stats });
  const flusher = new CacheFlusher(store, keys, deps.log);
  const unsubscribe = await flusher.onFlush((scope) => cache.dropHot(scope));
  const coalescer = new ClusterCoalescer({ store, keys, options, log: deps.log, stats });
  const ownsStore = !deps.store;
  return {
    store, keys, cache, flusher, coalescer, stats, ...(health ? { health } : {}), ...(buckets ? { buckets } : {}),
    async close() {
      // Leaving the channels needs Redis; a Redis that hangs must not keep the store (and its
      // reconnecting client) open, so those steps get a bounded wait and the store closes anyway.
      try {
        await bounded(coalescer.close(), CLOSE_STEP_MS);
        await bounded(unsubscribe(), CLOSE_STEP_MS);
      } finally {
        if (ownsStore) await store.close();
      }
    },
  };
}

const CLOSE_STEP_MS = 1000;

/** `work`'s outcome, or undefined after `ms` (its failure is ignored: closing goes on). */
function bounded(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work.catch(() => undefined), limit]).finally(() => clearTimeout(timer));
}
