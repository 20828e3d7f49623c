// Time as an argument (STYLE 9): code asks a Clock, tests hand in a fake one.

export interface Clock {
  /** Wall-clock milliseconds since the epoch; TTL expiry times are on this scale. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(startMs = 1_700_000_000_000) {
    this.ms = startMs;
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
