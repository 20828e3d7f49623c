// What referrals said about their child's DS (RFC 4035 §3.1.4: with DO=1 a referral carries
// the DS RRset or the NSEC/NSEC3 proof that there is none), kept briefly so the validator
// judges it with the parent's keys instead of asking the parent for DS again.

import type { RRset } from '../cache/record-cache.ts';
import type { FetchResult } from '../dnssec/fetch.ts';
import { Lru } from '../util/lru.ts';

/** Referrals remembered at once; a cut's evidence is needed only until its key state is known. */
const MAX_CUTS = 10_000;
/** Seconds: never longer than the delegation itself. */
const MAX_TTL = 3600;

interface Evidence {
  result: FetchResult;
  expiresAt: number;
}

/**
 * Unjudged on the way in, like any upstream reply: the validator checks the DS RRSIGs or the
 * denial against the parent's keys (chain.ts), and nothing here reaches the record cache.
 */
export class ReferralEvidence {
  private readonly cuts = new Lru<Evidence>({ maxEntries: MAX_CUTS });

  /** Records a referral to `child`: its DS RRset, else the denial records of its authority section. */
  note(child: string, ds: RRset | undefined, proof: RRset[], ttlSeconds: number, nowMs: number): void {
    let result: FetchResult;
    if (ds && ds.signatures.length > 0) result = { kind: 'rrset', rrset: ds, fromReferral: true };
    else if (proof.length > 0) result = { kind: 'negative', authority: proof.flatMap((s) => [...s.records, ...s.signatures]), fromReferral: true };
    else return; // neither (unsigned parent, or DO ignored): the validator asks for DS itself
    const ttl = Math.min(Math.max(0, ttlSeconds), MAX_TTL);
    if (ttl === 0) return;
    this.cuts.set(child, { result, expiresAt: nowMs + ttl * 1000 });
  }

  /** The DS answer a referral to `child` carried, if it is still fresh. */
  ds(child: string, nowMs: number): FetchResult | undefined {
    const e = this.cuts.get(child);
    if (!e) return undefined;
    if (e.expiresAt > nowMs) return e.result;
    this.cuts.delete(child);
    return undefined;
  }
}
