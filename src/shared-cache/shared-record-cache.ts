// The RecordCache of a cluster: RRsets and negative answers in a SharedStore every front-end
// reads, with this process's hot map in front. Rank coherence is enforced by the store
// atomically; the hot map only saves round trips.

import { selfAndAncestors } from '../dns/name.ts';
import {
  Rank,
  type CacheAnswer,
  type CachedNegative,
  type ReadOptions,
  type CachedRRset,
  type NegativeAnswer,
  type RecordCache,
  type RRset,
} from '../cache/record-cache.ts';
import type { CacheOptions } from '../cache/options.ts';
import type { RR } from '../dns/message.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { decodeValue, encodeValue, NEGATIVE_RANK, type CacheValue } from './codec.ts';
import { scopeCovers, type FlushScope } from './flush.ts';
import { keeps, type RankedHeader } from './guard.ts';
import { HotMap } from './hot-map.ts';
import type { KeySpace } from './keys.ts';
import type { SharedCacheOptions } from './options.ts';
import { newStats, type SharedCacheStats } from './stats.ts';
import type { SharedStore } from './store.ts';

export interface SharedRecordCacheDeps {
  store: SharedStore;
  keys: KeySpace;
  clock: Clock;
  /** TTL floor and ceilings (the same settings as the in-process cache). */
  caps: CacheOptions;
  options: Pick<SharedCacheOptions, 'hotMaxBytes' | 'hotMaxAgeMs' | 'staleWindowMs' | 'prefetchPercent'>;
  log: Logger;
  stats?: SharedCacheStats;
}

const TYPE_CNAME = 5;

export class SharedRecordCache implements RecordCache {
  readonly stats: SharedCacheStats;
  private readonly d: SharedRecordCacheDeps;
  private readonly hot: HotMap;
  private lastWarn = 0;

  constructor(deps: SharedRecordCacheDeps) {
    this.d = deps;
    this.stats = deps.stats ?? newStats();
    this.hot = new HotMap(deps.options.hotMaxBytes, deps.options.hotMaxAgeMs);
  }

  /** Entries this process holds in memory. */
  get hotSize(): number {
    return this.hot.size;
  }

  /** Bytes of those entries, as counted against hotMaxBytes. */
  get hotBytes(): number {
    return this.hot.byteSize;
  }

  async answer(name: string, type: number, options?: ReadOptions): Promise<CacheAnswer | undefined> {
    const k = this.d.keys;
    const stale = options?.stale === true;
    // The name's own keys share a slot: one MGET, one round trip.
    const keys = type === TYPE_CNAME ? [k.rrset(name, type), k.nxdomain(name)] : [k.rrset(name, type), k.nxdomain(name), k.rrset(name, TYPE_CNAME)];
    const [set, nx, cname] = await this.fetch(keys, name, stale);
    const rrset = positive(set, type);
    if (rrset && rrset.rank >= Rank.NONAUTH_ANSWER) return { kind: 'rrset', rrset, ttl: set!.ttl };
    const negative = nodata(set, type) ?? nxdomain(nx);
    if (negative) return { kind: 'negative', negative, ttl: (negative.kind === 'nodata' ? set : nx)!.ttl };
    const alias = positive(cname, TYPE_CNAME);
    // A CNAME at the name proves the name exists, so no NXDOMAIN above it can apply: skip that
    // second round trip (RFC 8020 §2 concerns names below a nonexistent one).
    if (alias && alias.rank >= Rank.NONAUTH_ANSWER) return { kind: 'cname', cname: alias, ttl: cname!.ttl };
    // Serve-stale answers the name itself (RFC 8767): no walk up for an expired ancestor's NXDOMAIN.
    if (stale) return undefined;
    const above = await this.nxdomainAbove(name);
    return above ? { kind: 'negative', negative: above.negative, ttl: above.ttl } : undefined;
  }

  /** Expiry of what the shared store itself (not this process's copy) holds where `entry` came from. */
  async storedExpiry(entry: CachedRRset | CachedNegative): Promise<number | undefined> {
    const k = this.d.keys;
    const key = 'kind' in entry && entry.kind === 'nxdomain' ? k.nxdomain(entry.name) : k.rrset(entry.name, entry.type);
    const [buf] = await this.d.store.mget([key]);
    const value = this.decode(key, buf ?? null, entry.name);
    return value ? expiryOf(value) : undefined;
  }

  async getRRset(name: string, type: number): Promise<CachedRRset | undefined> {
    const [set] = await this.fetch([this.d.keys.rrset(name, type)], name);
    return positive(set, type);
  }

