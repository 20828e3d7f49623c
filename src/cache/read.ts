// The one read over the cache: (name, type) → the records that answer it with their remaining
// TTL, rank and DNSSEC status, or a negative entry, or a CNAME to follow. The resolver's fresh
// lookups, the driver's serve-stale branch and prefetch's due check all read through here.

import type { RR } from '../dns/message.ts';
import type { CachedNegative, CachedRRset, DnssecStatus, RecordCache } from './record-cache.ts';

interface ReadHead {
  /** The entry it came from (the resolver re-stores it once an unchecked entry is judged). */
  entry: CachedRRset | CachedNegative;
  /** 'unchecked' when no validator has looked at it. */
  status: DnssecStatus;
  /** Seconds the records carry: the time left, or the stale TTL for an expired entry. */
  ttl: number;
  /** The TTL the entry was stored with (after caps): prefetch compares `ttl` against it. */
  storedTtl: number;
  /** Past its expiry (only with a stale read). */
  stale: boolean;
}

export type CacheRead = ReadHead &
  (
    /** The RRset of (name, type) with its RRSIGs. */
    | { kind: 'answer'; records: RR[] }
    /** RFC 2308: the SOA and NSEC/NSEC3 proofs (with RRSIGs) that deny it. */
    | { kind: 'nxdomain' | 'nodata'; authority: RR[] }
    /** A CNAME at the name, with its RRSIGs, and where it points. */
    | { kind: 'cname'; records: RR[]; target: string }
  );

const FRESH = { stale: false } as const;
const STALE = { stale: true } as const;

/**
 * Reads (name, type). `staleTtl` (seconds) asks for serve-stale's read (RFC 8767): entries the
 * store keeps past their expiry come back too, with that TTL and `stale` set.
 */
export async function readCache(cache: RecordCache, name: string, type: number, now: number, staleTtl?: number): Promise<CacheRead | undefined> {
  const found = await cache.answer(name, type, staleTtl === undefined ? FRESH : STALE);
  if (!found) return undefined;
  const entry = found.kind === 'rrset' ? found.rrset : found.kind === 'negative' ? found.negative : found.cname;
  const stale = staleTtl !== undefined && entry.expiresAt <= now;
  // RFC 8767 §4: expired data goes out with the short stale TTL; fresh data with what is left.
  const ttl = stale ? staleTtl : Math.max(0, Math.ceil((entry.expiresAt - now) / 1000));
  const head: ReadHead = { entry, status: entry.status ?? 'unchecked', ttl, storedTtl: found.ttl, stale };
  switch (found.kind) {
    case 'rrset':
      return { kind: 'answer', records: withTtl([...found.rrset.records, ...found.rrset.signatures], ttl), ...head };
    case 'negative':
      return { kind: found.negative.kind, authority: withTtl(found.negative.authority, ttl), ...head };
    case 'cname': {
      // RFC 2181 §10.1: one CNAME per name; a set of several is not followed.
      if (found.cname.records.length !== 1) return undefined;
      const target = found.cname.records[0]!.data as string;
      return { kind: 'cname', records: withTtl([...found.cname.records, ...found.cname.signatures], ttl), target, ...head };
    }
  }
}

/**
 * Serve-stale and DNSSEC: expired data goes to a client only if it was judged secure or
 * insecure while fresh; never bogus, indeterminate or never-judged data (it could be what a
 * spoofer or a broken zone left, and nobody will look at it again). Without a validator in the
 * process nothing is ever judged, so anything that is not bogus may go out, as it would fresh.
 */
export function servableStale(status: DnssecStatus, validating: boolean): boolean {
  if (!validating) return status !== 'bogus';
  return status === 'secure' || status === 'insecure';
}

function withTtl(records: RR[], ttl: number): RR[] {
  return records.map((r) => ({ ...r, ttl }) as RR);
}
