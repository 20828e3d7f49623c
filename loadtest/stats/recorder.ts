// Counts every outcome of a run and keeps per-second buckets: the figures a run reports.

import type { Histogram, LatencySummary } from './histogram.ts';
import { newHistogram, recordMs, summarize } from './histogram.ts';

export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'RCODE11', 'RCODE12', 'RCODE13', 'RCODE14', 'RCODE15'];

export interface SecondBucket {
  /** Seconds since the start of the run at the end of the bucket. */
  t: number;
  sent: number;
  answered: number;
  timeouts: number;
  errors: number;
  /** Answers under the run's hit threshold this second (only when one is set). */
  fast?: number;
  latency: LatencySummary;
  /** The generator's worst lateness this second (open loop): a stall of the client, not the server. */
  sendLagMaxMs: number;
}

/** What a transport reports to; called on every reply, so it must stay cheap. */
export interface Sink {
  /** A reply arrived. Latency runs from the query's intended send time (no coordinated omission). */
  onAnswer(intendedMs: number, nowMs: number, rcode: number, truncated: boolean): void;
  onTimeout(): void;
  /** The query was lost without a reply to wait for (connection closed, HTTP error …). */
  onFailure(reason: string): void;
}

export class Recorder implements Sink {
  readonly total: Histogram = newHistogram();
  readonly #second: Histogram = newHistogram();
  readonly rcodes = new Float64Array(16);
  readonly failureReasons = new Map<string, number>();
  readonly timeline: SecondBucket[] = [];
  sent = 0;
  answered = 0;
  timeouts = 0;
  failures = 0;
  truncated = 0;
  /** Due queries the transport had no room for (all IDs in flight, no connection): never sent. */
  unsent = 0;
  /** performance.now() of the last reply, timeout or failure: the end of the measured work. */
  lastCompletionMs = 0;
  /** Worst open-loop send lag in the current second and over the run. */
  secondLagMs = 0;
  maxLagMs = 0;
  lateSends = 0;
  /** Answers faster than hitUnderMs (client-visible cache hits when an RTT sits upstream). */
  fast = 0;
  readonly #hitUnderMs: number;
  #mark = { sent: 0, answered: 0, timeouts: 0, failures: 0, fast: 0 };

  constructor(hitUnderMs?: number) {
    // -1: no threshold, and no answer is ever counted (latency is never negative).
    this.#hitUnderMs = hitUnderMs ?? -1;
  }

  onAnswer(intendedMs: number, nowMs: number, rcode: number, truncated: boolean): void {
    const ms = nowMs - intendedMs;
    this.lastCompletionMs = nowMs;
    recordMs(this.total, ms);
    recordMs(this.#second, ms);
    this.answered++;
    if (ms < this.#hitUnderMs) this.fast++;
    this.rcodes[rcode & 15]!++;
    if (truncated) this.truncated++;
  }

  onTimeout(): void {
    this.timeouts++;
    this.lastCompletionMs = performance.now();
  }

  onFailure(reason: string): void {
    this.failures++;
    this.lastCompletionMs = performance.now();
    this.failureReasons.set(reason, (this.failureReasons.get(reason) ?? 0) + 1);
  }

  /** An open-loop query left `lagMs` after its intended time. */
  noteLag(lagMs: number): void {
    if (lagMs > this.secondLagMs) this.secondLagMs = lagMs;
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    if (lagMs > 1) this.lateSends++;
  }

  /** Closes the current per-second bucket (called by the run's clock, once a second). */
  closeSecond(t: number): SecondBucket {
    const m = this.#mark;
    const bucket: SecondBucket = {
      t,
      sent: this.sent - m.sent,
      answered: this.answered - m.answered,
      timeouts: this.timeouts - m.timeouts,
      errors: this.failures - m.failures,
      ...(this.#hitUnderMs >= 0 ? { fast: this.fast - m.fast } : {}),
      latency: summarize(this.#second),
      sendLagMaxMs: Math.round(this.secondLagMs * 1000) / 1000,
    };
    this.secondLagMs = 0;
    this.#mark = { sent: this.sent, answered: this.answered, timeouts: this.timeouts, failures: this.failures, fast: this.fast };
    this.#second.reset();
    this.timeline.push(bucket);
    return bucket;
  }

  /** Rcode counts by name, without the zero ones. */
  rcodeCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    this.rcodes.forEach((n, i) => {
      if (n > 0) out[RCODE_NAMES[i]!] = n;
    });
    return out;
  }
}
