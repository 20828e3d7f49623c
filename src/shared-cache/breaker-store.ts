// A SharedStore behind a circuit breaker: while Redis is down or slow every call fails at once
// (BreakerOpenError) instead of waiting out a timeout, and probes find out when it is back.

import { instruments } from '../telemetry/instruments.ts';
import type { CircuitBreaker } from './breaker.ts';
import type { MessageListener, SetOptions, SharedStore } from './store.ts';

/** The `command` label of andns_redis_command_duration_seconds, one attribute object each. */
const COMMANDS = {
  mget: { command: 'mget' }, set: { command: 'set' }, setRanked: { command: 'set_ranked' }, del: { command: 'del' },
  deleteMatching: { command: 'delete_matching' }, lease: { command: 'lease' }, release: { command: 'release' }, publish: { command: 'publish' },
} as const;

export class BreakerStore implements SharedStore {
  private readonly inner: SharedStore;
  readonly breaker: CircuitBreaker;

  constructor(inner: SharedStore, breaker: CircuitBreaker) {
    this.inner = inner;
    this.breaker = breaker;
  }

  mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return this.timed('mget', () => this.inner.mget(keys));
  }
  set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    return this.timed('set', () => this.inner.set(key, value, options));
  }
  setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    return this.timed('setRanked', () => this.inner.setRanked(key, value, options));
  }
  del(keys: readonly string[]): Promise<number> {
    return this.timed('del', () => this.inner.del(keys));
  }
  deleteMatching(glob: string): Promise<number> {
    return this.timed('deleteMatching', () => this.inner.deleteMatching(glob));
  }
  lease(key: string, ttlMs: number): Promise<string | null> {
    return this.timed('lease', () => this.inner.lease(key, ttlMs));
  }
  release(key: string, token: string): Promise<boolean> {
    return this.timed('release', () => this.inner.release(key, token));
  }
  publish(channel: string, message: string): Promise<void> {
    return this.timed('publish', () => this.inner.publish(channel, message));
  }
  /** Not guarded: the client re-subscribes by itself when the store comes back. */
  subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    return this.inner.subscribe(channel, listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Calls that pass the breaker are timed, failures and timeouts included (they are the tail). */
  private timed<T>(command: keyof typeof COMMANDS, call: () => Promise<T>): Promise<T> {
    return this.breaker.run(async () => {
      const started = performance.now();
      try {
        return await call();
      } finally {
        instruments.redisCommandDuration.record((performance.now() - started) / 1000, COMMANDS[command]);
      }
    });
  }
}
