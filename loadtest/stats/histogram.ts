// Latency histograms (HDR, microsecond units) and their summary in milliseconds.

import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Highest latency kept exactly; anything slower is clamped (a timeout is far below this). */
const HIGHEST_US = 120_000_000;

/** 3 significant digits: 0.1 % error at any latency, for ~70 kB per histogram. */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records a latency in milliseconds (fractional), clamped into the histogram's range. */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Percentiles at which a spectrum is sampled: each step halves the remaining tail. */
export const SPECTRUM_PERCENTILES = [0, 50, 75, 87.5, 90, 93.75, 96.875, 98.4375, 99, 99.21875, 99.6094, 99.8047, 99.9, 99.9512, 99.99, 99.999, 100];

const ms = (us: number): number => Math.round(us) / 1000;

/**
 * HDR reports a percentile as the highest value equivalent to its bucket, which can exceed
 * the exact maximum recorded; clamping keeps p99.9 ≤ max in every table and chart.
 */
function at(h: Histogram, p: number): number {
  return Math.min(h.getValueAtPercentile(p), h.maxValue);
}

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    meanMs: Math.round(h.mean) / 1000,
    p50Ms: ms(at(h, 50)),
    p90Ms: ms(at(h, 90)),
    p99Ms: ms(at(h, 99)),
    p999Ms: ms(at(h, 99.9)),
    maxMs: ms(h.maxValue),
  };
}

/** The latency distribution as (percentile, ms) points, for the report's distribution chart. */
export function spectrum(h: Histogram): { p: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  return SPECTRUM_PERCENTILES.map((p) => ({ p, ms: ms(at(h, p)) }));
}

/** The whole histogram in HdrHistogram's compressed base64 form, for merging runs later. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}
