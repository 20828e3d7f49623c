// The composition root: builds the resolver stack from the frozen config, handing each module
// only its part (resolver options, cache options) and the real clock and sockets.

import type { AndnsConfig, ValidationConfig } from '../config/load.ts';
import { parseTrustAnchors } from '../dnssec/anchors.ts';
import { MemoryKeyCache } from '../dnssec/key-cache.ts';
import type { MemoryPlan } from '../config/memory.ts';
import { NSEC_ENTRY_BYTES } from '../resolver/aggressive.ts';
import { Validator } from '../dnssec/validator.ts';
import { SocketTransport } from '../net/socket-transport.ts';
import { InfraCache } from '../resolver/infra.ts';
import type { Resolve } from '../resolver/resolution.ts';
import { Resolver } from '../resolver/resolver.ts';
import { isSpecialUse } from '../resolver/special-use.ts';
import { assembleDriver } from '../pipeline/assemble.ts';
import { BucketSync } from '../policy/bucket-sync.ts';
import { ExposureGuard } from '../policy/guard.ts';
import { HotAnswers } from '../server/hot-answers.ts';
import { createPipeline, type Pipeline } from '../server/pipeline.ts';
import { openSharedCache, type SharedCache } from '../shared-cache/index.ts';
import { MemoryStore } from '../shared-cache/memory-store.ts';
import { observe } from '../telemetry/instruments.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { UpstreamTransport } from '../resolver/upstream.ts';
import type { Logger } from '../util/log.ts';
import type { Observer } from '../operations/observer.ts';
import { changed, type Reloader } from '../operations/reload.ts';

/**
 * How long the hot wire-answer tier keeps an entry without a look at the shared cache. With
 * Redis, other front-ends change the cluster's view, so it is sharedCache.hotMaxAgeMs (a few
 * seconds); the embedded store changes only through this process (whose flushes reach the hot
 * tier at once), so entries may live their TTL.
 */
const EMBEDDED_HOT_MAX_AGE_MS = 24 * 3_600_000;

export interface Stack {
  pipeline: Pipeline;
  resolve: Resolve;
  /** The shared cache: its flusher serves the control endpoint. */
  shared: SharedCache;
  /** The validator, whose negative trust anchors change at run time; undefined when validation is off. */
  validator: Validator | undefined;
  /** Counters of this process for `andns stats`. */
  stats(): Record<string, unknown>;
  /** Follows reloads: work limits, forward zones and negative trust anchors. */
  follow(reloader: Reloader): void;
  /** Stops prefetch, leaves the shared cache and aborts upstream exchanges still in flight. */
  close(): Promise<void>;
}

/**
 * What the outside world hands the stack. Serving uses sockets and the wall clock; the scenario
 * corpus (test/scenarios) hands scripted servers in memory and a clock it moves itself, so it
 * plays against exactly this composition.
 */
export interface StackEnvironment {
  transport?: UpstreamTransport & { close?(): void };
  clock?: Clock;
}

