// The per-zone cap on upstream queries in flight, fair to the zone's other queries: past the cap a
// query waits in a bounded FIFO for a slot (as long as its own deadline allows); only what does not
// fit in the queue, or waits too long, fails. The failure is local overload, not the zone's: the
// query's budget is marked so the iterator never records it as a zone failure (RFC 9520 caches
// failures of the zone's servers, not of this resolver).

import { WorkLimitExceeded, type Budget } from './budget.ts';

interface Waiter {
  grant(): void;
}

interface ZoneState {
  active: number;
  queue: Waiter[];
}

export class ZoneGate {
  private readonly zones = new Map<string, ZoneState>();
  private readonly maxInFlight: number;
  private readonly maxQueued: number;

  /** `maxInFlight` per zone (limits.maxInflightPerZone); as many again may wait. */
  constructor(maxInFlight: number, maxQueued = maxInFlight) {
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
  }

  /** Holds a slot of `zone` for one exchange (then call `leave`), waiting for one if need be. */
  async enter(zone: string, budget: Budget): Promise<void> {
    let z = this.zones.get(zone);
    if (!z) this.zones.set(zone, (z = { active: 0, queue: [] }));
    if (z.active < this.maxInFlight) {
      z.active++;
      return;
    }
    const state = z;
    if (state.queue.length >= this.maxQueued) throw overloaded(budget);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      // Waiting past the query's own deadline helps nobody.
      const timer = setTimeout(() => {
        const at = state.queue.indexOf(waiter);
        if (at >= 0) state.queue.splice(at, 1);
        reject(overloaded(budget));
      }, Math.max(0, budget.remainingMs()));
      state.queue.push(waiter);
    });
  }

  /** Gives the slot back: to the longest waiter of the zone, if any. */
  leave(zone: string): void {
    const z = this.zones.get(zone);
    if (!z) return;
    const next = z.queue.shift();
    if (next) {
      next.grant(); // the slot passes on: `active` is unchanged
      return;
    }
    z.active--;
    if (z.active <= 0) this.zones.delete(zone);
  }

  /** Exchanges in flight to `zone` (tests). */
  inFlight(zone: string): number {
    return this.zones.get(zone)?.active ?? 0;
  }
}

function overloaded(budget: Budget): WorkLimitExceeded {
  budget.overloaded = true;
  return new WorkLimitExceeded('zone-inflight');
}
