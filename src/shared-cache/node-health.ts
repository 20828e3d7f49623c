// Health of each Redis Cluster master, one circuit breaker per node address: a dead or stalled
// master costs only the keys of its own slots, while every other slot keeps being read.
//
// The node of a key is whoever serves its slot in the client's current slot map, so when a
// replica takes over (after the cluster's node timeout and a slot refresh) its slots are judged
// by a fresh, closed breaker: fail-over needs no recovery probing.

import type { Clock } from '../util/clock.ts';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';

/** What andns reports as the shared tier's health. */
export type StoreHealthState = 'healthy' | 'degraded' | 'down';

export interface NodeState {
  node: string;
  state: BreakerState;
  trips: number;
}

export class NodeHealth {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly options: BreakerOptions;
  private readonly clock: Clock;
  private readonly onChange: (node: string, state: BreakerState) => void;

  private readonly watchers = new Set<(state: StoreHealthState) => void>();
  private last: StoreHealthState = 'healthy';

  constructor(options: BreakerOptions, clock: Clock, onChange: (node: string, state: BreakerState) => void = () => {}) {
    this.options = options;
    this.clock = clock;
    this.onChange = onChange;
  }

  /** The breaker of `node` ("host:port"), created closed on first use. */
  of(node: string): CircuitBreaker {
    let breaker = this.breakers.get(node);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options, this.clock, (state) => {
        this.onChange(node, state);
        this.changed();
      });
      this.breakers.set(node, breaker);
    }
    return breaker;
  }

  /** Hears the overall state when it changes (a node's circuit opened, or one came back). */
  watch(listener: (state: StoreHealthState) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Forgets nodes that no longer serve slots (a failed master replaced by its replica). */
  retain(current: ReadonlySet<string>): void {
    for (const node of this.breakers.keys()) if (!current.has(node)) this.breakers.delete(node);
    this.changed();
  }

  private changed(): void {
    const now = this.state;
    if (now === this.last) return;
    this.last = now;
    for (const w of this.watchers) w(now);
  }

  /** Probes every open node within `withinMs` (the client reconnected: no need to wait out the open time). */
  probeSoon(withinMs: number): void {
    for (const b of this.breakers.values()) b.probeSoon(withinMs);
  }

  /** healthy: every known master closed; down: none closed or ramping; degraded: in between. */
  get state(): StoreHealthState {
    let up = 0;
    let total = 0;
    for (const b of this.breakers.values()) {
      total++;
      const s = b.state;
      if (s === 'closed' || s === 'ramping') up++;
    }
    if (up === total) return 'healthy';
    return up === 0 ? 'down' : 'degraded';
  }

  nodes(): NodeState[] {
    return [...this.breakers].map(([node, b]) => ({ node, state: b.state, trips: b.trips }));
  }

  /** Times any node's circuit opened. */
  get trips(): number {
    let n = 0;
    for (const b of this.breakers.values()) n += b.trips;
    return n;
  }
}
