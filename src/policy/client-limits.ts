// Per-client limits on every transport: a query rate per client address (an IPv6 client's /64),
// and a cap on its queries in resolution at once. DNSBomb (2024) makes a resolver hold many
// slow queries "from" a victim and release their answers together; the in-flight cap bounds
// that pulse, the rate bounds the flood.

import type { TokenTable } from './buckets.ts';
import type { RateLimitOptions } from './options.ts';

const TAG_V4 = 16;
const TAG_V6 = 17;

export class ClientLimits {
  private readonly table: TokenTable;
  private readonly rate: number;
  private readonly maxInFlight: number;
  private readonly inFlight = new Map<string, number>();
  readonly counts = { overRate: 0, overInFlight: 0 };

  constructor(options: RateLimitOptions, table: TokenTable) {
    this.table = table;
    this.rate = options.clientQueriesPerSecond;
    this.maxInFlight = options.clientMaxInFlight;
  }

  /** True when the client at (family, words) may send this query now (takes a token). Allocation-free. */
  allowQuery(family: 4 | 6, words: Uint32Array, now: number): boolean {
    if (this.rate <= 0) return true;
    const slot = family === 4 ? this.table.slot(words[0]!, 0, 0, TAG_V4, this.rate, now) : this.table.slot(words[0]!, words[1]!, 0, TAG_V6, this.rate, now);
    if (this.table.take(slot, this.rate, this.rate, now)) return true;
    this.counts.overRate++;
    return false;
  }

  /**
   * Starts a resolution for the client: its key to hand to `leave`, or undefined when it
   * already has the most it may have in flight (then nothing was counted).
   */
  enter(family: 4 | 6, words: Uint32Array): string | undefined {
    const key = family === 4 ? `${words[0]}` : `${words[0]}:${words[1]}`;
    if (this.maxInFlight <= 0) return key;
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.maxInFlight) {
      this.counts.overInFlight++;
      return undefined;
    }
    this.inFlight.set(key, n + 1);
    return key;
  }

  leave(key: string): void {
    if (this.maxInFlight <= 0) return;
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }

  /** Clients with a query in resolution now (tests, stats). */
  get clientsInFlight(): number {
    return this.inFlight.size;
  }
}
