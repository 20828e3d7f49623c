// Every metric instrument andns has, created once here (STYLE 11). Library code uses only
// @opentelemetry/api: a no-op until the composition root registers an SDK (operations/sdk.ts),
// which then calls bindInstruments() so that the instruments below are the SDK's.
// Attributes stay low-cardinality: never a query name, only small fixed sets.

import { metrics, trace, type Attributes, type Meter, type ObservableResult } from '@opentelemetry/api';
import { KIND_NAMES } from '../policy/rrl.ts';
import { CLIENT_LIMITS, COOKIE_STATUSES, policyCounters, RRL_ACTIONS } from '../policy/stats.ts';
import { counters, DROP_NAMES, RCODE_NAMES, RCODES, TIER_NAMES, TRANSPORT_NAMES } from './counters.ts';

/**
 * What the process holds that only the composition root can see (its stack's caches, the
 * breaker). Read at scrape time; each function is cheap and allocation-light.
 */
export interface ObservedSources {
  /** Bytes and entries per cache tier of this process, e.g. { hot_answers: …, records: …, store: … }. */
  cacheBytes(): Readonly<Record<string, number>>;
  cacheEntries(): Readonly<Record<string, number>>;
  /** Each tier's part of the memory budget, bytes (config/memory.ts). */
  memoryBudget?(): Readonly<Record<string, number>>;
  /** The shared cache's counters (shared-cache/stats.ts), plain numbers. */
  sharedStats(): Readonly<Record<string, number>>;
  /** The Redis circuit breaker's state; undefined for the embedded store. */
  breakerState(): 'closed' | 'open' | 'half-open' | undefined;
  breakerTrips(): number;
}

let sources: ObservedSources | undefined;

/** Hands the observable instruments what to read (once per process, from compose.ts). */
export function observe(s: ObservedSources | undefined): void {
  sources = s;
}

/** Resolution latencies, seconds: a cache-miss resolution is 1 ms … seconds (limits.maxQueryTimeMs). */
const RESOLUTION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Redis command latencies, seconds: tens of µs on loopback up to a command timeout (~250 ms). */
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Rcodes always exported per transport (as 0 until seen), so rate() works from the first scrape. */
const COMMON_RCODES = new Set([0, 1, 2, 3, 4, 5]);
const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

// Attribute objects built once; observable callbacks run only at scrape time anyway.
const queryAttrs: Attributes[] = TRANSPORT_NAMES.flatMap((transport) => RCODE_NAMES.map((rcode) => ({ transport, rcode })));
const tierAttrs = TIER_NAMES.map((tier) => ({ tier }));
const dropAttrs = DROP_NAMES.map((reason) => ({ reason }));
const breakerAttrs = BREAKER_STATES.map((state) => ({ state }));
const rrlAttrs = KIND_NAMES.flatMap((kind) => RRL_ACTIONS.map((action) => ({ kind, action })));
const clientAttrs = CLIENT_LIMITS.map((limit) => ({ limit }));
const cookieAttrs = COOKIE_STATUSES.map((status) => ({ status }));

