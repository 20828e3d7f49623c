// The per-process tier in front of the shared store: decoded entries, bounded in bytes, least
// recently used out first, each served until its expiry but, while the shared store answers,
// for at most maxAgeMs after it was last read from (or written to) it. Only with Redis: the
// embedded store is in this process already (README, Memory).

import { Lru } from '../util/lru.ts';
import type { CacheValue } from './codec.ts';

export interface HotEntry {
  value: CacheValue;
  expiresAt: number;
  /** When this process last saw this value in the shared store (or put it there), ms. */
  checkedAt: number;
  /** Size of its encoded value. */
  bytes: number;
}

/**
 * Resident bytes of a decoded value per encoded byte, and per entry (entry object, the owned
 * copy's backing store, the decoded records' objects): measured by loadtest/memory/overheads.ts.
 */
const DECODED_PER_BYTE = 3;
const OVERHEAD = 800;

export class HotMap {
  private readonly entries: Lru<HotEntry>;
  private readonly maxAgeMs: number;

  constructor(maxBytes: number, maxAgeMs: number) {
    this.entries = new Lru({ maxBytes: Math.max(0, maxBytes) });
    this.maxAgeMs = maxAgeMs;
  }

  /** False with a byte bound of 0: nothing is kept, so callers need not prepare entries. */
  get enabled(): boolean {
    return this.entries.limits.maxBytes > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against maxBytes. */
  get byteSize(): number {
    return this.entries.byteSize;
  }

  get evictions(): number {
    return this.entries.evictions;
  }

  /** Changes the byte bound (the memory budget's share); evicts at once down to it. */
  setMaxBytes(maxBytes: number): void {
    this.entries.setLimits({ maxBytes: Math.max(0, maxBytes) });
  }

  /**
   * The entry if unexpired (refreshing its LRU position). It may be older than maxAgeMs: the
   * caller serves it only when fresh(), or when the shared store cannot be asked.
   */
  get(key: string, now: number): HotEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Checked against the shared store recently enough to be served without asking it. */
  fresh(entry: HotEntry, now: number): boolean {
    return now - entry.checkedAt < this.maxAgeMs;
  }

  set(key: string, entry: HotEntry): void {
    this.entries.set(key, entry, entry.bytes * DECODED_PER_BYTE + OVERHEAD);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose owner name passes the test (flushes). */
  deleteWhere(test: (key: string, entry: HotEntry) => boolean): void {
    this.entries.deleteWhere(test);
  }
}
