// The shared cache's part of the configuration, with its defaults (config/ builds it in phase 2).

import { defaultBreakerOptions, type BreakerOptions } from './breaker.ts';
import { defaultMemoryStoreOptions } from './memory-store.ts';
import { defaultRedisStoreOptions, type RedisStoreOptions } from './redis-options.ts';

export interface SharedCacheOptions {
  /** Prefix of every key and channel, so several clusters can share one Redis. Default "andns:". */
  keyPrefix: string;
  /** Redis Cluster; absent means the embedded memory store (the default). */
  redis?: RedisStoreOptions;
  /** Bytes the embedded store may hold. Default 64 MiB. */
  memoryMaxBytes: number;
  /** Bytes of decoded RRsets this process keeps in front of the shared store. Default 32 MiB. */
  hotMaxBytes: number;
  /**
   * Longest time a process serves an RRset from its own memory without reading the shared
   * store again, ms: no front-end lags the cluster's view by more than this. Default 2000.
   */
  hotMaxAgeMs: number;
  /** How long the store keeps data past its expiry, for serve-stale (RFC 8767 §4), ms. Default 86 400 000 (1 day). */
  staleWindowMs: number;
  /** TTL of a stale answer, s (RFC 8767 §4 recommends 30). Default 30. */
  staleTtl: number;
  /**
   * A client waits this long for a resolution before it is answered from stale data, if there
   * is any (RFC 8767 §5's client response timer, 1.8 s); the resolution carries on. Default 1800.
   */
  staleAfterMs: number;
  /** An entry read in this last part of its TTL is refreshed in the background (0: never), %. Default 10. */
  prefetchPercent: number;
  /** Entries waiting to be refreshed, per process; more are not queued. Default 1000. */
  prefetchQueueSize: number;
  /** Refreshes run at once, per process. Default 4. */
  prefetchConcurrency: number;
  /** A cluster-wide resolution lease lasts this long unless released, ms. Default 2000. */
  leaseMs: number;
  /** Waiters for a lease check whether it is still held this often, ms (pub/sub usually wakes them first). Default 50. */
  leasePollMs: number;
  breaker: BreakerOptions;
}

export const defaultSharedCacheOptions: SharedCacheOptions = Object.freeze({
  keyPrefix: 'andns:',
  memoryMaxBytes: defaultMemoryStoreOptions.maxBytes,
  hotMaxBytes: 32 * 1024 * 1024,
  hotMaxAgeMs: 2000,
  staleWindowMs: 86_400_000,
  staleTtl: 30,
  staleAfterMs: 1800,
  prefetchPercent: 10,
  prefetchQueueSize: 1000,
  prefetchConcurrency: 4,
  leaseMs: 2000,
  leasePollMs: 50,
  breaker: defaultBreakerOptions,
});

/** Redis options with defaults for what the seeds do not say. */
export function redisOptions(urls: string[], over: Partial<RedisStoreOptions> = {}): RedisStoreOptions {
  return { ...defaultRedisStoreOptions, ...over, urls };
}
