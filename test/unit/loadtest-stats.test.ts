// Tests for the load generator's figures: histogram summaries, per-second buckets, /proc parsing, report rendering.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newHistogram, recordMs, spectrum, summarize } from '../../loadtest/stats/histogram.ts';
import { cpuTicks, rssMb } from '../../loadtest/stats/procstat.ts';
import { Recorder } from '../../loadtest/stats/recorder.ts';
import { nines } from '../../loadtest/report/charts.ts';
import { lineChart, logTicks } from '../../loadtest/report/svg.ts';

test('histogram: percentiles of 1..1000 ms within HDR precision (0.1 %)', () => {
  const h = newHistogram();
  for (let ms = 1; ms <= 1000; ms++) recordMs(h, ms);
  const s = summarize(h);
  assert.equal(s.count, 1000);
  const near = (a: number, b: number): boolean => Math.abs(a - b) <= b * 0.001 + 0.001;
  assert.ok(near(s.p50Ms, 500), `p50 ${s.p50Ms}`);
  assert.ok(near(s.p90Ms, 900), `p90 ${s.p90Ms}`);
  assert.ok(near(s.p99Ms, 990), `p99 ${s.p99Ms}`);
  assert.ok(near(s.p999Ms, 999), `p99.9 ${s.p999Ms}`);
  assert.ok(near(s.maxMs, 1000), `max ${s.maxMs}`);
  assert.ok(near(s.meanMs, 500.5), `mean ${s.meanMs}`);
});

test('histogram: sub-millisecond latencies keep microsecond resolution; empty is all zero', () => {
  const h = newHistogram();
  recordMs(h, 0.0421);
  recordMs(h, 0); // below 1 µs: clamped, not lost
  assert.equal(summarize(h).maxMs, 0.042);
  assert.equal(summarize(h).count, 2);
  assert.deepEqual(summarize(newHistogram()), { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 });
});

test('histogram: the spectrum rises with the percentile and ends at the max', () => {
  const h = newHistogram();
  for (let i = 0; i < 10_000; i++) recordMs(h, 1 + (i % 100) / 10);
  recordMs(h, 250);
  const sp = spectrum(h);
  for (let i = 1; i < sp.length; i++) assert.ok(sp[i]!.ms >= sp[i - 1]!.ms);
  assert.equal(sp.at(-1)!.p, 100);
  assert.ok(Math.abs(sp.at(-1)!.ms - 250) < 0.5);
});

test('recorder: counts rcodes and closes per-second buckets with deltas', () => {
  const r = new Recorder();
  r.sent = 3;
  r.onAnswer(0, 1, 0, false);
  r.onAnswer(0, 2, 3, true);
  r.onTimeout();
  const b1 = r.closeSecond(1);
  assert.equal(b1.sent, 3);
  assert.equal(b1.answered, 2);
  assert.equal(b1.timeouts, 1);
  assert.equal(b1.latency.count, 2);
  r.sent = 4;
  r.onAnswer(10, 15, 2, false);
  r.onFailure('connection closed');
  const b2 = r.closeSecond(2);
  assert.deepEqual([b2.sent, b2.answered, b2.timeouts, b2.errors, b2.latency.count], [1, 1, 0, 1, 1]);
  assert.ok(Math.abs(b2.latency.p50Ms - 5) < 0.01);
  assert.deepEqual(r.rcodeCounts(), { NOERROR: 1, SERVFAIL: 1, NXDOMAIN: 1 });
  assert.equal(r.truncated, 1);
  assert.equal(summarize(r.total).count, 3);
});

test('procstat: utime+stime after a comm holding spaces and parens; VmRSS in MB', () => {
  const stat = '1234 (node (worker) 1) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
  assert.equal(cpuTicks(stat), 300);
  assert.equal(rssMb('Name:\tnode\nVmRSS:\t   51200 kB\nThreads: 11\n'), 50);
});

test('report: charts are self-contained SVG with escaped labels and log ticks', () => {
  const svg = lineChart({ title: 'a <b> & c', xLabel: 'x', yLabel: 'y', yLog: true, series: [{ name: 'run "1"', color: '#000', points: [[0, 0.05], [1, 12]] }] });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /a &lt;b&gt; &amp; c/);
  assert.match(svg, /run &quot;1&quot;/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  assert.deepEqual(logTicks(1, 100).map((t) => t.label), ['1', '2', '5', '10', '20', '50', '100']);
  assert.equal(nines(90), 1);
  assert.ok(Math.abs(nines(99.9) - 3) < 1e-9);
  assert.equal(nines(100), 5);
});
