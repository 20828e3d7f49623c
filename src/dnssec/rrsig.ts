// Verifies one RRset against its RRSIGs with a zone's DNSKEYs (RFC 4035 §5.3), bounded by a Budget.

import { EdeCode } from '../dns/constants.ts';
import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { isSubdomain, labelCount } from '../dns/name.ts';
import { importPublicKey, isSupportedAlgorithm, verifySignature } from './algorithms.ts';
import { dnskeyData, keyTag, lowerAscii, rrsigData, signedData, signedOwner, type RrsigData } from './canonical.ts';
import { KeyFlag, type Ede } from './constants.ts';
import type { Budget } from './limits.ts';

export interface SigContext {
  /** Seconds since the epoch. */
  now: number;
  budget: Budget;
}

export type RRsetCheck =
  | {
      status: 'secure';
      /** min(RRset TTL, RRSIG original TTL, seconds until the RRSIG expires): RFC 4035 §5.3.3. */
      ttl: number;
      /** Set when the RRset was synthesised from this wildcard (RFC 4035 §5.3.4 then needs a proof). */
      wildcard?: string;
    }
  | { status: 'bogus'; reason: string; ede: Ede };

/** RFC 1982 difference a − b of two 32-bit serial numbers, in [−2^31, 2^31). */
export function serialDiff(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

function ttlOf(rr: RR): number {
  return 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
}

/** Why a signature was not accepted; a higher rank is the more telling reason to report. */
interface Failure {
  rank: number;
  code: number;
  text: string;
}

function failure(rank: number, code: number, text: string): Failure {
  return { rank, code, text };
}

/** Keys that may have made `sig`: same tag and algorithm, zone-key bit set, not revoked (RFC 5011 §2.1). */
function candidateKeys(sig: RrsigData, keys: RR[], max: number): RR[] {
  const out: RR[] = [];
  for (const k of keys) {
    const d = dnskeyData(k);
    if (d.algorithm !== sig.algorithm || (d.flags & KeyFlag.ZONE) === 0 || (d.flags & KeyFlag.REVOKE) !== 0) continue;
    if (keyTag(d) !== sig.keyTag) continue;
    out.push(k);
    if (out.length >= max) break; // a key-tag collision flood is cut here (KeyTrap)
  }
  return out;
}

/**
 * Checks `rrset` against the RRSIGs it carries, made by `zone` with one of `keys` (the zone's
 * DNSKEY records, validated by the caller — or, for the DNSKEY RRset itself, the keys a DS or
 * trust anchor points at). Secure as soon as one signature verifies (RFC 4035 §5.3.3).
 */
export function verifyRRset(rrset: RRset, zone: string, keys: RR[], ctx: SigContext): RRsetCheck {
  const { limits } = ctx.budget;
  const ownerLabels = labelCount(rrset.name);
  let worst: Failure | undefined;
  const note = (f: Failure): void => {
    if (!worst || f.rank > worst.rank) worst = f;
  };
  let spent = 0;

  for (const sigRR of rrset.signatures) {
    const sig = rrsigData(sigRR);
    // RFC 4035 §5.3.1: the signer is the zone holding the RRset, labels ≤ owner labels.
    if (lowerAscii(sig.signersName) !== zone || !isSubdomain(rrset.name, zone)) {
      note(failure(1, EdeCode.DNSSEC_BOGUS, `RRSIG signer ${sig.signersName} is not zone ${zone}`));
      continue;
    }
    if (sig.labels > ownerLabels) {
      note(failure(1, EdeCode.DNSSEC_BOGUS, `RRSIG labels ${sig.labels} exceed owner labels of ${rrset.name}`));
      continue;
    }
    // RFC 4035 §5.3.1 and RFC 4034 §3.1.5: serial-number arithmetic, with a skew allowance.
    if (serialDiff(sig.expiration, sig.inception) < 0) {
      note(failure(3, EdeCode.DNSSEC_BOGUS, `RRSIG for ${rrset.name} expires before its inception`));
      continue;
    }
    if (serialDiff(ctx.now, sig.inception) < -limits.clockSkew) {
      note(failure(3, EdeCode.SIGNATURE_NOT_YET_VALID, `RRSIG for ${rrset.name} by ${zone} not yet valid`));
      continue;
    }
    if (serialDiff(sig.expiration, ctx.now) < -limits.clockSkew) {
      note(failure(3, EdeCode.SIGNATURE_EXPIRED, `RRSIG for ${rrset.name} by ${zone} expired`));
      continue;
    }
    if (!isSupportedAlgorithm(sig.algorithm, limits.allowSha1Signatures)) {
      note(failure(2, EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, `RRSIG algorithm ${sig.algorithm} unsupported`));
      continue;
    }
    const candidates = candidateKeys(sig, keys, limits.maxKeysPerTag);
    if (candidates.length === 0) {
      note(failure(2, EdeCode.DNSKEY_MISSING, `no DNSKEY of ${zone} with tag ${sig.keyTag} alg ${sig.algorithm}`));
      continue;
    }
    const data = signedData(sig, rrset.name, rrset.records);
    for (const k of candidates) {
      if (spent >= limits.maxVerificationsPerRRset) {
        return bogus(EdeCode.DNSSEC_BOGUS, `more than ${limits.maxVerificationsPerRRset} verifications for ${rrset.name}`);
      }
      const key = importPublicKey(sig.algorithm, dnskeyData(k).key, limits.allowSha1Signatures, limits.minRsaBits);
      if (!key) {
        note(failure(2, EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, `DNSKEY ${sig.keyTag} of ${zone} unusable`));
        continue;
      }
      spent++;
      ctx.budget.spendVerification();
      const outcome = verifySignature(sig.algorithm, key, data, sig.signature);
      if (outcome === 'valid') return secure(rrset, sig, ctx.now, ownerLabels);
      if (outcome === 'unsupported') note(failure(2, EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, `algorithm ${sig.algorithm} refused by crypto`));
      else note(failure(4, EdeCode.DNSSEC_BOGUS, `signature over ${rrset.name} by ${zone}/${sig.keyTag} does not verify`));
    }
  }
  if (!worst) return bogus(EdeCode.RRSIGS_MISSING, `no RRSIG over ${rrset.name} type ${rrset.type}`);
  return bogus(worst.code, worst.text);
}

function secure(rrset: RRset, sig: RrsigData, now: number, ownerLabels: number): RRsetCheck {
  const setTtl = Math.min(...rrset.records.map(ttlOf));
  const ttl = Math.max(0, Math.min(setTtl, sig.originalTTL, serialDiff(sig.expiration, now)));
  // A literal wildcard owner ("*.example" asked for directly) has labels = owner labels − 1
  // but was not synthesised.
  const literal = ownerLabels === sig.labels + 1 && rrset.name.startsWith('*.');
  if (sig.labels < ownerLabels && !literal) return { status: 'secure', ttl, wildcard: signedOwner(rrset.name, sig.labels) };
  return { status: 'secure', ttl };
}

function bogus(code: number, text: string): RRsetCheck {
  return { status: 'bogus', reason: text, ede: { code, text } };
}
