// The RRset cache behind a small interface: positive RRsets with trust rank, negative answers,
// absolute expiry (remaining TTL = expiry − now), TTL caps and a bounded size.

import type { RR } from '../dns/message.ts';
import { selfAndAncestors } from '../dns/name.ts';
import type { Clock } from '../util/clock.ts';
import type { CacheOptions } from './options.ts';

/**
 * Trust ranks after RFC 2181 §5.4.1, highest last. Data of a lower rank never replaces
 * unexpired data of a higher one, and nothing below NONAUTH_ANSWER is served as an answer.
 */
export const Rank = {
  GLUE: 1,
  ADDITIONAL: 2,
  NONAUTH_AUTHORITY: 3,
  NONAUTH_ANSWER: 4,
  AUTH_AUTHORITY: 5,
  AUTH_ANSWER: 6,
} as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

/** Outcome of DNSSEC validation (RFC 4035 §4.3); 'unchecked' until a validator has looked. */
export type DnssecStatus = 'unchecked' | 'secure' | 'insecure' | 'bogus' | 'indeterminate';

export interface RRset {
  name: string; // canonical owner
  type: number;
  records: RR[];
  /** RRSIGs covering this RRset, kept for the validator and for DO=1 clients. */
  signatures: RR[];
  /** Validation outcome; absent means 'unchecked'. Bogus data is never cached. */
  status?: DnssecStatus;
  /** A CNAME the resolver synthesised from a DNAME (RFC 6672 §3.2): derived, never stored. */
  synthesised?: boolean;
}

export interface CachedRRset extends RRset {
  rank: Rank;
  expiresAt: number;
}

export type NegativeKind = 'nxdomain' | 'nodata';

export interface NegativeAnswer {
  name: string;
  /** The type that has no data (nodata); ignored for nxdomain, which covers every type. */
  type: number;
  kind: NegativeKind;
  /** Authority section that proves it: SOA (+ RRSIGs, NSEC/NSEC3 later). */
  authority: RR[];
  /** Validation outcome; absent means 'unchecked'. Bogus proofs are never cached. */
  status?: DnssecStatus;
}

export interface CachedNegative extends NegativeAnswer {
  expiresAt: number;
}

/** What the cache can answer for (name, type) on its own: data of answer rank only. */
export type CacheAnswer =
  | { kind: 'rrset'; rrset: CachedRRset }
  | { kind: 'negative'; negative: CachedNegative }
  /** A CNAME at the name (never for type CNAME itself): follow it. */
  | { kind: 'cname'; cname: CachedRRset };

export interface RecordCache {
  /**
   * The resolver's one question to the cache: the RRset of (name, type) if it may be served as
   * an answer, else a negative entry, else a CNAME at the name. One call, so a shared store can
   * fetch every key it needs in one round trip.
   */
  answer(name: string, type: number): Promise<CacheAnswer | undefined>;
  getRRset(name: string, type: number): Promise<CachedRRset | undefined>;
  /** Stores unless a higher-ranked unexpired RRset is present. TTL is the RRset's smallest. */
  putRRset(rrset: RRset, rank: Rank): Promise<void>;
  /** A negative answer for (name, type), or an NXDOMAIN at the name or above it (RFC 8020). */
  getNegative(name: string, type: number): Promise<CachedNegative | undefined>;
  putNegative(answer: NegativeAnswer, ttlSeconds: number): Promise<void>;
}

const NXDOMAIN_KEY = -1;

type Entry = { positive: CachedRRset } | { negative: CachedNegative };

/** The in-process implementation: a Map in LRU order, bounded by entry count. */
export class MemoryRecordCache implements RecordCache {
  private readonly entries = new Map<string, Entry>();
  private readonly options: CacheOptions;
  private readonly clock: Clock;

  constructor(options: CacheOptions, clock: Clock) {
    this.options = options;
    this.clock = clock;
  }

  get size(): number {
    return this.entries.size;
  }

  answer(name: string, type: number): Promise<CacheAnswer | undefined> {
    return answerFrom(this, name, type);
  }

