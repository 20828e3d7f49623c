// A circuit breaker: after repeated failures of the shared store, calls fail at once for a while
// (the cache treats that as a miss / a dropped write), then single probes test recovery.
//
//   closed ──failureThreshold consecutive failures──▶ open ──openMs──▶ half-open
//   half-open ──probe succeeds──▶ closed        half-open ──probe fails──▶ open (openMs doubled, ≤ maxOpenMs)

import type { Clock } from '../util/clock.ts';

export interface BreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the circuit. Default 5. */
  failureThreshold: number;
  /** How long the circuit stays open before the first probe, ms. Default 500. */
  openMs: number;
  /** Ceiling of the open time as failed probes double it, ms. Default 10 000. */
  maxOpenMs: number;
}

export const defaultBreakerOptions: BreakerOptions = Object.freeze({ failureThreshold: 5, openMs: 500, maxOpenMs: 10_000 });

export type BreakerState = 'closed' | 'open' | 'half-open';

export class BreakerOpenError extends Error {
  override name = 'BreakerOpenError';
}

export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private readonly clock: Clock;
  private failures = 0;
  private openUntil = 0;
  private currentOpenMs: number;
  private probing = false;
  private opened = false;
  /** Times the circuit opened (for stats). */
  trips = 0;

  private readonly onChange: (state: BreakerState) => void;

  /** `onChange` hears every transition (for logs and metrics). */
  constructor(options: BreakerOptions, clock: Clock, onChange: (state: BreakerState) => void = () => {}) {
    this.options = options;
    this.clock = clock;
    this.onChange = onChange;
    this.currentOpenMs = options.openMs;
  }

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.clock.now() >= this.openUntil ? 'half-open' : 'open';
  }

  /** Runs `call` if the circuit lets it through; rejects with BreakerOpenError otherwise. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) throw new BreakerOpenError(`shared store circuit ${state}`);
    const probe = state === 'half-open';
    if (probe) this.probing = true;
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (err) {
      this.failed(probe);
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (!this.opened) return;
    this.opened = false;
    this.currentOpenMs = this.options.openMs;
    this.onChange('closed');
  }

  private failed(probe: boolean): void {
    if (probe) {
      this.currentOpenMs = Math.min(this.currentOpenMs * 2, this.options.maxOpenMs);
      this.openUntil = this.clock.now() + this.currentOpenMs;
      this.onChange('open');
      return;
    }
    // Late failures of calls started before the circuit opened change nothing.
    if (this.opened) return;
    if (++this.failures < this.options.failureThreshold) return;
    this.opened = true;
    this.trips++;
    this.openUntil = this.clock.now() + this.currentOpenMs;
    this.onChange('open');
  }
}
