// The driver: a client question's way below the hot tier, top to bottom, in one place —
// cache read (once) → on a miss: coalesce in this process → the cluster lease → resolve (the
// resolver validates and stores) → the answer; serve-stale and prefetch are branches of it.
// server/pipeline.ts admits the query, tries the hot tier, calls `resolve` here and responds.

import { EdeCode } from '../dns/constants.ts';
import type { CacheLink, CacheMiss, CacheOutcome } from '../resolver/resolver.ts';
import type { ClientQuestion, Resolution } from '../resolver/resolution.ts';
import type { ClusterCoalescer } from '../shared-cache/cluster-coalesce.ts';
import type { Prefetcher } from '../shared-cache/prefetch.ts';
import type { StaleReader } from '../shared-cache/stale.ts';
import type { SharedCacheStats } from '../shared-cache/stats.ts';
import { counters, countAnswer, Tier } from '../telemetry/counters.ts';
import type { Clock } from '../util/clock.ts';

/** The resolver as the driver sees it: the cache read, and resolution from where it missed. */
export interface DriverResolver {
  fromCache(q: ClientQuestion): Promise<CacheOutcome>;
  resolve(q: ClientQuestion, from?: CacheMiss): Promise<Resolution>;
}

export interface DriverDeps {
  resolver: DriverResolver;
  /** The cluster lease (shared-cache/cluster-coalesce.ts). */
  lease: Pick<ClusterCoalescer, 'take' | 'wait'>;
  /** Serve-stale (RFC 8767); absent: a failed resolution is the answer. */
  stale?: { reader: StaleReader; afterMs: number };
  /** Prefetch of answers read in the last `percent` of their TTL; absent: none. */
  prefetch?: { prefetcher: Prefetcher; percent: number };
  stats: SharedCacheStats;
  clock: Clock;
}

export interface Driver {
  /** Answers one client question. Never rejects: every failure is a SERVFAIL value. */
  resolve(q: ClientQuestion): Promise<Resolution>;
  /** Resolutions the cache answered without resolving (the query log's "shared" tier); a weak set. */
  answeredFromCache: WeakSet<object>;
}

const RD0_MISS: Resolution = { kind: 'refused', ede: { code: EdeCode.OTHER, text: 'not in cache and recursion not desired' }, reason: 'RD=0 miss' };

export function createDriver(d: DriverDeps): Driver {
  const inFlight = new Map<string, Promise<Resolution>>();
  const answeredFromCache = new WeakSet<object>();

  async function resolve(q: ClientQuestion): Promise<Resolution> {
    // 1. The cache read, once: the shared tier (Redis Cluster or embedded) through this process's map.
    const read = await d.resolver.fromCache(q);
    if (read.kind === 'hit') {
      countAnswer(Tier.SHARED);
      answeredFromCache.add(read.resolution);
      // Branch: prefetch. An answer read in the last part of its TTL is renewed in the background.
      if (d.prefetch) duePrefetch(d.prefetch, read.read);
      return read.resolution;
    }
    // RD=0 asks the cache alone (RFC 1034 §4.3.1): nothing there is REFUSED, never a resolution.
    if (!q.recursionDesired) {
      countAnswer(Tier.SHARED);
      return RD0_MISS;
    }
    // 2. Coalesce in this process: one resolution per question at a time; the rest share it.
    const key = `${q.qname}|${q.qtype}|${q.qclass}|${q.dnssecOk ? 1 : 0}${q.checkingDisabled ? 1 : 0}`;
    const pending = inFlight.get(key);
    if (pending) {
      counters.coalesced++;
      return pending;
    }
    const started = missed(q, read).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  /** A miss: resolved under the cluster lease, with serve-stale as the way out when that fails or lags. */
  function missed(q: ClientQuestion, miss: CacheMiss): Promise<Resolution> {
    countAnswer(Tier.RESOLVED);
    const resolution = leased(q, miss);
    return d.stale ? staleOr(d.stale, q, resolution) : resolution;
  }

  /** 3. The cluster lease: one resolution per question in the cluster at a time. */
  async function leased(q: ClientQuestion, miss: CacheMiss): Promise<Resolution> {
    const release = await d.lease.take(q);
    // The store cannot be asked: resolve here and now (Redis is an accelerator, not a dependency).
    if (release === undefined) return d.resolver.resolve(q, miss);
    if (release !== null) {
      try {
        // 4. Resolve from where the cache read stopped: the resolver validates and stores.
        return await d.resolver.resolve(q, miss);
      } finally {
        release(); // the resolution's cache writes are done: waiters may read
      }
    }
    await d.lease.wait(q);
    // The holder has stored its answer by now (a later moment, so a new read): usually a hit.
    const after = await d.resolver.fromCache(q);
    return after.kind === 'hit' ? after.resolution : d.resolver.resolve(q, after);
  }

  /**
   * Branch: serve-stale (RFC 8767 §5), armed on a miss only. When the resolution fails, or takes
   * longer than `afterMs`, expired data the store still keeps answers, with EDE 3 (RFC 8914
   * §4.4); a slow resolution carries on and refreshes the cache for the next client.
   */
  async function staleOr(stale: NonNullable<DriverDeps['stale']>, q: ClientQuestion, resolution: Promise<Resolution>): Promise<Resolution> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((fire) => (timer = setTimeout(() => fire('late'), stale.afterMs)));
    try {
      const first = await Promise.race([resolution, late]);
      if (first !== 'late') return first.kind === 'servfail' ? ((await fromStale(stale, q, 'resolution failed')) ?? first) : first;
      const early = await fromStale(stale, q, 'resolution is taking long');
      if (early) return early;
      const result = await resolution;
      return result.kind === 'servfail' ? ((await fromStale(stale, q, 'resolution failed')) ?? result) : result;
    } finally {
      clearTimeout(timer);
    }
  }

  async function fromStale(stale: NonNullable<DriverDeps['stale']>, q: ClientQuestion, why: string): Promise<Resolution | undefined> {
    const found = await stale.reader.lookup(q);
    if (!found) return undefined;
    if (!found.stale) return found.resolution; // fresh again meanwhile (a racing resolution stored it)
    d.stats.staleAnswers++;
    return { ...found.resolution, ede: { code: EdeCode.STALE_ANSWER, text: `stale answer: ${why}` } };
  }

  /** Queues a refresh of each entry read in the last `percent` of the TTL it was stored with. */
  function duePrefetch(p: NonNullable<DriverDeps['prefetch']>, read: CacheLink[]): void {
    if (read.length === 0) return;
    const now = d.clock.now();
    for (const link of read) {
      if (link.entry.expiresAt - now <= link.storedTtl * 10 * p.percent) p.prefetcher.note({ name: link.name, type: link.type, entry: link.entry, expiresAt: link.entry.expiresAt });
    }
  }

  return { resolve, answeredFromCache };
}
