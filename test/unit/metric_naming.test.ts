// Metric naming conventions, checked over every instrument andns declares (as CoreDNS's
// metric_naming_test does): Prometheus names with the unit in the name, counters as _total,
// histograms in seconds, low-cardinality labels only (never a query name).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { bindInstruments, instruments, observe } from '../../src/telemetry/instruments.ts';
import { prometheusText, snapshotOf } from '../../src/operations/merge.ts';

/** Label names any andns metric may carry: each has a small fixed set of values. */
const LABELS = new Set(['transport', 'rcode', 'tier', 'reason', 'outcome', 'limit', 'event', 'command', 'state', 'result', 'action', 'kind', 'status']);

test('metric names: andns_ prefix, unit in the name, counters _total, histograms in seconds, known labels only', async () => {
  const reader = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  bindInstruments();
  observe({
    cacheBytes: () => ({ hot_answers: 1 }), cacheEntries: () => ({ hot_answers: 1 }), sharedStats: () => ({ leaseWaits: 1 }),
    breakerState: () => 'closed', breakerTrips: () => 0,
  });
  // One sample in every synchronous instrument, so each shows up in the scrape.
  for (const [key, instrument] of Object.entries(instruments)) {
    if ('record' in instrument) instrument.record(0.001, { command: 'mget' });
    else instrument.add(1, { outcome: key });
  }
  const { resourceMetrics } = await reader.collect();
  const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  assert.ok(all.length >= 25, `only ${all.length} metrics`);
  for (const m of all) {
    const name = m.descriptor.name;
    assert.match(name, /^andns(\.[a-z][a-z0-9_]*)+$/, name);
    if (m.dataPointType === DataPointType.HISTOGRAM) assert.match(name, /\.seconds$/, `${name}: histograms are durations in seconds`);
    if (m.descriptor.unit === 'By') assert.match(name, /\.bytes$/, `${name}: a byte gauge says so in its name`);
    if (m.descriptor.unit === 's') assert.match(name, /\.seconds$/, name);
    assert.ok(m.descriptor.description.length > 10, `${name} has a description`);
    for (const p of m.dataPoints) for (const label of Object.keys(p.attributes)) assert.ok(LABELS.has(label), `${name}: label ${label}`);
  }
  const text = prometheusText(snapshotOf(resourceMetrics));
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) counter$/.exec(line);
    if (type) assert.match(type[1]!, /_total$/, `${type[1]}: counters end in _total`);
  }
  observe(undefined);
});
