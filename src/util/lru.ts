// The one bounded least-recently-used map: every per-process cache of andns (hot answers, the
// embedded store, DNSSEC keys, infrastructure state…) is one of these, bounded in bytes and/or
// entries, with O(1) get/set/delete and no allocation on a hit (the UDP hot path uses it).

/**
 * Bookkeeping of one entry beyond its key's characters and the caller's own bytes: the index
 * Map's slot (key, value, chain, at a load factor near 2) and this class's per-slot arrays.
 * Measured with `node dist/loadtest/memory/overheads.js` (README, Memory).
 */
export const LRU_SLOT_BYTES = 64;

export interface LruLimits {
  /** Bound on the sum of entry costs (bytes given to set() + key length + LRU_SLOT_BYTES); Infinity: none. */
  maxBytes?: number;
  /** Bound on the number of entries; Infinity: none. */
  maxEntries?: number;
}

export interface LruOptions<V> extends LruLimits {
  /** Told of every entry that leaves to make room (not of delete() or replacement). */
  onEvict?: (key: string, value: V) => void;
}

const NONE = -1;
const INITIAL_SLOTS = 16;

/**
 * Entries live in slots; a doubly-linked list over typed arrays orders them from most recently
 * used (head) to least (tail), and a Map finds a key's slot. A get() is a Map lookup plus a few
 * typed-array writes: no object is made. The slot arrays double when full and never shrink
 * below what the bound let them reach.
 */
export class Lru<V> {
  private readonly index = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private values: (V | undefined)[] = [];
  private costs = new Float64Array(INITIAL_SLOTS);
  private prev = new Int32Array(INITIAL_SLOTS);
  private next = new Int32Array(INITIAL_SLOTS);
  private head = NONE;
  private tail = NONE;
  /** Slots freed by delete/evict, chained through `next`. */
  private free = NONE;
  private used = 0;
  private bytes = 0;
  private maxBytes: number;
  private maxEntries: number;
  private readonly onEvict: ((key: string, value: V) => void) | undefined;
  /** Entries that left to make room since construction. */
  evictions = 0;

  constructor(options: LruOptions<V> = {}) {
    this.maxBytes = checkLimit('maxBytes', options.maxBytes);
    this.maxEntries = checkLimit('maxEntries', options.maxEntries);
    this.onEvict = options.onEvict;
  }

  get size(): number {
    return this.index.size;
  }

  /** Sum of entry costs, as counted against maxBytes. */
  get byteSize(): number {
    return this.bytes;
  }

  get limits(): Required<LruLimits> {
    return { maxBytes: this.maxBytes, maxEntries: this.maxEntries };
  }

  /** Changes the bounds (a memory budget re-split); evicts at once down to them. */
  setLimits(limits: LruLimits): void {
    if (limits.maxBytes !== undefined) this.maxBytes = checkLimit('maxBytes', limits.maxBytes);
    if (limits.maxEntries !== undefined) this.maxEntries = checkLimit('maxEntries', limits.maxEntries);
    this.shrink();
  }

  /** The value, marked most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.toHead(slot);
    return this.values[slot];
  }

  /** The value without changing its position. */
  peek(key: string): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /**
   * Keeps `value` under `key` as the most recently used, replacing any old value, then evicts
   * from the least recently used end until within bounds. `bytes` is what the value weighs
   * (the key and the slot are added). False when it cannot fit at all (it is not kept then,
   * and an old value under `key` is gone).
   */
  set(key: string, value: V, bytes = 0): boolean {
    this.delete(key);
    const cost = bytes + key.length + LRU_SLOT_BYTES;
    if (cost > this.maxBytes || this.maxEntries < 1) return false;
    const slot = this.allocate();
    this.keys[slot] = key;
    this.values[slot] = value;
    this.costs[slot] = cost;
    this.bytes += cost;
    this.index.set(key, slot);
    this.linkHead(slot);
    this.shrink();
    return true;
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.release(slot);
    return true;
  }

  /** The least recently used key (next to be evicted), or undefined when empty. */
  oldest(): string | undefined {
    return this.tail === NONE ? undefined : this.keys[this.tail];
  }

  /** Deletes every entry the test accepts (flushes); returns how many. */
  deleteWhere(test: (key: string, value: V) => boolean): number {
    let n = 0;
    for (let slot = this.head; slot !== NONE; ) {
      const after = this.next[slot]!;
      if (test(this.keys[slot]!, this.values[slot]!)) {
        this.release(slot);
        n++;
      }
      slot = after;
    }
    return n;
  }

  /** Visits every entry from most to least recently used, without reordering. */
  forEach(visit: (value: V, key: string) => void): void {
    for (let slot = this.head; slot !== NONE; slot = this.next[slot]!) visit(this.values[slot]!, this.keys[slot]!);
  }

  clear(): void {
    this.index.clear();
    this.keys = [];
    this.values = [];
    this.costs = new Float64Array(INITIAL_SLOTS);
    this.prev = new Int32Array(INITIAL_SLOTS);
    this.next = new Int32Array(INITIAL_SLOTS);
    this.head = this.tail = this.free = NONE;
    this.used = 0;
    this.bytes = 0;
  }

  private shrink(): void {
    while ((this.bytes > this.maxBytes || this.index.size > this.maxEntries) && this.tail !== NONE) {
      const slot = this.tail;
      const key = this.keys[slot]!;
      const value = this.values[slot]!;
      this.release(slot);
      this.evictions++;
      this.onEvict?.(key, value);
    }
  }

  private allocate(): number {
    if (this.free !== NONE) {
      const slot = this.free;
      this.free = this.next[slot]!;
      return slot;
    }
    if (this.used === this.costs.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.costs.length * 2;
    const costs = new Float64Array(n);
    costs.set(this.costs);
    const prev = new Int32Array(n);
    prev.set(this.prev);
    const next = new Int32Array(n);
    next.set(this.next);
    this.costs = costs;
    this.prev = prev;
    this.next = next;
  }

  private release(slot: number): void {
    this.index.delete(this.keys[slot]!);
    this.unlink(slot);
    this.bytes -= this.costs[slot]!;
    this.keys[slot] = undefined;
    this.values[slot] = undefined; // let the value be collected now
    this.next[slot] = this.free;
    this.free = slot;
  }

  private toHead(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkHead(slot);
  }

  private linkHead(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }
}

function checkLimit(name: string, value: number | undefined): number {
  if (value === undefined) return Infinity;
  if (!(value >= 0)) throw new RangeError(`lru ${name} must be a number >= 0, got ${value}`);
  return value;
}
