// "Front-ends" for shared-cache tests: each is a Resolver with its own shared-cache client (its
// own Redis connections and hot map, as a separate process would have) over one simulated
// internet, wrapped in cluster and in-process coalescing as the pipeline will wrap it.

import { Resolver } from '../../src/resolver/resolver.ts';
import { coalescing } from '../../src/resolver/coalesce.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import type { ClientQuestion, Resolution, Resolve } from '../../src/resolver/resolution.ts';
import { defaultCacheOptions } from '../../src/cache/options.ts';
import { openSharedCache, type SharedCache } from '../../src/shared-cache/index.ts';
import { defaultSharedCacheOptions, redisOptions, type SharedCacheOptions } from '../../src/shared-cache/options.ts';
import type { RedisStoreOptions } from '../../src/shared-cache/redis-options.ts';
import type { SharedStore } from '../../src/shared-cache/store.ts';
import type { Clock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import type { SimNetwork } from '../sim/server.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';

export interface FrontEnd {
  resolve: Resolve;
  resolver: Resolver;
  shared: SharedCache;
}

export interface FrontEndSetup {
  net: SimNetwork;
  clock: Clock;
  /** Redis seeds; or `store` for a MemoryStore shared by every front-end of the test. */
  redis?: string[];
  redisOver?: Partial<RedisStoreOptions>;
  store?: SharedStore;
  keyPrefix: string;
  over?: Partial<SharedCacheOptions>;
}

/** Opens a front-end; registers its close on `t` so a failing test still disconnects it. */
export async function openFrontEnd(setup: FrontEndSetup, t?: { after(fn: () => Promise<void>): void }): Promise<FrontEnd> {
  const options: SharedCacheOptions = {
    ...defaultSharedCacheOptions,
    keyPrefix: setup.keyPrefix,
    ...(setup.redis ? { redis: redisOptions(setup.redis, setup.redisOver) } : {}),
    ...setup.over,
  };
  const shared = await openSharedCache(options, { clock: setup.clock, caps: defaultCacheOptions, log: silentLogger, ...(setup.store ? { store: setup.store } : {}) });
  t?.after(() => shared.close());
  const resolver = new Resolver({
    transport: new MemoryTransport(setup.net),
    cache: shared.cache,
    clock: setup.clock,
    options: {
      rootHints: [{ name: 'a.root', addresses: ['127.53.0.1'] }],
      upstreamPort: 53,
      qnameMinimisation: false,
      ipv6Upstream: false,
      allowLocalUpstream: true,
      forwardZones: [],
      limits: defaultLimits,
    },
    log: silentLogger,
  });
  const resolve = coalescing(shared.coalescer.wrap((q) => resolver.resolve(q)));
  return { resolve, resolver, shared };
}

export const question = (qname: string, qtype = 1): ClientQuestion => ({
  qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true,
});

/** "name TYPE data" lines of an answer, for comparisons; fails loudly on SERVFAIL. */
export function answerLines(r: Resolution): string[] {
  if (r.kind !== 'answer' && r.kind !== 'nodata' && r.kind !== 'nxdomain') throw new Error(`unexpected ${r.kind}: ${JSON.stringify(r)}`);
  return r.answer.map((rr) => `${rr.name} ${rr.type} ${typeof rr.data === 'string' ? rr.data : JSON.stringify(rr.data)}`);
}
