// "Front-ends" for shared-cache tests: each is a Resolver with its own shared-cache client (its
// own Redis connections and hot map, as a separate process would have) over one simulated
// internet, under the driver the server uses (pipeline/driver.ts: cache read, coalescing,
// lease, serve-stale, prefetch).

import { until } from './store-contract.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { defaultLimits, type ServerHint } from '../../src/resolver/options.ts';
import type { ClientQuestion, Resolution, Resolve } from '../../src/resolver/resolution.ts';
import { defaultCacheOptions } from '../../src/cache/options.ts';
import { openSharedCache, type SharedCache } from '../../src/shared-cache/index.ts';
import { assembleDriver, type Assembled } from '../../src/pipeline/assemble.ts';
import { defaultSharedCacheOptions, redisOptions, type SharedCacheOptions } from '../../src/shared-cache/options.ts';
import type { RedisStoreOptions } from '../../src/shared-cache/redis-options.ts';
import type { SharedStore } from '../../src/shared-cache/store.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import type { SimNetwork } from '../sim/server.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { generateInternet, type Internet } from '../sim/internet.ts';
import type { Validator } from '../../src/dnssec/validator.ts';

export interface FrontEnd {
  resolve: Resolve;
  resolver: Resolver;
  shared: SharedCache;
  driver: Assembled;
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
  /** Root hints of the simulated internet; default: smallWorld's a.root. */
  rootHints?: ServerHint[];
  /** Validation on: a validator of this front-end's own (its own per-process key cache). */
  validator?: () => Validator;
  qnameMinimisation?: boolean;
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
  const transport = new MemoryTransport(setup.net);
  const validator = setup.validator?.();
  const resolver = new Resolver({
    transport,
    cache: shared.cache,
    clock: setup.clock,
    options: {
      rootHints: setup.rootHints ?? [{ name: 'a.root', addresses: ['127.53.0.1'] }],
      upstreamPort: 53,
      qnameMinimisation: setup.qnameMinimisation ?? false,
      ipv6Upstream: false,
      allowLocalUpstream: true,
      forwardZones: [],
      limits: defaultLimits,
    },
    log: silentLogger,
    ...(validator ? { validator } : {}),
  });
  const driver = assembleDriver({
    resolver, shared, options, caps: defaultCacheOptions, clock: setup.clock, log: silentLogger, maxCnameChain: defaultLimits.maxCnameChain, validating: validator !== undefined,
  });
  t?.after(async () => driver.close());
  return { resolve: driver.resolve, resolver, shared, driver };
}

export const question = (qname: string, qtype = 1): ClientQuestion => ({
  qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true,
});

/** "name TYPE data" lines of an answer, for comparisons; fails loudly on SERVFAIL. */
export function answerLines(r: Resolution): string[] {
  if (r.kind !== 'answer' && r.kind !== 'nodata' && r.kind !== 'nxdomain') throw new Error(`unexpected ${r.kind}: ${JSON.stringify(r)}`);
  return r.answer.map((rr) => `${rr.name} ${rr.type} ${typeof rr.data === 'string' ? rr.data : JSON.stringify(rr.data)}`);
}

/** Plain A names of a generated internet (glue or glue-less, no faults): safe to resolve at will. */
export function plainNames(internet: Internet): string[] {
  return internet.catalogue
    .filter((e) => e.type === 'A' && e.rcode === 'NOERROR' && e.tags.every((t) => t === 'glue' || t === 'glueless'))
    .map((e) => e.name);
}

/** `count` front-ends on Redis over a generated internet, on the wall clock (breakers must recover). */
export async function internetFrontEnds(t: { after(fn: () => Promise<void>): void }, redis: string[], count: number, over: Partial<SharedCacheOptions> = {}, redisOver: Partial<RedisStoreOptions> = {}) {
  const internet = generateInternet({ seed: 3, zones: 40 });
  const keyPrefix = `ife${process.pid}-${Date.now()}:`;
  const fronts: FrontEnd[] = [];
  for (let i = 0; i < count; i++) {
    fronts.push(await openFrontEnd({ net: internet.network, clock: systemClock, redis, keyPrefix, over, redisOver, rootHints: internet.rootHints }, t));
  }
  return { internet, fronts, names: plainNames(internet), queries: () => internet.network.totals().queries };
}

/**
 * Waits until the shared tier works end to end again: a name `one` resolves is then answered
 * by `two` with no upstream query. Names are taken from `names`, starting at `from`.
 */
export async function untilShared(one: FrontEnd, two: FrontEnd, names: string[], queries: () => number, from: number, timeoutMs: number): Promise<void> {
  let k = from;
  await until(async () => {
    const name = names[k++ % names.length]!;
    await one.resolve(question(name));
    const before = queries();
    await two.resolve(question(name));
    return queries() === before;
  }, timeoutMs);
}
