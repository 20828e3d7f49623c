// One process's way to resolve with the shared cache, in the order a miss travels:
// coalescing (this process) → serve-stale → cluster coalescing (lease) → the resolver, plus
// prefetch, which refreshes popular answers through a resolver that does not see them.

import type { RecordCache } from '../cache/record-cache.ts';
import { coalescing } from '../resolver/coalesce.ts';
import type { Resolve } from '../resolver/resolution.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { SharedCache } from './index.ts';
import type { SharedCacheOptions } from './options.ts';
import { Prefetcher } from './prefetch.ts';
import { refreshing } from './refresh-view.ts';
import { servingStale } from './serve-stale.ts';
import { StaleReader } from './stale.ts';

export interface ResolveChainDeps {
  shared: SharedCache;
  /** Builds a resolver over a cache (the shared one, or the refresh view of it). */
  makeResolve: (cache: RecordCache) => Resolve;
  options: SharedCacheOptions;
  clock: Clock;
  log: Logger;
  /** The resolver's CNAME chain limit, which stale answers keep to as well. */
  maxCnameChain: number;
  /** A validator judges what is stored: stale answers are then only made of secure or insecure data. */
  validating: boolean;
}

export interface ResolveChain {
  resolve: Resolve;
  /** Absent when prefetchPercent is 0. */
  prefetcher: Prefetcher | undefined;
  close(): void;
}

export function resolveChain(d: ResolveChainDeps): ResolveChain {
  const { shared, options } = d;
  const reader = new StaleReader({ cache: shared.cache, clock: d.clock, options, maxCnameChain: d.maxCnameChain, validating: d.validating });
  const resolveHere = d.makeResolve(shared.cache);
  // Coalescing wraps resolution (STYLE 8): a burst for one cold name resolves once per process,
  // and the lease makes it once per cluster. Stale data answers what resolution cannot.
  const resolve = coalescing(servingStale(shared.coalescer.wrap(resolveHere), { reader, options, stats: shared.stats }));
  let prefetcher: Prefetcher | undefined;
  if (options.prefetchPercent > 0) {
    const p = new Prefetcher({
      cache: shared.cache,
      coalescer: shared.coalescer,
      refresh: refreshing(shared.cache, d.makeResolve),
      clock: d.clock,
      options,
      log: d.log,
      stats: shared.stats,
    });
    shared.cache.onNearExpiry = (due) => p.note(due);
    prefetcher = p;
  }
  return {
    resolve,
    prefetcher,
    close() {
      shared.cache.onNearExpiry = undefined;
      prefetcher?.close();
    },
  };
}
