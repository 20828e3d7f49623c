// The open-loop schedule: query k is due at start + k / rate, whatever happened to the ones before it.

/**
 * Open loop: the send times are fixed before the run. A slow reply never delays the next
 * query (that would be coordinated omission: the client quietly stops sending exactly when
 * the server struggles, and the stalls vanish from the percentiles). Latency is measured
 * from these intended times, so a stall in the server — or in this generator — shows up.
 */
export class OpenLoopSchedule {
  readonly startMs: number;
  readonly rate: number;
  readonly total: number;
  readonly #intervalMs: number;

  /** `rate` queries per second from `startMs`, `total` queries in all. */
  constructor(startMs: number, rate: number, total: number) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`open loop: rate must be a positive number, got ${rate}`);
    this.startMs = startMs;
    this.rate = rate;
    this.total = total;
    this.#intervalMs = 1000 / rate;
  }

  /** When query k should leave. Computed from k, never accumulated, so rounding never drifts. */
  intendedMs(k: number): number {
    return this.startMs + k * this.#intervalMs;
  }

  /** How many queries are due by `nowMs` in all (sent or not): the next index to reach. */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    return Math.min(this.total, Math.floor((nowMs - this.startMs) / this.#intervalMs) + 1);
  }

  /** Milliseconds from `nowMs` until query k is due (≤ 0: it is due now). */
  waitFor(k: number, nowMs: number): number {
    return this.intendedMs(k) - nowMs;
  }
}
