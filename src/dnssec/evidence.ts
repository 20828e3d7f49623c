// Authenticates the NSEC/NSEC3 RRsets of an authority section with one zone's keys, for denial.ts.

import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { isSubdomain } from '../dns/name.ts';
import { lowerAscii, rrsigData } from './canonical.ts';
import { T, type Ede } from './constants.ts';
import type { Denial } from './denial.ts';
import { verifyRRset, type SigContext } from './rrsig.ts';

export type Evidence = { denial: Denial; ttl: number } | { status: 'bogus'; reason: string; ede: Ede };

/** The zones that signed these RRsets (RRSIG signer names enclosing the owner), deepest first. */
export function signersOf(sets: RRset[]): string[] {
  const names = new Set<string>();
  for (const s of sets) {
    for (const sig of s.signatures) {
      const signer = lowerAscii(rrsigData(sig).signersName);
      if (isSubdomain(s.name, signer)) names.add(signer);
    }
  }
  return [...names].sort((a, b) => b.length - a.length);
}

/**
 * Verifies every NSEC/NSEC3 RRset signed by `zone`. Any that fails makes the whole evidence
 * bogus: a response carrying a forged denial record is not one to build on.
 */
export function zoneEvidence(zone: string, keys: RR[], sets: RRset[], ctx: SigContext): Evidence {
  const denial: Denial = { zone, nsec: [], nsec3: [], budget: ctx.budget };
  let ttl = Number.MAX_SAFE_INTEGER;
  for (const set of sets) {
    if (set.type !== T.NSEC && set.type !== T.NSEC3) continue;
    if (!isSubdomain(set.name, zone) || !signersOf([set]).includes(zone)) continue;
    const check = verifyRRset(set, zone, keys, ctx);
    if (check.status === 'bogus') return check;
    ttl = Math.min(ttl, check.ttl);
    (set.type === T.NSEC ? denial.nsec : denial.nsec3).push(...set.records);
  }
  return { denial, ttl };
}
