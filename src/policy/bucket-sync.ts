// Keeps a front-end's rate-limit buckets in step with the cluster's (shared-cache/shared-buckets.ts):
// every interval, what each touched bucket spent goes to Redis in one batch and the bucket is
// lowered to what the cluster has left. Between syncs each front-end limits on its own (the local
// allowance); when Redis fails or the shared cache's circuit is open, limits stay per process.

import type { SharedBuckets, BucketSpend } from '../shared-cache/shared-buckets.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { ExposureGuard } from './guard.ts';

/** Buckets synchronised per interval at most; the rest of that interval's spend stays local. */
const MAX_PER_SYNC = 10_000;

interface Pending {
  slot: number;
  a: number;
  b: number;
  c: number;
  tag: number;
}

export interface BucketSyncDeps {
  guard: ExposureGuard;
  shared: SharedBuckets;
  clock: Clock;
  log: Logger;
  /** Key prefix of the shared cache (sharedCache.keyPrefix). */
  keyPrefix: string;
  intervalMs: number;
  /** False while the shared store is known to be down (the breaker is open): skip a sync. */
  available?: () => boolean;
}

export class BucketSync {
  private readonly d: BucketSyncDeps;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly words = new Uint32Array(4);
  /** Syncs done and failed (tests, stats). */
  syncs = 0;
  failures = 0;
  private lastWarn = 0;

  constructor(deps: BucketSyncDeps) {
    this.d = deps;
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), this.d.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sync now (the timer calls it; tests too). A sync still running makes this one a no-op. */
  sync(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.once().finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(): Promise<void> {
    const { guard } = this.d;
    const pending: Pending[] = [];
    const entries: BucketSpend[] = [];
    guard.table.drainDirty((slot, spent) => {
      if (entries.length >= MAX_PER_SYNC) return;
      guard.table.keyOf(slot, this.words);
      const [a, b, c, tag] = this.words;
      const rate = guard.rateOfTag(tag!);
      if (rate <= 0) return;
      pending.push({ slot, a: a!, b: b!, c: c!, tag: tag! });
      entries.push({ key: `${this.d.keyPrefix}rl:{${tag!.toString(36)}.${a!.toString(36)}.${b!.toString(36)}.${c!.toString(36)}}`, spent, rate, burst: rate });
    });
    if (entries.length === 0) return;
    if (this.d.available && !this.d.available()) return;
    try {
      const left = await this.d.shared.spend(entries, this.d.clock.now());
      pending.forEach((p, i) => {
        const remote = left[i]!;
        if (!Number.isNaN(remote)) guard.table.settle(p.slot, p.a, p.b, p.c, p.tag, remote);
      });
      this.syncs++;
    } catch (err) {
      this.failures++;
      const now = this.d.clock.now();
      if (now - this.lastWarn > 10_000) {
        this.lastWarn = now;
        this.d.log.warn('rate-limit sync with redis failed; limits are per process until it is back', { err: (err as Error).message });
      }
    }
  }
}
