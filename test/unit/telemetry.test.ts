// Telemetry through the API only: with a tracer provider registered, a client query's
// resolution is one span and each upstream exchange a child span; in-process coalescing is
// counted as plain integers. (The SDK and /metrics are tested on the real process.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import dnsPacket from 'dns-packet';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { createDriver } from '../../src/pipeline/driver.ts';
import type { CacheMiss } from '../../src/resolver/resolver.ts';
import { newStats } from '../../src/shared-cache/stats.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { counters } from '../../src/telemetry/counters.ts';
import { tracing } from '../../src/telemetry/trace.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { generateInternet } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';

test('traces: a resolution is a "dns resolve" span with one "dns upstream query" child per exchange', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  tracing.enabled = true;

  const internet = generateInternet({ seed: 5, zones: 10 });
  const clock = new ManualClock();
  const network = new MemoryTransport(internet.network);
  const resolver = new Resolver({
    transport: network,
    cache: memoryRecordCache(clock),
    clock,
    options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: true, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
    log: silentLogger,
  });
  const pipeline = createPipeline({ resolve: (q) => resolver.resolve(q), log: silentLogger });
  const name = internet.catalogue.find((e) => e.type === 'A' && e.rcode === 'NOERROR')!.name;
  const before = internet.network.totals().queries;
  const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] });
  const reply = await pipeline.handle(query, null);
  assert.ok(reply);
  assert.equal((dnsPacket.decode(reply) as { rcode?: string }).rcode, 'NOERROR');
  const upstream = internet.network.totals().queries - before;
  assert.ok(upstream > 0);

  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const roots = spans.filter((s) => s.name === 'dns resolve');
  assert.equal(roots.length, 1);
  const root = roots[0]!;
  assert.equal(root.attributes['dns.question.name'], name);
  assert.equal(root.attributes['dns.outcome'], 'answer');
  const children = spans.filter((s) => s.name === 'dns upstream query');
  assert.equal(children.length, upstream, 'one span per upstream exchange');
  for (const c of children) {
    assert.equal(c.spanContext().traceId, root.spanContext().traceId);
    assert.equal(c.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.equal(typeof c.attributes['server.address'], 'string');
  }
  tracing.enabled = false;
  await provider.shutdown();
});

test('counters: questions that join a resolution in flight are counted as coalesced', async () => {
  const releases: ((r: Resolution) => void)[] = [];
  // The driver over a cache that misses and resolutions the test finishes; no cluster lease.
  const miss = { kind: 'miss', read: [] } as unknown as CacheMiss;
  const { resolve } = createDriver({
    resolver: { fromCache: async () => miss, resolve: () => new Promise<Resolution>((r) => releases.push(r)) },
    lease: { take: async () => undefined, wait: async () => false },
    stats: newStats(),
    clock: new ManualClock(),
  });
  const q = { qname: 'example.com', qtype: 1, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true };
  const before = counters.coalesced;
  const all = Promise.all([resolve(q), resolve(q), resolve({ ...q }), resolve({ ...q, qtype: 28 })]);
  await new Promise((r) => setImmediate(r));
  assert.equal(releases.length, 2, 'one resolution per distinct question');
  for (const release of releases) release({ kind: 'answer', answer: [], authority: [] });
  await all;
  assert.equal(counters.coalesced - before, 2);
});
