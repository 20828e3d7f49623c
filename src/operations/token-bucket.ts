// A token bucket: `capacity` at once, refilled at `perMs` tokens per millisecond; time is an argument.

export class TokenBucket {
  private tokens: number;
  private last = -Infinity;
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(capacity: number, perMs: number) {
    this.capacity = Math.max(1, capacity);
    this.perMs = perMs;
    this.tokens = this.capacity;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    if (this.last !== -Infinity) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
