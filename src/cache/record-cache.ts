// The RRset cache's vocabulary and interface: positive RRsets with trust rank, negative answers,
// DNSSEC status, absolute expiry (remaining TTL = expiry − now). One implementation:
// shared-cache/shared-record-cache.ts, over the embedded memory store or Redis Cluster.

import type { RR } from '../dns/message.ts';

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

/**
 * What the cache can answer for (name, type) on its own: data of answer rank only. `ttl` is the
 * TTL the entry was stored with (after caps): prefetch compares the time left against it.
 */
export type CacheAnswer =
  | { kind: 'rrset'; rrset: CachedRRset; ttl: number }
  | { kind: 'negative'; negative: CachedNegative; ttl: number }
  /** A CNAME at the name (never for type CNAME itself): follow it. */
  | { kind: 'cname'; cname: CachedRRset; ttl: number };

export interface ReadOptions {
  /**
   * Serve-stale (RFC 8767): also return entries past their expiry that the store still keeps
   * (until expiry + the stale window); the caller tells them by their `expiresAt`.
   */
  stale?: boolean;
}

export interface RecordCache {
  /**
   * The resolver's one question to the cache: the RRset of (name, type) if it may be served as
   * an answer, else a negative entry, else a CNAME at the name. One call, so a shared store can
   * fetch every key it needs in one round trip.
   */
  answer(name: string, type: number, options?: ReadOptions): Promise<CacheAnswer | undefined>;
  getRRset(name: string, type: number): Promise<CachedRRset | undefined>;
  /** Stores unless a higher-ranked unexpired RRset is present. TTL is the RRset's smallest. */
  putRRset(rrset: RRset, rank: Rank): Promise<void>;
  /** A negative answer for (name, type), or an NXDOMAIN at the name or above it (RFC 8020). */
  getNegative(name: string, type: number): Promise<CachedNegative | undefined>;
  putNegative(answer: NegativeAnswer, ttlSeconds: number): Promise<void>;
}

/** Copies of the records with TTL = remaining seconds (at least 0), for a client answer. */
export function withRemainingTtl(records: RR[], expiresAt: number, now: number): RR[] {
  const ttl = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return records.map((r) => ({ ...r, ttl }) as RR);
}