  async getNegative(name: string, type: number): Promise<CachedNegative | undefined> {
    const [set, nx] = await this.fetch([this.d.keys.rrset(name, type), this.d.keys.nxdomain(name)], name);
    return nodata(set, type) ?? nxdomain(nx) ?? (await this.nxdomainAbove(name))?.negative;
  }

  async putRRset(rrset: RRset, rank: Rank): Promise<void> {
    if (rrset.records.length === 0 || rrset.status === 'bogus') return;
    const ttl = this.capTtl(Math.min(...rrset.records.map(recordTtl)), this.d.caps.maxTtl);
    if (ttl <= 0) return;
    const expiresAt = this.d.clock.now() + ttl * 1000;
    const value: CacheValue = { kind: 'rrset', ttl, rrset: { ...rrset, status: rrset.status ?? 'unchecked', rank, expiresAt } };
    await this.write(this.d.keys.rrset(rrset.name, rrset.type), rrset.name, value);
  }

  async putNegative(answer: NegativeAnswer, ttlSeconds: number): Promise<void> {
    const ttl = this.capTtl(ttlSeconds, this.d.caps.maxNegativeTtl);
    if (ttl <= 0 || answer.status === 'bogus') return;
    const expiresAt = this.d.clock.now() + ttl * 1000;
    const value: CacheValue = { kind: 'negative', ttl, negative: { ...answer, status: answer.status ?? 'unchecked', expiresAt } };
    const k = answer.kind === 'nxdomain' ? this.d.keys.nxdomain(answer.name) : this.d.keys.rrset(answer.name, answer.type);
    await this.write(k, answer.name, value);
  }

  /** Drops what a flush covers from this process's memory (wire it to CacheFlusher.onFlush). */
  dropHot(scope: FlushScope): void {
    this.hot.deleteWhere((_, e) =>
      e.value.kind === 'rrset'
        ? scopeCovers(scope, e.value.rrset.name, e.value.rrset.type)
        : scopeCovers(scope, e.value.negative.name, e.value.negative.kind === 'nxdomain' ? 0 : e.value.negative.type),
    );
  }

  /** RFC 8020: an NXDOMAIN at an ancestor covers the name. Ancestors' keys: one batch. */
  private async nxdomainAbove(name: string): Promise<{ negative: CachedNegative; ttl: number } | undefined> {
    const above = selfAndAncestors(name).slice(1, -1); // not the name itself, not the root
    if (above.length === 0) return undefined;
    const values = await Promise.all(above.map((n) => this.fetch([this.d.keys.nxdomain(n)], n)));
    for (const [v] of values) {
      const nx = nxdomain(v);
      if (nx) return { negative: nx, ttl: v!.ttl };
    }
    return undefined;
  }

  /**
   * Values of keys all owned by `name`: fresh hot entries, else one store read for the rest.
   * `stale`: values past their expiry that the store still keeps (until expiry + staleWindowMs)
   * come back too, for serve-stale; they never enter the hot map.
   */
  private async fetch(keys: string[], name: string, stale = false): Promise<(CacheValue | undefined)[]> {
    const now = this.d.clock.now();
    const out: (CacheValue | undefined)[] = new Array(keys.length);
    const older: (CacheValue | undefined)[] = new Array(keys.length);
    const ask: number[] = [];
    keys.forEach((k, i) => {
      const entry = this.hot.get(k, now);
      if (entry && this.hot.fresh(entry, now)) {
        this.stats.hotHits++;
        out[i] = entry.value;
      } else {
        older[i] = entry?.value;
        ask.push(i);
      }
    });
    if (ask.length === 0) return out;
    let values: (Buffer | null)[];
    const asked = ask.map((i) => keys[i]!);
    try {
      // Not back within the store's budget: a miss for this query; the late values still warm the hot map.
      values = await this.d.store.mget(asked, { late: (late) => this.warm(asked, late, name) });
    } catch (err) {
      // The store cannot be asked: what this process still holds (unexpired) is the best answer.
      this.stats.storeErrors++;
      this.warn('shared cache read failed', { err: (err as Error).message });
      for (const i of ask) out[i] = older[i];
      return out;
    }
    const after = this.d.clock.now();
    ask.forEach((i, j) => {
      const key = keys[i]!;
      const value = this.decode(key, values[j] ?? null, name);
      const expiresAt = value ? expiryOf(value) : 0;
      if (!value || expiresAt <= after) {
        // Absent, unreadable, or only kept for serve-stale: a miss, and the hot copy goes too.
        if (stale && value) out[i] = value;
        else this.stats.misses++;
        this.hot.delete(key);
        return;
      }
      this.stats.storeHits++;
      this.keep(key, name, values[j]!, value, after);
      out[i] = value;
    });
    return out;
  }

