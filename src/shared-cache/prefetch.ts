// Prefetch: answers still asked for in the last part of their TTL are refreshed in the background
// before they expire, earliest expiry first (a priority queue, tinyqueue), once per cluster (the
// question's resolution lease), with a bounded queue and a bounded number of refreshes at once.

import TinyQueue from 'tinyqueue';
import type { CachedNegative, CachedRRset } from '../cache/record-cache.ts';
import type { ClientQuestion, Resolve } from '../resolver/resolution.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { ClusterCoalescer } from './cluster-coalesce.ts';
import type { SharedCacheOptions } from './options.ts';
import type { SharedRecordCache } from './shared-record-cache.ts';
import type { SharedCacheStats } from './stats.ts';

/** An answer read near its expiry: (name, type) was asked, `entry` answered it. */
export interface DueEntry {
  name: string;
  type: number;
  entry: CachedRRset | CachedNegative;
  expiresAt: number;
}

export interface PrefetcherDeps {
  cache: SharedRecordCache;
  coalescer: ClusterCoalescer;
  /** Resolves a question without taking the cached answer to it (resolver.resolve(q, REFRESH)). */
  refresh: Resolve;
  clock: Clock;
  options: Pick<SharedCacheOptions, 'prefetchQueueSize' | 'prefetchConcurrency'>;
  log: Logger;
  stats: SharedCacheStats;
}

export class Prefetcher {
  private readonly d: PrefetcherDeps;
  private readonly queue = new TinyQueue<DueEntry>([], (a, b) => a.expiresAt - b.expiresAt);
  /** Questions queued or being refreshed: each once. */
  private readonly pending = new Set<string>();
  private running = 0;
  private closed = false;

  constructor(deps: PrefetcherDeps) {
    this.d = deps;
  }

  /** Queues a refresh of an answer read near its expiry (the driver's prefetch branch). */
  note(due: DueEntry): void {
    const id = `${due.name}|${due.type}`;
    if (this.closed || this.pending.has(id)) return;
    if (this.queue.length >= this.d.options.prefetchQueueSize) {
      this.d.stats.prefetchSkipped++;
      return;
    }
    this.pending.add(id);
    this.queue.push(due);
    this.d.stats.prefetchQueued++;
    this.pump();
  }

  /** Refreshes queued or running; for tests and shutdown. */
  get backlog(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    while (this.queue.length > 0) this.queue.pop();
  }

  private pump(): void {
    while (!this.closed && this.running < this.d.options.prefetchConcurrency && this.queue.length > 0) {
      const due = this.queue.pop()!;
      this.running++;
      void this.run(due).finally(() => {
        this.running--;
        this.pending.delete(`${due.name}|${due.type}`);
        this.pump();
      });
    }
  }

  private async run(due: DueEntry): Promise<void> {
    // Expired while queued: the next client's miss resolves it (or serve-stale answers).
    if (due.expiresAt <= this.d.clock.now()) {
      this.d.stats.prefetchSkipped++;
      return;
    }
    const q: ClientQuestion = { qname: due.name, qtype: due.type, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true };
    try {
      const refreshed = await this.d.coalescer.underLease(q, async () => {
        // Another front-end may have refreshed it between our read and our lease: once per cluster.
        const stored = await this.d.cache.storedExpiry(due.entry);
        if (stored !== undefined && stored > due.expiresAt) return false;
        const r = await this.d.refresh(q);
        return r.kind !== 'servfail' && r.kind !== 'refused';
      });
      if (refreshed) this.d.stats.prefetchDone++;
      else this.d.stats.prefetchSkipped++;
    } catch (err) {
      this.d.stats.prefetchSkipped++;
      this.d.log.debug('prefetch failed', { err: (err as Error).message });
    }
  }
}
