// The cluster lease: when several front-ends miss the same question at once, one takes a short
// lease (SET NX PX) and resolves; the others wait for it to finish (pub/sub, with polling as the
// safety net), then read the shared cache. A holder that dies only delays them until its lease
// ends. The driver (pipeline/driver.ts) takes, waits and releases; nothing here resolves.

import type { ClientQuestion } from '../resolver/resolution.ts';
import type { Logger } from '../util/log.ts';
import type { KeySpace } from './keys.ts';
import type { SharedCacheOptions } from './options.ts';
import { newStats, type SharedCacheStats } from './stats.ts';
import type { SharedStore } from './store.ts';

export interface ClusterCoalescerDeps {
  store: SharedStore;
  keys: KeySpace;
  options: Pick<SharedCacheOptions, 'leaseMs' | 'leasePollMs'>;
  log: Logger;
  stats?: SharedCacheStats;
}

export class ClusterCoalescer {
  readonly stats: SharedCacheStats;
  private readonly d: ClusterCoalescerDeps;
  private readonly wakers = new Map<string, Set<() => void>>();
  private subscription: Promise<(() => Promise<void>) | undefined> | undefined;

  constructor(deps: ClusterCoalescerDeps) {
    this.d = deps;
    this.stats = deps.stats ?? newStats();
  }

  /**
   * Takes the lease of `q` (SET NX PX): a release function when taken (call it once the
   * resolution's cache writes are done), null when another process holds it (then `wait`),
   * undefined when the store cannot be asked (then resolve here and now).
   */
  async take(q: ClientQuestion): Promise<(() => void) | null | undefined> {
    const key = this.d.keys.lease(q);
    let token: string | null;
    try {
      token = await this.d.store.lease(key, this.d.options.leaseMs);
    } catch {
      return undefined;
    }
    if (token === null) return null;
    this.stats.leasesTaken++;
    return () => void this.finish(key, token);
  }

  /** Waits for the holder of `q`'s lease to finish; false when it gave up (the holder died, or the store failed). */
  async wait(q: ClientQuestion): Promise<boolean> {
    this.stats.leaseWaits++;
    const finished = await this.waitFor(this.d.keys.lease(q));
    if (!finished) this.stats.leaseFallbacks++;
    return finished;
  }

  /**
   * Runs `work` while holding the lease of `q`, so that clients missing `q` meanwhile wait for
   * it as for any resolution; undefined when another process holds the lease or the store
   * cannot be asked (prefetch: then someone else is already at it, or it is not worth trying).
   */
  async underLease<T>(q: ClientQuestion, work: () => Promise<T>): Promise<T | undefined> {
    const key = this.d.keys.lease(q);
    let token: string | null;
    try {
      token = await this.d.store.lease(key, this.d.options.leaseMs);
    } catch {
      return undefined;
    }
    if (token === null) return undefined;
    this.stats.leasesTaken++;
    try {
      return await work();
    } finally {
      void this.finish(key, token);
    }
  }

  async close(): Promise<void> {
    const unsubscribe = await this.subscription;
    this.subscription = undefined;
    await unsubscribe?.();
    for (const set of this.wakers.values()) for (const wake of set) wake();
  }

  private async finish(key: string, token: string): Promise<void> {
    try {
      await this.d.store.release(key, token);
      await this.d.store.publish(this.d.keys.leaseChannel, key);
    } catch (err) {
      // Waiters' polls see the lease expire instead.
      this.d.log.debug('lease release failed', { err: (err as Error).message });
    }
  }

  /** Resolves true when the holder finished (message, or lease gone), false when we gave up. */
  private waitFor(key: string): Promise<boolean> {
    this.subscription ??= this.d.store.subscribe(this.d.keys.leaseChannel, (k) => this.wake(k)).catch(() => undefined);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (finished: boolean): void => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(limit);
        this.wakers.get(key)?.delete(wake);
        if (this.wakers.get(key)?.size === 0) this.wakers.delete(key);
        resolve(finished);
      };
      const wake = (): void => done(true);
      let set = this.wakers.get(key);
      if (!set) this.wakers.set(key, (set = new Set()));
      set.add(wake);
      // The safety net for a lost message or a dead holder: is the lease still there?
      const poll = setInterval(() => {
        this.d.store.mget([key]).then(
          ([held]) => (held ? undefined : done(true)),
          () => done(false),
        );
      }, this.d.options.leasePollMs);
      // Past the lease's own life nobody can still hold it for us: stop waiting.
      const limit = setTimeout(() => done(false), this.d.options.leaseMs + 2 * this.d.options.leasePollMs);
    });
  }

  private wake(key: string): void {
    for (const wake of [...(this.wakers.get(key) ?? [])]) wake();
  }
}