  /** Values that came back after their reader gave up: kept for the next query if still fresh. */
  private warm(keys: readonly string[], values: (Buffer | null)[], name: string): void {
    const now = this.d.clock.now();
    keys.forEach((key, j) => {
      const buf = values[j];
      const value = buf ? this.decode(key, buf, name) : undefined;
      if (!value || expiryOf(value) <= now) return;
      this.keep(key, name, buf!, value, now);
    });
  }

  private decode(key: string, buf: Buffer | null, name: string): CacheValue | undefined {
    if (!buf) return undefined;
    try {
      return decodeValue(buf, name);
    } catch (err) {
      this.stats.corrupt++;
      this.warn('unreadable shared cache value treated as a miss', { key, bytes: buf.length, err: (err as Error).message });
      return undefined;
    }
  }

  /** Stores unless outranked; keeps the winner (ours or the one already there) in memory. */
  private async write(key: string, name: string, value: CacheValue): Promise<void> {
    const now = this.d.clock.now();
    const held = this.hot.get(key, now);
    // Known locally to lose: skip the round trip. The store's atomic check is the real guard.
    if (held && keeps(headerOf(held.value), headerOf(value), now)) return;
    let buf: Buffer;
    try {
      buf = encodeValue(value);
    } catch (err) {
      this.warn('value not encodable, not cached', { key, err: (err as Error).message });
      return;
    }
    const expiresAt = expiryOf(value);
    try {
      const kept = await this.d.store.setRanked(key, buf, { expireAtMs: expiresAt + this.d.options.staleWindowMs, nowMs: now });
      this.stats.writes++;
      if (kept) {
        const winner = this.decode(key, kept, name);
        if (winner) {
          this.stats.writesKept++;
          this.keep(key, name, kept, winner, this.d.clock.now());
          return;
        }
        // Garbage with a plausible header outranked us in the store's quick check: garbage never
        // wins, so overwrite it (unguarded; a real value racing in here is at worst replaced).
        await this.d.store.set(key, buf, { expireAtMs: expiresAt + this.d.options.staleWindowMs });
      }
    } catch (err) {
      // Dropped: the shared tier misses it, but this process still answers from memory.
      this.stats.storeErrors++;
      this.warn('shared cache write dropped', { err: (err as Error).message });
    }
    this.keep(key, name, buf, value, now);
  }

  /**
   * Keeps `value` (decoded from `buf`) in the hot map. The kept copy is decoded again from a
   * private copy of `buf`: decoded records are slices of the bytes they came from, and those
   * (a Redis reply, Node's 64 KiB Buffer pool slab, an upstream message) would stay alive with
   * it, far beyond what the byte bound counts.
   */
  private keep(key: string, name: string, buf: Buffer, value: CacheValue, checkedAt: number): void {
    if (!this.hot.enabled) return;
    const own = Buffer.allocUnsafeSlow(buf.length);
    buf.copy(own);
    const kept = this.decode(key, own, name) ?? value;
    this.hot.set(key, { value: kept, expiresAt: expiryOf(value), checkedAt, bytes: buf.length });
  }

  /** TTL 0 is never cached (RFC 1035 §3.2.1: use once); otherwise the floor and ceiling apply. */
  private capTtl(ttl: number, max: number): number {
    if (!(ttl > 0)) return 0;
    return Math.min(Math.max(ttl, this.d.caps.minTtl), max);
  }

  /** Storms of failures (Redis down) would flood the log: one line a second at most. */
  private warn(msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastWarn < 1000) return;
    this.lastWarn = now;
    this.d.log.warn(msg, fields);
  }
}

function positive(v: CacheValue | undefined, type: number): CachedRRset | undefined {
  return v?.kind === 'rrset' && v.rrset.type === type ? v.rrset : undefined;
}

function nodata(v: CacheValue | undefined, type: number): CachedNegative | undefined {
  return v?.kind === 'negative' && v.negative.kind === 'nodata' && v.negative.type === type ? v.negative : undefined;
}

function nxdomain(v: CacheValue | undefined): CachedNegative | undefined {
  return v?.kind === 'negative' && v.negative.kind === 'nxdomain' ? v.negative : undefined;
}

function expiryOf(v: CacheValue): number {
  return v.kind === 'rrset' ? v.rrset.expiresAt : v.negative.expiresAt;
}

function headerOf(v: CacheValue): RankedHeader {
  return v.kind === 'rrset'
    ? { positive: true, rank: v.rrset.rank, expiresAt: v.rrset.expiresAt }
    : { positive: false, rank: NEGATIVE_RANK, expiresAt: v.negative.expiresAt };
}

function recordTtl(rr: RR): number {
  return 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
}
