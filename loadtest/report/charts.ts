// The report's charts, drawn from run results: latency over time and the latency distribution.

import type { RunResult } from '../engine/result.ts';
import { lineChart, PALETTE, type Series } from './svg.ts';

/** p50 (dashed) and p99 (solid) of each second, for every run: does latency hold over the run? */
export function latencyOverTime(runs: RunResult[], title = 'Latency over time'): string {
  const series: Series[] = runs.flatMap((r, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const busy = r.timeline.filter((b) => b.latency.count > 0);
    return [
      { name: `${r.label} p99`, color, points: busy.map((b) => [b.t, b.latency.p99Ms] as [number, number]) },
      { name: `${r.label} p50`, color, dash: true, points: busy.map((b) => [b.t, b.latency.p50Ms] as [number, number]) },
    ];
  });
  return lineChart({ title, xLabel: 'seconds into the run', yLabel: 'latency (ms, log scale)', yLog: true, series });
}

/** A percentile's position on the distribution chart: each step right is ten times rarer. */
export function nines(p: number): number {
  return p >= 100 ? 5 : Math.min(5, -Math.log10(1 - p / 100));
}

const NINES_TICKS = [
  { value: 0, label: '0%' },
  { value: nines(90), label: '90%' },
  { value: nines(99), label: '99%' },
  { value: nines(99.9), label: '99.9%' },
  { value: nines(99.99), label: '99.99%' },
  { value: 5, label: 'max' },
];

/** Latency against percentile (HdrHistogram's percentile-spectrum view): the tail in full. */
export function latencyDistribution(runs: RunResult[], title = 'Latency distribution'): string {
  const series: Series[] = runs.map((r, i) => ({
    name: r.label,
    color: PALETTE[i % PALETTE.length]!,
    points: r.spectrum.map((s) => [nines(s.p), s.ms] as [number, number]),
  }));
  return lineChart({ title, xLabel: 'percentile', yLabel: 'latency (ms, log scale)', yLog: true, xTicks: NINES_TICKS, series });
}

/** Replies per second over each run. */
export function throughputOverTime(runs: RunResult[], title = 'Replies per second'): string {
  const series: Series[] = runs.map((r, i) => ({
    name: r.label,
    color: PALETTE[i % PALETTE.length]!,
    points: r.timeline.map((b) => [b.t, b.answered] as [number, number]),
  }));
  return lineChart({ title, xLabel: 'seconds into the run', yLabel: 'replies/s', series });
}