export async function composeStack(config: AndnsConfig, log: Logger, env: StackEnvironment = {}, observer?: Observer): Promise<Stack> {
  const addresses = config.resolver.rootHints.flatMap((h) => h.addresses);
  if (!config.resolver.allowLocalUpstream && addresses.every(isSpecialUse)) {
    log.warn('every root hint address is loopback/private, and such upstreams are refused: set allowLocalUpstream (--allow-local-upstream)');
  }
  const transport = env.transport ?? new SocketTransport({ maxTcp: config.resolver.limits.maxUpstreamTcp });
  const clock = env.clock ?? systemClock;
  const tiers = config.memory.tiers;
  const keys = new MemoryKeyCache(Infinity, tiers.keys);
  const validator = config.validation ? makeValidator(config.validation, clock, keys, tiers.aggressiveNsec) : undefined;
  const infra = new InfraCache(clock);
  infra.setMaxBytes(tiers.infra);
  // Not frozen: a reload replaces its limits and forward zones, which the resolver reads per query.
  const resolverOptions = { ...config.resolver };
  const options = config.sharedCache;
  // Redis down at start-up does not stop us: per-node circuits send traffic around it until it is back.
  const shared = await openSharedCache(options, { clock, caps: config.cache, log });
  log.info('shared cache', options.redis ? { store: 'redis-cluster', seeds: options.redis.urls.length, health: shared.health?.state } : { store: 'embedded' });
  // One resolver serves clients and prefetch alike: one iterator state, one set of bogus marks.
  const resolver = new Resolver({ transport, cache: shared.cache, clock, options: resolverOptions, log, infra, ...(validator ? { validator } : {}) });
  // cache read → coalesce → cluster lease → resolve, serve-stale and prefetch as branches (pipeline/driver.ts).
  const chain = assembleDriver({ resolver, shared, options, caps: config.cache, clock, log, maxCnameChain: config.resolver.limits.maxCnameChain, validating: validator !== undefined });
  const maxAgeMs = options.redis ? options.hotMaxAgeMs : EMBEDDED_HOT_MAX_AGE_MS;
  const hot = new HotAnswers({ maxBytes: config.hotAnswersMaxBytes, maxAgeMs, prefetchPercent: options.prefetchPercent }, clock);
  // With every Redis master down there is no cluster view to lag behind: answers live their TTL
  // (as without Redis) instead of going through the whole resolution chain every hotMaxAgeMs.
  const unwatch = shared.health?.watch((state) => hot.setMaxAge(state === 'down' ? EMBEDDED_HOT_MAX_AGE_MS : maxAgeMs));
  // A flush from any front-end (or the control endpoint here) drops the hot tier's copies too.
  const unsubscribe = await shared.flusher.onFlush((scope) => hot.drop(scope));
  const guard = new ExposureGuard(config.policy);
  // With Redis the rate-limit buckets are the cluster's: a flood spread over front-ends meets one budget.
  const sync = shared.buckets
    ? new BucketSync({ guard, shared: shared.buckets, clock: systemClock, log, keyPrefix: options.keyPrefix, intervalMs: config.policy.rateLimit.syncIntervalMs, available: () => shared.health?.state !== 'down' })
    : undefined;
  sync?.start();
  if (guard.cookies && !guard.sharedSecret && options.redis) {
    log.warn('cookies.secretFile is not set: this front-end makes up its own cookie secret, so the others reject its server cookies (--cookie-secret-file)');
  }
  observeStack(shared, hot, config.memory, keys, infra);
  return {
    pipeline: createPipeline({ resolve: chain.resolve, answeredFromCache: chain.answeredFromCache, log, hot, chaos: config.server.chaos, guard, clock: systemClock, ...(observer ? { observer } : {}) }),
    resolve: chain.resolve,
    shared,
    validator,
    stats: () => ({
      pid: process.pid,
      uptimeS: Math.round(process.uptime()),
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, ...memoryReport(config.memory, tierUse(shared, hot, keys, infra)) },
      hotAnswers: { entries: hot.size, evictions: hot.evictions },
      sharedCache: { store: options.redis ? 'redis-cluster' : 'embedded', health: shared.health?.state, nodes: shared.health?.nodes(), ...shared.stats },
      negativeTrustAnchors: validator?.ntas.list() ?? [],
      dnstapDropped: observer?.dnstapDropped ?? 0,
    }),
    follow(reloader) {
      reloader.register('limits', (next) => {
        if (!changed(next.resolver.limits, resolverOptions.limits)) return false;
        resolverOptions.limits = next.resolver.limits;
        return true;
      });
      reloader.register('forwardZones', (next) => {
        if (!changed(next.resolver.forwardZones, resolverOptions.forwardZones)) return false;
        resolverOptions.forwardZones = next.resolver.forwardZones;
        return true;
      });
      reloader.register('negativeTrustAnchors', (next, previous) => {
        const names = next.validation?.negativeTrustAnchors ?? [];
        if (!validator || !changed(names, previous.validation?.negativeTrustAnchors ?? [])) return false;
        validator.ntas.setConfigured(names);
        return true;
      });
    },
    async close() {
      observe(undefined);
      chain.close();
      await sync?.stop();
      unwatch?.();
      await unsubscribe().catch(() => undefined);
      await shared.close().catch((err: Error) => log.warn('shared cache did not close cleanly', { err: err.message }));
      transport.close?.();
    },
  };
}

