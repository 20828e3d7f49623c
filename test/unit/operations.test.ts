// Operations: the metrics/health config keys and flags, the workers' metrics merge, and the
// readiness canary over an in-memory resolve function (no sockets: the listener is tested
// against the real process in test/integration/operations.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig, type Overrides } from '../../src/config/load.ts';
import { defaultHealthConfig } from '../../src/config/operations.ts';
import { Readiness } from '../../src/operations/health.ts';
import { mergeSnapshots, prometheusText, snapshotOf, type MetricsSnapshot } from '../../src/operations/merge.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'andns-ops-'));
let n = 0;
function load(content: unknown, overrides?: Overrides) {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, JSON.stringify(content));
  return loadConfig({ configFile: path, overrides });
}
function fails(content: unknown, message: RegExp, overrides?: Overrides): void {
  assert.throws(() => load(content, overrides), (err: unknown) => err instanceof ConfigError && message.test(err.message));
}

test('metrics and health: off by default; keys and flags parse; bad values name the key', () => {
  const d = loadConfig();
  assert.equal(d.metrics.listen, undefined);
  assert.equal(d.metrics.otlpEndpoint, '');
  assert.equal(d.health.drainGraceMs, 2_000);
  assert.equal(d.health.canaryName, '.');
  const c = load({ metrics: { listen: '127.0.0.1:9153', otlpEndpoint: 'http://127.0.0.1:4318/', traceSampleRatio: 0.5 }, health: { canaryName: 'Example.COM.', canaryType: 'a', drainGraceMs: 0 } });
  assert.deepEqual(c.metrics.listen, { address: '127.0.0.1', port: 9153, family: 4 });
  assert.equal(c.metrics.otlpEndpoint, 'http://127.0.0.1:4318');
  assert.equal(c.health.canaryName, 'example.com');
  assert.equal(c.health.canaryType, 'A');
  assert.equal(c.health.drainGraceMs, 0);
  const flags = load({}, { metrics: '[::1]:9153', otlpEndpoint: 'https://otel.example:4318', drainGraceMs: '1000', canaryName: 'example.net' });
  assert.deepEqual(flags.metrics.listen, { address: '::1', port: 9153, family: 6 });
  assert.equal(flags.health.drainGraceMs, 1_000);
  assert.equal(flags.health.canaryName, 'example.net');
  assert.equal(load({ metrics: { listen: [] } }).metrics.listen, undefined);

  fails({ metrics: { listen: 'localhost:9153' } }, /metrics\.listen: "localhost:9153" is not ADDR:PORT/);
  fails({ metrics: { listen: ['127.0.0.1:1', '127.0.0.1:2'] } }, /metrics\.listen: .*one operations listener only/);
  fails({ metrics: { otlpEndpoint: 'grpc://x:4317' } }, /metrics\.otlpEndpoint: .* is not an http/);
  fails({ metrics: { traceSampleRatio: 2 } }, /metrics\.traceSampleRatio: 2 is not a number from 0 to 1/);
  fails({ metrics: { port: 1 } }, /metrics\.port: unknown key/);
  fails({ health: { canaryType: 'NOPE' } }, /health\.canaryType: "NOPE" is not a record type/);
  fails({ health: { canaryIntervalMs: 5_000, canaryMaxAgeMs: 5_000 } }, /health\.canaryMaxAgeMs: 5000 must be greater than health\.canaryIntervalMs/);
  fails({}, /--metrics: "nope" is not ADDR:PORT/, { metrics: 'nope' });
  fails({}, /--drain-grace-ms: -1 is not an integer|--drain-grace-ms: "-1"/, { drainGraceMs: '-1' });
});

/** A process's metrics: a counter, a histogram and a gauge, as a worker would send them. */
async function processMetrics(queries: number, latencies: number[], bytes: number): Promise<MetricsSnapshot> {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('andns');
  meter.createCounter('andns.queries').add(queries, { transport: 'udp', rcode: 'NOERROR' });
  meter.createCounter('andns.queries').add(1, { transport: 'tcp', rcode: 'NOERROR' });
  const h = meter.createHistogram('andns.resolution.duration.seconds', { advice: { explicitBucketBoundaries: [0.01, 0.1] } });
  for (const l of latencies) h.record(l);
  meter.createObservableGauge('andns.cache.memory.bytes').addCallback((r) => r.observe(bytes, { tier: 'hot_answers' }));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  // Across IPC: plain JSON.
  return JSON.parse(JSON.stringify(snapshotOf(resourceMetrics))) as MetricsSnapshot;
}

test('workers: series with the same labels add up, histograms bucket by bucket, in the Prometheus text format', async () => {
  const merged = mergeSnapshots([await processMetrics(5, [0.005, 0.05], 100), await processMetrics(7, [0.5], 250)]);
  const text = prometheusText(merged);
  assert.match(text, /^andns_queries_total\{transport="udp",rcode="NOERROR"\} 12$/m);
  assert.match(text, /^andns_queries_total\{transport="tcp",rcode="NOERROR"\} 2$/m);
  assert.match(text, /^andns_resolution_duration_seconds_count 3$/m);
  assert.match(text, /^andns_resolution_duration_seconds_bucket\{le="0.01"\} 1$/m);
  assert.match(text, /^andns_resolution_duration_seconds_bucket\{le="0.1"\} 2$/m);
  assert.match(text, /^andns_resolution_duration_seconds_bucket\{le="\+Inf"\} 3$/m);
  assert.match(text, /^andns_resolution_duration_seconds_sum 0.555$/m);
  assert.match(text, /^andns_cache_memory_bytes\{tier="hot_answers"\} 350$/m);
  assert.match(text, /^# TYPE andns_queries_total counter$/m);
});

test('readiness: listening, not draining, and a canary answered within canaryMaxAgeMs; SERVFAIL reported', async () => {
  const clock = new ManualClock();
  let next: Resolution = { kind: 'answer', answer: [], authority: [] };
  let asked = 0;
  const r = new Readiness({ ...defaultHealthConfig, canaryName: 'example.com', canaryType: 'A' }, async (q) => {
    asked++;
    assert.equal(q.qname, 'example.com');
    assert.equal(q.qtype, 1);
    return next;
  }, () => 'open', clock, silentLogger);
  assert.equal(r.report().ready, false, 'nothing is ready before the listeners are up and the canary answered');
  r.listening = true;
  assert.equal(r.report().ready, false);
  await r.runCanary();
  assert.equal(asked, 1);
  assert.equal(r.report().ready, true);
  assert.equal(r.report().sharedCache, 'open', 'Redis trouble is reported, not fatal');
  next = { kind: 'servfail', ede: { code: 22, text: 'no reachable authority' }, reason: 'all servers timed out' };
  clock.advance(defaultHealthConfig.canaryMaxAgeMs - 1);
  await r.runCanary();
  assert.equal(r.report().ready, true, 'one failed run within the age limit keeps the node in');
  assert.match(r.report().canary.lastError ?? '', /servfail: all servers timed out/);
  clock.advance(2);
  assert.equal(r.report().ready, false, 'no answer for longer than canaryMaxAgeMs');
  next = { kind: 'nxdomain', answer: [], authority: [] };
  await r.runCanary();
  assert.equal(r.report().ready, true, 'NXDOMAIN is an answer: the resolver works');
  r.draining = true;
  assert.equal(r.report().ready, false);
});
