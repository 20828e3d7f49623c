// Counters of the shared cache, kept as plain numbers; telemetry (phase 2) reads and exports them.

export interface SharedCacheStats {
  /** Lookups answered by this process's hot map. */
  hotHits: number;
  /** Keys found in the shared store. */
  storeHits: number;
  /** Keys absent from both tiers. */
  misses: number;
  /** Values that failed to decode (treated as misses). */
  corrupt: number;
  /** Store calls that failed or were refused by the open breaker. */
  storeErrors: number;
  /** Values written to the shared store. */
  writes: number;
  /** Writes refused because a higher-ranked value was there (rank coherence). */
  writesKept: number;
  /** Leases taken, waits on another process's lease, and waits that ended in a local resolution. */
  leasesTaken: number;
  leaseWaits: number;
  leaseFallbacks: number;
  /** Answers served from expired data (RFC 8767). */
  staleAnswers: number;
  /** Entries queued for a refresh, refreshed, and skipped (another front-end did it, or too late). */
  prefetchQueued: number;
  prefetchDone: number;
  prefetchSkipped: number;
}

export function newStats(): SharedCacheStats {
  return {
    hotHits: 0, storeHits: 0, misses: 0, corrupt: 0, storeErrors: 0, writes: 0, writesKept: 0, leasesTaken: 0, leaseWaits: 0, leaseFallbacks: 0,
    staleAnswers: 0, prefetchQueued: 0, prefetchDone: 0, prefetchSkipped: 0 };
}
