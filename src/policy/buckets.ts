// A bounded table of token buckets keyed by four 32-bit words, in typed arrays: a lookup on the
// UDP hit path allocates nothing. Buckets sit in groups of 8; a new key takes an empty slot of
// its group or the one touched longest ago (a bucket idle that long has refilled: nothing lost).

import { randomBytes } from 'node:crypto';

const GROUP = 8;

export class TokenTable {
  /** Per slot: the key's 4 words; word 3 (the tag) is never 0, so 0 marks an empty slot. */
  private readonly keys: Uint32Array;
  /** Tokens left, and when (ms) they were last refilled. */
  readonly tokens: Float64Array;
  private readonly stamp: Float64Array;
  /** Limited events of the bucket: every slip-th one is answered by slip (rrl.ts). */
  readonly limited: Uint32Array;
  /** Tokens taken since the last cluster sync, and the slots that have any (shared-buckets.ts). */
  readonly spent: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private dirtyCount = 0;
  private readonly groupMask: number;
  private readonly seed: number;
  /** Keys evicted to make room (a sign the table is too small for the sources seen). */
  evictions = 0;

  /** Room for at least `capacity` buckets (rounded up to a power of two). */
  constructor(capacity: number) {
    let groups = 1;
    while (groups * GROUP < capacity) groups *= 2;
    const slots = groups * GROUP;
    this.keys = new Uint32Array(slots * 4);
    this.tokens = new Float64Array(slots);
    this.stamp = new Float64Array(slots);
    this.limited = new Uint32Array(slots);
    this.spent = new Float64Array(slots);
    this.dirty = new Uint8Array(slots);
    this.dirtyList = new Int32Array(slots);
    this.groupMask = groups - 1;
    // A secret seed: a client cannot pick keys that all land in one group to evict others.
    this.seed = randomBytes(4).readUInt32BE(0);
  }

  get capacity(): number {
    return this.tokens.length;
  }

  /** The slot of key (a, b, c, tag), created full (`burst` tokens) when absent. `tag` ≠ 0. */
  slot(a: number, b: number, c: number, tag: number, burst: number, now: number): number {
    let h = Math.imul(a ^ this.seed, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 15) ^ tag, 0x165667b1);
    h ^= h >>> 16;
    const first = (h & this.groupMask) * GROUP;
    const keys = this.keys;
    let victim = first;
    for (let s = first; s < first + GROUP; s++) {
      const k = s * 4;
      if (keys[k + 3] === tag && keys[k] === a && keys[k + 1] === b && keys[k + 2] === c) return s;
      if (keys[victim * 4 + 3] !== 0 && (keys[k + 3] === 0 || this.stamp[s]! < this.stamp[victim]!)) victim = s;
    }
    const k = victim * 4;
    if (keys[k + 3] !== 0) this.evictions++;
    keys[k] = a;
    keys[k + 1] = b;
    keys[k + 2] = c;
    keys[k + 3] = tag;
    this.tokens[victim] = burst;
    this.stamp[victim] = now;
    this.limited[victim] = 0;
    this.spent[victim] = 0;
    return victim;
  }

  /**
   * Takes one token from `slot` after refilling it at `rate` per second up to `burst`; true
   * when there was one. A refused take leaves the bucket as it was (it can go no lower).
   */
  take(slot: number, rate: number, burst: number, now: number): boolean {
    const elapsed = now - this.stamp[slot]!;
    let tokens = this.tokens[slot]!;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + (elapsed * rate) / 1000);
      this.stamp[slot] = now;
    }
    if (tokens < 1) {
      this.tokens[slot] = tokens;
      return false;
    }
    this.tokens[slot] = tokens - 1;
    this.spent[slot] = this.spent[slot]! + 1;
    if (this.dirty[slot] === 0) {
      this.dirty[slot] = 1;
      this.dirtyList[this.dirtyCount++] = slot;
    }
    return true;
  }

  /** The key words of `slot` (for the cluster sync), written to `out`. */
  keyOf(slot: number, out: Uint32Array): void {
    for (let i = 0; i < 4; i++) out[i] = this.keys[slot * 4 + i]!;
  }

  /** Hands out the slots with tokens spent since the last call and clears their marks. */
  drainDirty(visit: (slot: number, spent: number) => void): void {
    const count = this.dirtyCount;
    this.dirtyCount = 0;
    for (let i = 0; i < count; i++) {
      const slot = this.dirtyList[i]!;
      this.dirty[slot] = 0;
      const spent = this.spent[slot]!;
      this.spent[slot] = 0;
      if (spent > 0) visit(slot, spent);
    }
  }

  /**
   * Lowers `slot`'s tokens to what the cluster says is left, if it still holds the key the
   * sync was for (it may have been evicted meanwhile).
   */
  settle(slot: number, a: number, b: number, c: number, tag: number, remote: number): void {
    const k = slot * 4;
    const keys = this.keys;
    if (keys[k] !== a || keys[k + 1] !== b || keys[k + 2] !== c || keys[k + 3] !== tag) return;
    if (remote < this.tokens[slot]!) this.tokens[slot] = remote;
  }
}
