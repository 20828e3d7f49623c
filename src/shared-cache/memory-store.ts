// The embedded shared store (the default when no Redis is configured): one process's memory,
// bounded in bytes, least recently used out first, with the same semantics as Redis.

import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.ts';
import { Lru } from '../util/lru.ts';
import { globToRegExp } from './glob.ts';
import { keepsExisting } from './guard.ts';
import type { MessageListener, SetOptions, SharedStore } from './store.ts';

export interface MemoryStoreOptions {
  /** Bytes of keys + values held before the least recently used go. Default 64 MiB. */
  maxBytes: number;
}

export const defaultMemoryStoreOptions: MemoryStoreOptions = Object.freeze({ maxBytes: 64 * 1024 * 1024 });

/** Per-entry cost on top of key and value characters: the entry object and both strings' headers. */
const ENTRY_OVERHEAD = 96;

/**
 * Values are held as one-byte (latin1) strings, not Buffers: a string lives in the V8 heap,
 * which the garbage collector compacts, while a small Buffer either pins a 64 KiB slab of
 * Node's shared pool or owns a backing store costing ~500 bytes by itself (measured,
 * loadtest/memory/overheads.ts). A read copies the value out, as a Redis reply would.
 */
interface Entry {
  value: string;
  expireAtMs: number;
}

export class MemoryStore implements SharedStore {
  private readonly entries: Lru<Entry>;
  private readonly channels = new Map<string, Set<MessageListener>>();
  private readonly clock: Clock;

  constructor(options: MemoryStoreOptions, clock: Clock) {
    if (!(options.maxBytes > 0)) throw new TypeError(`memory store maxBytes must be positive: ${options.maxBytes}`);
    this.entries = new Lru({ maxBytes: options.maxBytes });
    this.clock = clock;
  }

  /** Bytes currently accounted (keys + values + overhead). */
  get usedBytes(): number {
    return this.entries.byteSize;
  }

  /** Entries dropped to stay within maxBytes. */
  get evictions(): number {
    return this.entries.evictions;
  }

  /** Changes the byte bound (the memory budget's share); evicts at once down to it. */
  setMaxBytes(maxBytes: number): void {
    if (!(maxBytes > 0)) throw new TypeError(`memory store maxBytes must be positive: ${maxBytes}`);
    this.entries.setLimits({ maxBytes });
  }

  /** Keys held (expired ones included until they are next touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return keys.map((k) => {
      const e = this.read(k);
      return e ? Buffer.from(e.value, 'latin1') : null;
    });
  }

  async set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    this.write(key, { value: value.toString('latin1'), expireAtMs: options.expireAtMs });
  }

  async setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    const held = this.read(key)?.value;
    const existing = held === undefined ? undefined : Buffer.from(held, 'latin1');
    if (keepsExisting(existing, value, options.nowMs)) return existing!;
    this.write(key, { value: value.toString('latin1'), expireAtMs: options.expireAtMs });
    return null;
  }

  async del(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.read(k) && this.entries.delete(k)) n++;
    return n;
  }

  async deleteMatching(glob: string): Promise<number> {
    const re = globToRegExp(glob);
    return this.entries.deleteWhere((k) => re.test(k));
  }

  async lease(key: string, ttlMs: number): Promise<string | null> {
    if (this.read(key)) return null;
    const token = randomBytes(9).toString('base64url');
    this.write(key, { value: token, expireAtMs: this.clock.now() + ttlMs });
    return token;
  }

  async release(key: string, token: string): Promise<boolean> {
    const entry = this.read(key);
    if (!entry || entry.value !== token) return false;
    return this.entries.delete(key);
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

  /** The unexpired entry, refreshed as most recently used. */
  private read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expireAtMs <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (entry.expireAtMs <= this.clock.now()) return;
    this.entries.set(key, entry, entry.value.length + ENTRY_OVERHEAD);
  }
}
