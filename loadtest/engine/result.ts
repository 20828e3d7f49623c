// The JSON a run writes: what the report reads and what runs are compared on.

import os from 'node:os';
import type { LatencySummary } from '../stats/histogram.ts';
import type { ProcSample } from '../stats/procstat.ts';
import type { SecondBucket } from '../stats/recorder.ts';

export const RESULT_SCHEMA = 'andns-loadtest/1';

export interface Machine {
  cpuModel: string;
  cpus: number;
  memoryGb: number;
  kernel: string;
  node: string;
}

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  label: string;
  startedAt: string;
  machine: Machine;
  config: {
    server: string;
    transport: string;
    mode: 'open' | 'closed';
    rate?: number;
    concurrency?: number;
    durationS: number;
    maxQueries?: number;
    timeoutMs: number;
    channels: number;
    /** Answers faster than this counted as cache hits (totals.fastAnswers, timeline[].fast). */
    hitUnderMs?: number;
  };
  workload: { description: string; distinctQueries: number; sequenceLength: number; wraps: number };
  /** Seconds from the first send to the last reply (or timeout). */
  elapsedS: number;
  /** Replies per second over elapsedS. */
  qps: number;
  totals: {
    sent: number;
    answered: number;
    timeouts: number;
    failures: number;
    unsent: number;
    truncated: number;
    /** Answers under config.hitUnderMs: client-visible cache hits when a fixed RTT is upstream. */
    fastAnswers?: number;
    stray: number;
    rcodes: Record<string, number>;
    failureReasons: Record<string, number>;
  };
  latency: LatencySummary;
  /** (percentile, ms) points of the whole run's latency distribution. */
  spectrum: { p: number; ms: number }[];
  timeline: SecondBucket[];
  /** The generator itself: if its CPU is near 100 % of a core, it, not the server, may be the limit. */
  client: { cpuPercent: number; maxSendLagMs: number; lateSends: number };
  server?: { pids: number[]; meanCpuPercent: number; maxRssMb: number; samples: ProcSample[] };
  /** The whole latency histogram (HdrHistogram compressed base64, microseconds). */
  histogram: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}