const HEALTH_AS_BREAKER = { healthy: 'closed', degraded: 'half-open', down: 'open' } as const;

/** Bytes each budgeted tier holds now (aggressive-NSEC proofs live in each resolver and are not summed here). */
function tierUse(shared: SharedCache, hot: HotAnswers, keys: MemoryKeyCache, infra: InfraCache): Record<string, number> {
  const store = shared.store instanceof MemoryStore ? shared.store : undefined;
  return { hotAnswers: hot.byteSize, records: shared.cache.hotBytes, embeddedStore: store?.usedBytes ?? 0, keys: keys.byteSize, infra: infra.byteSize };
}

/** The budget, its split and what each tier holds, for `andns stats`. */
function memoryReport(plan: MemoryPlan, used: Record<string, number>): Record<string, unknown> {
  return {
    budgetBytes: plan.budgetBytes,
    workers: plan.workers,
    processBudgetBytes: plan.processBytes,
    tiers: Object.fromEntries(Object.entries(plan.tiers).map(([t, limit]) => [t, { limitBytes: limit, usedBytes: used[t] ?? null }])),
    overridden: plan.overridden,
  };
}

const METRIC_TIER: Record<string, string> = { hotAnswers: 'hot_answers', records: 'records', embeddedStore: 'embedded_store', keys: 'dnssec_keys', aggressiveNsec: 'aggressive_nsec', infra: 'infra' };

/** What the observable instruments read at scrape time: cache sizes, shared-cache counters, the breaker. */
function observeStack(shared: SharedCache, hot: HotAnswers, plan: MemoryPlan, keys: MemoryKeyCache, infra: InfraCache): void {
  const store = shared.store instanceof MemoryStore ? shared.store : undefined;
  const limits = Object.fromEntries(Object.entries(plan.tiers).map(([t, limit]) => [METRIC_TIER[t]!, limit]));
  observe({
    memoryBudget: () => limits,
    cacheBytes: () => ({ hot_answers: hot.byteSize, records: shared.cache.hotBytes, ...(store ? { embedded_store: store.usedBytes } : {}), dnssec_keys: keys.byteSize, infra: infra.byteSize }),
    cacheEntries: () => ({ hot_answers: hot.size, records: shared.cache.hotSize, ...(store ? { embedded_store: store.size } : {}) }),
    sharedStats: () => shared.stats as unknown as Record<string, number>,
    // One circuit per master now: the gauge shows the tier as a whole (every master closed,
    // every master open, or some of each as half-open); the per-node states are in `andns stats`.
    breakerState: () => (shared.health ? HEALTH_AS_BREAKER[shared.health.state] : undefined),
    breakerTrips: () => shared.health?.trips ?? 0,
  });
}

/** The DNSSEC validator: anchors as loaded (already checked), the clock in seconds, its memory shares. */
function makeValidator(v: ValidationConfig, clock: Clock, keyCache: MemoryKeyCache, aggressiveBytes: number): Validator {
  return new Validator({
    trustAnchors: parseTrustAnchors(v.trustAnchors.join('\n')),
    negativeTrustAnchors: v.negativeTrustAnchors,
    limits: { minRsaBits: v.minRsaKeyBits },
    now: () => clock.now() / 1000,
    keyCache,
    aggressiveMaxEntries: Math.floor(aggressiveBytes / NSEC_ENTRY_BYTES),
  });
}
