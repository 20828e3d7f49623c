// The embedded shared store (the default when no Redis is configured): one process's memory,
// bounded in bytes, least recently used out first, with the same semantics as Redis.

import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.ts';
import { globToRegExp } from './glob.ts';
import { keepsExisting } from './guard.ts';
import type { MessageListener, SetOptions, SharedStore } from './store.ts';

export interface MemoryStoreOptions {
  /** Bytes of keys + values held before the least recently used go. Default 64 MiB. */
  maxBytes: number;
}

export const defaultMemoryStoreOptions: MemoryStoreOptions = Object.freeze({ maxBytes: 64 * 1024 * 1024 });

/** Per-entry bookkeeping cost counted on top of key and value (Map slot, object, Buffer header). */
const ENTRY_OVERHEAD = 96;

interface Entry {
  value: Buffer;
  expireAtMs: number;
}

export class MemoryStore implements SharedStore {
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<MessageListener>>();
  private readonly options: MemoryStoreOptions;
  private readonly clock: Clock;
  private bytes = 0;

  constructor(options: MemoryStoreOptions, clock: Clock) {
    if (!(options.maxBytes > 0)) throw new TypeError(`memory store maxBytes must be positive: ${options.maxBytes}`);
    this.options = options;
    this.clock = clock;
  }

  /** Bytes currently accounted (keys + values + overhead). */
  get usedBytes(): number {
    return this.bytes;
  }

  /** Keys held (expired ones included until they are next touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return keys.map((k) => this.read(k)?.value ?? null);
  }

  async set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    this.write(key, { value: Buffer.from(value), expireAtMs: options.expireAtMs });
  }

  async setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    const existing = this.read(key)?.value;
    if (keepsExisting(existing, value, options.nowMs)) return existing!;
    this.write(key, { value: Buffer.from(value), expireAtMs: options.expireAtMs });
    return null;
  }

  async del(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.read(k) && this.remove(k)) n++;
    return n;
  }

  async deleteMatching(glob: string): Promise<number> {
    const re = globToRegExp(glob);
    let n = 0;
    for (const k of [...this.entries.keys()]) if (re.test(k) && this.remove(k)) n++;
    return n;
  }

  async lease(key: string, ttlMs: number): Promise<string | null> {
    if (this.read(key)) return null;
    const token = randomBytes(9).toString('base64url');
    this.write(key, { value: Buffer.from(token), expireAtMs: this.clock.now() + ttlMs });
    return token;
  }

  async release(key: string, token: string): Promise<boolean> {
    const entry = this.read(key);
    if (!entry || entry.value.toString() !== token) return false;
    return this.remove(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    // Delivered later, as from Redis: a publisher never runs listeners inside its own call.
    for (const listener of this.channels.get(channel) ?? []) queueMicrotask(() => listener(message));
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    const own = (m: string): void => listener(m); // a distinct function per subscription
    set.add(own);
    return async () => {
      set.delete(own);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }

  private read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expireAtMs <= this.clock.now()) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key); // refresh the LRU position
    this.entries.set(key, entry);
    return entry;
  }

  private write(key: string, entry: Entry): void {
    this.remove(key);
    if (entry.expireAtMs <= this.clock.now()) return;
    this.entries.set(key, entry);
    this.bytes += cost(key, entry);
    while (this.bytes > this.options.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.bytes -= cost(key, entry);
    return true;
  }
}

function cost(key: string, entry: Entry): number {
  return key.length + entry.value.length + ENTRY_OVERHEAD;
}
