// The per-process tier in front of the shared store: decoded entries, bounded in bytes, least
// recently used out first, each served until its expiry but, while the shared store answers,
// for at most maxAgeMs after it was last read from (or written to) it.

import type { CacheValue } from './codec.ts';

export interface HotEntry {
  value: CacheValue;
  expiresAt: number;
  /** When this process last saw this value in the shared store (or put it there), ms. */
  checkedAt: number;
  /** Size of its encoded value: the byte budget counts what Redis would hold. */
  bytes: number;
}

/** Map slot, entry object and decoded records weigh more than the encoded bytes: a flat allowance. */
const OVERHEAD = 200;

export class HotMap {
  private readonly entries = new Map<string, HotEntry>();
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private bytes = 0;

  constructor(maxBytes: number, maxAgeMs: number) {
    this.maxBytes = maxBytes;
    this.maxAgeMs = maxAgeMs;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against maxBytes. */
  get byteSize(): number {
    return this.bytes;
  }

  /**
   * The entry if unexpired (refreshing its LRU position). It may be older than maxAgeMs: the
   * caller serves it only when fresh(), or when the shared store cannot be asked.
   */
  get(key: string, now: number): HotEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Checked against the shared store recently enough to be served without asking it. */
  fresh(entry: HotEntry, now: number): boolean {
    return now - entry.checkedAt < this.maxAgeMs;
  }

  set(key: string, entry: HotEntry): void {
    this.delete(key);
    if (this.maxBytes <= 0) return;
    this.entries.set(key, entry);
    this.bytes += cost(key, entry);
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= cost(key, entry);
  }

  /** Drops every entry whose owner name passes the test (flushes). */
  deleteWhere(test: (key: string, entry: HotEntry) => boolean): void {
    for (const [k, e] of [...this.entries]) if (test(k, e)) this.delete(k);
  }
}

function cost(key: string, entry: HotEntry): number {
  return key.length + entry.bytes + OVERHEAD;
}