  async getRRset(name: string, type: number): Promise<CachedRRset | undefined> {
    const entry = this.read(key(name, type));
    return entry && 'positive' in entry ? entry.positive : undefined;
  }

  async putRRset(rrset: RRset, rank: Rank): Promise<void> {
    if (rrset.records.length === 0 || rrset.status === 'bogus') return;
    const ttl = this.clampTtl(Math.min(...rrset.records.map((r) => ('ttl' in r ? (r.ttl ?? 0) : 0))), this.options.maxTtl);
    if (ttl <= 0) return; // TTL 0: use once, never cache (RFC 1035 §3.2.1)
    const k = key(rrset.name, rrset.type);
    const existing = this.read(k);
    if (existing && 'positive' in existing && existing.positive.rank > rank) return;
    // Shares its key with a NODATA for the type, so new positive data ends the negative entry.
    this.write(k, { positive: { ...rrset, rank, expiresAt: this.clock.now() + ttl * 1000 } });
  }

  async getNegative(name: string, type: number): Promise<CachedNegative | undefined> {
    const nodata = this.read(key(name, type));
    if (nodata && 'negative' in nodata) return nodata.negative;
    for (const n of selfAndAncestors(name)) {
      const nx = this.read(key(n, NXDOMAIN_KEY));
      if (nx && 'negative' in nx) return nx.negative;
    }
    return undefined;
  }

  async putNegative(answer: NegativeAnswer, ttlSeconds: number): Promise<void> {
    const ttl = this.clampTtl(ttlSeconds, this.options.maxNegativeTtl);
    if (ttl <= 0 || answer.status === 'bogus') return;
    const k = key(answer.name, answer.kind === 'nxdomain' ? NXDOMAIN_KEY : answer.type);
    const existing = this.read(k);
    // Do not let a negative answer hide authoritative positive data that is still valid.
    if (existing && 'positive' in existing && existing.positive.rank >= Rank.NONAUTH_ANSWER) return;
    this.write(k, { negative: { ...answer, expiresAt: this.clock.now() + ttl * 1000 } });
  }

  private clampTtl(ttl: number, max: number): number {
    if (ttl <= 0 && this.options.minTtl <= 0) return 0;
    return Math.min(Math.max(ttl, this.options.minTtl), max);
  }

  private read(k: string): Entry | undefined {
    const entry = this.entries.get(k);
    if (!entry) return undefined;
    const expiresAt = 'positive' in entry ? entry.positive.expiresAt : entry.negative.expiresAt;
    if (expiresAt <= this.clock.now()) {
      this.entries.delete(k);
      return undefined;
    }
    // Refresh LRU position.
    this.entries.delete(k);
    this.entries.set(k, entry);
    return entry;
  }

  private write(k: string, entry: Entry): void {
    this.entries.delete(k);
    this.entries.set(k, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

const TYPE_CNAME = 5;

/**
 * `RecordCache.answer` from the finer calls, in the order the resolver has always asked:
 * an RRset of answer rank, then a negative entry (RFC 2308, RFC 8020), then a CNAME.
 */
export async function answerFrom(cache: RecordCache, name: string, type: number): Promise<CacheAnswer | undefined> {
  const rrset = await cache.getRRset(name, type);
  if (rrset && rrset.rank >= Rank.NONAUTH_ANSWER) return { kind: 'rrset', rrset };
  const negative = await cache.getNegative(name, type);
  if (negative) return { kind: 'negative', negative };
  if (type === TYPE_CNAME) return undefined;
  const cname = await cache.getRRset(name, TYPE_CNAME);
  if (cname && cname.rank >= Rank.NONAUTH_ANSWER) return { kind: 'cname', cname };
  return undefined;
}

function key(name: string, type: number): string {
  return `${name}\u0000${type}`;
}

/** Copies of the records with TTL = remaining seconds (at least 0), for a client answer. */
export function withRemainingTtl(records: RR[], expiresAt: number, now: number): RR[] {
  const ttl = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return records.map((r) => ({ ...r, ttl }) as RR);
}
