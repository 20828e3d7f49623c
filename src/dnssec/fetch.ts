// The validator's one question to the resolver: give me this DS or DNSKEY RRset (through the cache).

import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import type { Ede } from './constants.ts';

/**
 * Outcome of asking the resolver for (name, type), type being DS (43) or DNSKEY (48).
 * DS must be asked of the parent side of the cut (RFC 4035 §3.1.4.1); a name that is not a
 * cut is answered by the zone holding it, with a NODATA proof. RRSIGs travel with the data.
 */
export type FetchResult =
  | { kind: 'rrset'; rrset: RRset; fromReferral?: boolean }
  /** NODATA or NXDOMAIN: the authority section (SOA, NSEC/NSEC3 and their RRSIGs). */
  | { kind: 'negative'; authority: RR[]; fromReferral?: boolean }
  /** Could not get an answer (timeouts, SERVFAIL upstream, limits); `ede` is passed on if given. */
  | { kind: 'error'; reason: string; ede?: Ede };

/**
 * `fromReferral`: a DS or denial that a referral carried (RFC 4035 §3.1.4.1), not an answer to
 * a DS question; `skipReferral` asks the parent itself, when that evidence did not hold.
 */
export type KeyFetch = (name: string, type: number, options?: { skipReferral?: boolean }) => Promise<FetchResult>;