function create(meter: Meter) {
  const instruments = {
    /** Upstream exchanges sent, by outcome: reply | timeout | network | case-mismatch. */
    upstreamQueries: meter.createCounter('andns.resolver.upstream.queries', {
      description: 'Queries sent to authoritative servers or forwarders, by outcome',
    }),
    /** Client queries ended by a work limit, by limit name (referrals, upstream-queries, …). */
    limitHits: meter.createCounter('andns.resolver.limit.hits', {
      description: 'Client queries that reached a per-query work limit and ended in SERVFAIL',
    }),
    /** Behaviour learnt about servers: edns-fallback | case-fallback | cookie-rejected | zone-failed. */
    serverEvents: meter.createCounter('andns.resolver.server.events', {
      description: 'Fallbacks and rejections towards upstream servers',
    }),
    /** DNSSEC judgements of answer steps, by outcome: secure | insecure | bogus | indeterminate | bogus-mark | aggressive-nsec. */
    validations: meter.createCounter('andns.resolver.dnssec.validations', {
      description: 'Answers judged by the DNSSEC validator, marks served and RFC 8198 synthesised denials',
    }),
    /** Time from a hot-tier miss to the resolution's outcome (shared cache, coalescing, resolver). */
    resolutionDuration: meter.createHistogram('andns.resolution.duration.seconds', {
      description: 'Time to answer a query the hot tier could not: shared-cache read, coalescing and resolution',
      unit: 's',
      advice: { explicitBucketBoundaries: RESOLUTION_BUCKETS },
    }),
    /** One shared-store call (mget, set, lease, …) on Redis Cluster, including the client library. */
    redisCommandDuration: meter.createHistogram('andns.redis.command.duration.seconds', {
      description: 'Redis Cluster command latency as andns sees it, by command',
      unit: 's',
      advice: { explicitBucketBoundaries: REDIS_BUCKETS },
    }),
  };

  // Read at scrape time from plain integers (counters.ts) and the sources the stack hands in.
  meter.createObservableCounter('andns.queries', { description: 'Replies sent to clients, by transport and rcode' }).addCallback((r) => {
    const q = counters.queries;
    for (let i = 0; i < q.length; i++) if (q[i]! > 0 || COMMON_RCODES.has(i % RCODES)) r.observe(q[i]!, queryAttrs[i]);
  });
  meter.createObservableCounter('andns.answers', { description: 'Answers by the tier that produced them: hot (wire answers), shared (record cache), resolved' })
    .addCallback((r) => counters.answers.forEach((n, i) => r.observe(n, tierAttrs[i])));
  meter.createObservableCounter('andns.acl.refused', { description: 'Client queries answered REFUSED (EDE 18) because their source is not in allowFrom, by transport' })
    .addCallback((r) => counters.aclRefused.forEach((n, i) => r.observe(n, { transport: TRANSPORT_NAMES[i]! })));
  meter.createObservableCounter('andns.queries.dropped', { description: 'Queries dropped without a reply, by reason (malformed, acl, ratelimit)' })
    .addCallback((r) => counters.dropped.forEach((n, i) => r.observe(n, dropAttrs[i])));
  // The exposure policy's plain counters (policy/stats.ts).
  meter.createObservableCounter('andns.policy.rrl.limited', { description: 'UDP responses over their response-rate limit, by action (dropped; slipped: sent as TC=1 or BADCOOKIE) and kind' })
    .addCallback((r) => policyCounters.rrl.forEach((n, i) => r.observe(n, rrlAttrs[i])));
  meter.createObservableCounter('andns.policy.client.limited', { description: 'Client queries over a per-client limit (UDP: dropped; streams: REFUSED), by limit' })
    .addCallback((r) => policyCounters.client.forEach((n, i) => r.observe(n, clientAttrs[i])));
  meter.createObservableCounter('andns.policy.cookies', { description: 'Client queries with a COOKIE option (RFC 7873) by what it proved, and BADCOOKIE replies sent' })
    .addCallback((r) => policyCounters.cookies.forEach((n, i) => i > 0 && r.observe(n, cookieAttrs[i])));
  meter.createObservableCounter('andns.queries.coalesced', { description: 'Client questions that joined a resolution already in flight in this process' })
    .addCallback((r) => r.observe(counters.coalesced));
  meter.createObservableUpDownCounter('andns.connections.open', { description: 'Open client connections, by transport (tcp, dot, doh)' })
    .addCallback((r) => counters.connections.forEach((n, i) => i > 0 && r.observe(n, { transport: TRANSPORT_NAMES[i]! })));

  const stat = (name: string, key: string, description: string): void => {
    meter.createObservableCounter(name, { description }).addCallback((r) => {
      const s = sources?.sharedStats();
      if (s) r.observe(s[key] ?? 0);
    });
  };
  stat('andns.queries.lease_waited', 'leaseWaits', 'Misses that waited for another front-end holding the cluster lease to resolve them');
  stat('andns.cache.lease.fallbacks', 'leaseFallbacks', 'Lease waits that gave up and resolved here');
  stat('andns.cache.leases.taken', 'leasesTaken', 'Cluster leases taken to resolve a miss (or prefetch) once for the cluster');
  stat('andns.cache.stale_answers', 'staleAnswers', 'Answers served from expired data (RFC 8767)');
  stat('andns.cache.store.errors', 'storeErrors', 'Shared store calls that failed or were refused by the open circuit breaker');
  stat('andns.cache.corrupt', 'corrupt', 'Shared-store values that failed to decode (served as misses)');
  meter.createObservableCounter('andns.cache.record.lookups', { description: 'Record-cache key lookups: hot (this process), store (shared), miss' }).addCallback((r) => {
    const s = sources?.sharedStats();
    if (!s) return;
    r.observe(s['hotHits'] ?? 0, { result: 'hot' });
    r.observe(s['storeHits'] ?? 0, { result: 'store' });
    r.observe(s['misses'] ?? 0, { result: 'miss' });
  });
  meter.createObservableCounter('andns.cache.prefetch', { description: 'Prefetch of popular answers near expiry: queued, done, skipped' }).addCallback((r) => {
    const s = sources?.sharedStats();
    if (!s) return;
    r.observe(s['prefetchQueued'] ?? 0, { outcome: 'queued' });
    r.observe(s['prefetchDone'] ?? 0, { outcome: 'done' });
    r.observe(s['prefetchSkipped'] ?? 0, { outcome: 'skipped' });
  });
  meter.createObservableGauge('andns.cache.memory.bytes', { description: 'Bytes held by each cache tier of this process (as accounted against its byte cap)', unit: 'By' })
    .addCallback((r) => observeRecord(r, sources?.cacheBytes(), 'tier'));
  meter.createObservableGauge('andns.memory.budget.bytes', { description: "Each cache tier's part of the memory budget of this process (its byte cap)", unit: 'By' })
    .addCallback((r) => observeRecord(r, sources?.memoryBudget?.(), 'tier'));
  meter.createObservableGauge('andns.cache.entries', { description: 'Entries held by each cache tier of this process' })
    .addCallback((r) => observeRecord(r, sources?.cacheEntries(), 'tier'));
  meter.createObservableGauge('andns.redis.breaker.state', { description: 'Redis circuit breaker: 1 for the current state (closed, half-open, open); absent without Redis' })
    .addCallback((r) => {
      const state = sources?.breakerState();
      if (state) BREAKER_STATES.forEach((s, i) => r.observe(s === state ? 1 : 0, breakerAttrs[i]));
    });
  meter.createObservableCounter('andns.redis.breaker.trips', { description: 'Times the Redis circuit breaker opened' }).addCallback((r) => {
    if (sources?.breakerState()) r.observe(sources.breakerTrips());
  });
  meter.createObservableGauge('andns.process.resident_memory.bytes', { description: 'Resident set size of the process (summed over workers)', unit: 'By' })
    .addCallback((r) => r.observe(process.memoryUsage.rss()));
  return instruments;
}

function observeRecord(r: ObservableResult, values: Readonly<Record<string, number>> | undefined, label: string): void {
  if (!values) return;
  for (const [k, v] of Object.entries(values)) r.observe(v, { [label]: k });
}

/** The instruments; their members are replaced (not the object) when an SDK is bound. */
export const instruments = create(metrics.getMeter('andns'));

/**
 * Re-creates every instrument from the global meter provider. The metrics API has no proxy
 * provider: instruments made before the SDK was registered stay no-ops, so the composition
 * root calls this right after registering it.
 */
export function bindInstruments(): void {
  Object.assign(instruments, create(metrics.getMeter('andns')));
}

/** Spans of resolutions and their upstream queries; a no-op until a tracer provider is registered. */
export const tracer = trace.getTracer('andns');
