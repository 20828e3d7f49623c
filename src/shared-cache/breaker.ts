// A circuit breaker for one Redis master: after repeated failures its calls fail at once for a
// while (the cache treats that as a miss / a dropped write), single probes test recovery, and a
// recovered node gets its traffic back gradually rather than all at once.
//
//   closed ──failureThreshold consecutive failures──▶ open ──openMs ± jitter──▶ half-open
//   half-open ──probe succeeds──▶ ramping (rampMs) ──▶ closed
//   half-open ──probe fails──▶ open (openMs doubled, ≤ maxOpenMs)
//
// While ramping, a share of calls growing linearly from 10 % to 100 % over rampMs goes
// through; the others are refused like an open circuit. A front-end fleet whose breakers all
// close together would otherwise send every waiting read at a node that just came back.

import type { Clock } from '../util/clock.ts';

export interface BreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the circuit. Default 5. */
  failureThreshold: number;
  /** How long the circuit stays open before the first probe, ms. Default 250. */
  openMs: number;
  /** Ceiling of the open time as failed probes double it, ms. Default 1000. */
  maxOpenMs: number;
  /**
   * Each open time is scaled by a random factor in [1 − jitter, 1 + jitter], so the front-ends
   * of a cluster do not probe a recovering node in step. Default 0.2; absent means 0.
   */
  jitter?: number;
  /** After a successful probe, traffic ramps from 10 % to all over this long, ms. Default 1000; absent means 0. */
  rampMs?: number;
}

export const defaultBreakerOptions: BreakerOptions = Object.freeze({ failureThreshold: 5, openMs: 250, maxOpenMs: 1000, jitter: 0.2, rampMs: 1000 });

export type BreakerState = 'closed' | 'open' | 'half-open' | 'ramping';

export class BreakerOpenError extends Error {
  override name = 'BreakerOpenError';
}

const RAMP_FLOOR = 0.1;
const REFUSED_OPEN = new BreakerOpenError('shared store circuit open');
const REFUSED_RAMPING = new BreakerOpenError('shared store circuit ramping up after recovery');

export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private failures = 0;
  private openUntil = 0;
  private currentOpenMs: number;
  private probing = false;
  private opened = false;
  private rampFrom = 0;
  private rampUntil = 0;
  /** Times the circuit opened (for stats). */
  trips = 0;

  private readonly onChange: (state: BreakerState) => void;

  /** `onChange` hears every transition (for logs and metrics); `random` only matters with jitter or a ramp. */
  constructor(options: BreakerOptions, clock: Clock, onChange: (state: BreakerState) => void = () => {}, random: () => number = Math.random) {
    this.options = options;
    this.clock = clock;
    this.onChange = onChange;
    this.random = random;
    this.currentOpenMs = options.openMs;
  }

  get state(): BreakerState {
    const now = this.clock.now();
    if (this.opened) return now >= this.openUntil ? 'half-open' : 'open';
    return now < this.rampUntil ? 'ramping' : 'closed';
  }

  /** Whether a call now would be refused without running (open, a probe in flight, or ramped away). */
  refuses(): boolean {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) return true;
    if (state !== 'ramping') return false;
    const share = RAMP_FLOOR + ((1 - RAMP_FLOOR) * (this.clock.now() - this.rampFrom)) / (this.rampUntil - this.rampFrom);
    return this.random() >= share;
  }

  /** Runs `call` if the circuit lets it through; rejects with BreakerOpenError otherwise. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    // One error object per state, not one per refused call: while a node is down every read
    // for its slots is refused, and capturing a stack trace each time is most of the cost.
    if (this.refuses()) throw this.state === 'ramping' ? REFUSED_RAMPING : REFUSED_OPEN;
    const probe = this.state === 'half-open';
    if (probe) this.probing = true;
    try {
      const result = await call();
      // A late success of a call started before the circuit opened says nothing about the node
      // now: only the probe closes an open circuit (else it would open and close in one ms).
      if (!this.opened || probe) this.succeeded();
      return result;
    } catch (err) {
      this.failed(probe);
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /**
   * Counts a call that succeeded but too late to be of use (past the caller's budget) as a
   * failure: a node that only answers slowly is as good as down for answering queries.
   */
  tooSlow(): void {
    this.failed(false);
  }

  /**
   * Brings the next probe forward to at most `withinMs` from now (with jitter): the client
   * heard that the node is reachable again, so waiting out the open time would only delay.
   */
  probeSoon(withinMs: number): void {
    if (!this.opened) return;
    const at = this.clock.now() + withinMs * this.random();
    if (at < this.openUntil) this.openUntil = at;
  }

  private succeeded(): void {
    this.failures = 0;
    if (!this.opened) return;
    this.opened = false;
    this.currentOpenMs = this.options.openMs;
    const rampMs = this.options.rampMs ?? 0;
    if (rampMs > 0) {
      this.rampFrom = this.clock.now();
      this.rampUntil = this.rampFrom + rampMs;
      this.onChange('ramping');
    } else {
      this.onChange('closed');
    }
  }

  private failed(probe: boolean): void {
    if (probe) {
      // Still open: no transition to report (an outage would otherwise log every probe).
      this.currentOpenMs = Math.min(this.currentOpenMs * 2, this.options.maxOpenMs);
      this.openUntil = this.clock.now() + this.jittered(this.currentOpenMs);
      return;
    }
    // Late failures of calls started before the circuit opened change nothing.
    if (this.opened) return;
    if (++this.failures < this.options.failureThreshold) return;
    this.opened = true;
    this.rampUntil = 0;
    this.trips++;
    this.openUntil = this.clock.now() + this.jittered(this.currentOpenMs);
    this.onChange('open');
  }

  private jittered(ms: number): number {
    const jitter = this.options.jitter ?? 0;
    return jitter > 0 ? ms * (1 - jitter + 2 * jitter * this.random()) : ms;
  }
}
