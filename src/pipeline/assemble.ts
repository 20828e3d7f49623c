// Builds the driver of one process from its parts: the resolver, the shared cache's lease,
// serve-stale's reader and the prefetcher, with the cache's TTL caps on what the resolver says.

import type { CacheOptions } from '../cache/options.ts';
import { REFRESH, type Resolver } from '../resolver/resolver.ts';
import { capTtls } from '../resolver/ttl-caps.ts';
import type { SharedCache } from '../shared-cache/index.ts';
import type { SharedCacheOptions } from '../shared-cache/options.ts';
import { Prefetcher } from '../shared-cache/prefetch.ts';
import { StaleReader } from '../shared-cache/stale.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { createDriver, type Driver, type DriverResolver } from './driver.ts';

export interface AssembleDeps {
  resolver: Resolver;
  shared: SharedCache;
  options: SharedCacheOptions;
  /** TTL floor and ceilings: fresh answers show the TTLs the cache will hold. */
  caps: CacheOptions;
  clock: Clock;
  log: Logger;
  /** The resolver's CNAME chain limit, which stale answers keep to as well. */
  maxCnameChain: number;
  /** A validator judges what is stored: stale answers are then made only of secure or insecure data. */
  validating: boolean;
}

export interface Assembled extends Driver {
  /** Absent when prefetchPercent is 0. */
  prefetcher: Prefetcher | undefined;
  close(): void;
}

export function assembleDriver(d: AssembleDeps): Assembled {
  const { resolver, shared, options, caps } = d;
  const capped: DriverResolver = {
    fromCache: async (q) => {
      const read = await resolver.fromCache(q);
      return read.kind === 'hit' ? { ...read, resolution: capTtls(read.resolution, caps) } : read;
    },
    resolve: async (q, from) => capTtls(await resolver.resolve(q, from), caps),
  };
  const stale = options.staleWindowMs > 0
    ? { reader: new StaleReader({ cache: shared.cache, clock: d.clock, options, maxCnameChain: d.maxCnameChain, validating: d.validating }), afterMs: options.staleAfterMs }
    : undefined;
  const prefetcher = options.prefetchPercent > 0
    ? new Prefetcher({ cache: shared.cache, coalescer: shared.coalescer, refresh: (q) => resolver.resolve(q, REFRESH), clock: d.clock, options, log: d.log, stats: shared.stats })
    : undefined;
  const driver = createDriver({
    resolver: capped,
    lease: shared.coalescer,
    ...(stale ? { stale } : {}),
    ...(prefetcher ? { prefetch: { prefetcher, percent: options.prefetchPercent } } : {}),
    stats: shared.stats,
    clock: d.clock,
  });
  return { ...driver, prefetcher, close: () => prefetcher?.close() };
}
