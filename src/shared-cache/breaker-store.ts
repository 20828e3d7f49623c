// A SharedStore behind a circuit breaker: while Redis is down or slow every call fails at once
// (BreakerOpenError) instead of waiting out a timeout, and probes find out when it is back.

import type { CircuitBreaker } from './breaker.ts';
import type { MessageListener, SetOptions, SharedStore } from './store.ts';

export class BreakerStore implements SharedStore {
  private readonly inner: SharedStore;
  readonly breaker: CircuitBreaker;

  constructor(inner: SharedStore, breaker: CircuitBreaker) {
    this.inner = inner;
    this.breaker = breaker;
  }

  mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return this.breaker.run(() => this.inner.mget(keys));
  }
  set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    return this.breaker.run(() => this.inner.set(key, value, options));
  }
  setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    return this.breaker.run(() => this.inner.setRanked(key, value, options));
  }
  del(keys: readonly string[]): Promise<number> {
    return this.breaker.run(() => this.inner.del(keys));
  }
  deleteMatching(glob: string): Promise<number> {
    return this.breaker.run(() => this.inner.deleteMatching(glob));
  }
  lease(key: string, ttlMs: number): Promise<string | null> {
    return this.breaker.run(() => this.inner.lease(key, ttlMs));
  }
  release(key: string, token: string): Promise<boolean> {
    return this.breaker.run(() => this.inner.release(key, token));
  }
  publish(channel: string, message: string): Promise<void> {
    return this.breaker.run(() => this.inner.publish(channel, message));
  }
  /** Not guarded: the client re-subscribes by itself when the store comes back. */
  subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    return this.inner.subscribe(channel, listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
