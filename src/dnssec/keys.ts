// Authenticates a zone's DNSKEY RRset from its parent's DS RRset or a trust anchor (RFC 4035 §5.2).

import { EdeCode } from '../dns/constants.ts';
import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { importPublicKey, isSupportedAlgorithm } from './algorithms.ts';
import { dnskeyData, dnskeyRdata, dsData, dsDigest, keyTag } from './canonical.ts';
import { Digest, KeyFlag, type Ede } from './constants.ts';
import { verifyRRset, type SigContext } from './rrsig.ts';

export type KeysVerdict =
  | { status: 'secure'; keys: RR[]; ttl: number }
  | { status: 'insecure'; reason: string; ede: Ede }
  | { status: 'bogus'; reason: string; ede: Ede };

const DIGEST_OK = new Set<number>([Digest.SHA1, Digest.SHA256, Digest.SHA384]);

function verdict(status: 'insecure' | 'bogus', code: number, reason: string): KeysVerdict {
  return { status, reason, ede: { code, text: reason } };
}

/**
 * The DS records worth using. RFC 4035 §5.2 and RFC 6840 §5.2: when none has a supported
 * algorithm and digest, the zone is insecure, not bogus. RFC 4509 §3: a SHA-1 DS is ignored
 * when the set also offers a stronger digest (downgrade protection).
 */
export function usableDs(ds: RR[], ctx: SigContext): RR[] | KeysVerdict {
  const { limits } = ctx.budget;
  const algOk = ds.filter((r) => isSupportedAlgorithm(dsData(r).algorithm, limits.allowSha1Signatures));
  if (algOk.length === 0) return verdict('insecure', EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, 'no DS with a supported algorithm');
  let usable = algOk.filter((r) => DIGEST_OK.has(dsData(r).digestType) && (limits.allowSha1Ds || dsData(r).digestType !== Digest.SHA1));
  if (usable.length === 0) return verdict('insecure', EdeCode.UNSUPPORTED_DS_DIGEST, 'no DS with a supported digest type');
  if (usable.some((r) => dsData(r).digestType !== Digest.SHA1)) usable = usable.filter((r) => dsData(r).digestType !== Digest.SHA1);
  return usable;
}

/** Keys of the set that a usable DS record points at (tag, algorithm, zone bit, digest). */
function keysMatchingDs(zone: string, dnskeys: RR[], ds: RR[], maxPerTag: number): RR[] {
  const out = new Set<RR>();
  for (const r of ds) {
    const d = dsData(r);
    let tried = 0;
    for (const k of dnskeys) {
      const kd = dnskeyData(k);
      if (kd.algorithm !== d.algorithm || (kd.flags & KeyFlag.ZONE) === 0 || (kd.flags & KeyFlag.REVOKE) !== 0) continue;
      if (keyTag(kd) !== d.keyTag) continue;
      if (++tried > maxPerTag) break; // key-tag collisions: digests are cheap, but keep it bounded
      if (dsDigest(zone, kd, d.digestType)?.equals(d.digest)) out.add(k);
    }
  }
  return [...out];
}

/** Authenticates `dnskeys` (the zone's DNSKEY RRset with its RRSIGs) from the parent's DS records. */
export function keysFromDs(zone: string, dnskeys: RRset, ds: RR[], ctx: SigContext): KeysVerdict {
  const usable = usableDs(ds, ctx);
  if (!Array.isArray(usable)) return usable;
  const entry = keysMatchingDs(zone, dnskeys.records, usable, ctx.budget.limits.maxKeysPerTag);
  if (entry.length === 0) return verdict('bogus', EdeCode.DNSKEY_MISSING, `no DNSKEY of ${zone} matches its DS`);
  return selfSigned(zone, dnskeys, entry, ctx);
}

/** Authenticates `dnskeys` from trust-anchor DNSKEY records (RFC 4035 §4.4): same algorithm and key. */
export function keysFromAnchorKeys(zone: string, dnskeys: RRset, anchorKeys: RR[], ctx: SigContext): KeysVerdict {
  const { limits } = ctx.budget;
  const supported = anchorKeys.filter((a) => isSupportedAlgorithm(dnskeyData(a).algorithm, limits.allowSha1Signatures));
  if (supported.length === 0) return verdict('insecure', EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, `trust anchor of ${zone} has no supported algorithm`);
  const wanted = supported.map((a) => dnskeyRdata({ ...dnskeyData(a), flags: 0 }));
  const entry = dnskeys.records.filter((k) => wanted.some((w) => w.equals(dnskeyRdata({ ...dnskeyData(k), flags: 0 }))));
  if (entry.length === 0) return verdict('bogus', EdeCode.DNSKEY_MISSING, `no DNSKEY of ${zone} matches its trust anchor`);
  return selfSigned(zone, dnskeys, entry, ctx);
}

/**
 * The DNSKEY RRset must be signed by one of the entry keys (RFC 4035 §5.2, last steps). When
 * every key the DS or anchor points at is one the validator cannot use (an RSA modulus below
 * the minimum, a malformed key of a supported algorithm), there is no supported path into the
 * zone: insecure, as for an unsupported algorithm (RFC 4035 §5.2, RFC 6840 §5.2), never bogus.
 */
function selfSigned(zone: string, dnskeys: RRset, entry: RR[], ctx: SigContext): KeysVerdict {
  const { limits } = ctx.budget;
  const usable = entry.filter((k) => importPublicKey(dnskeyData(k).algorithm, dnskeyData(k).key, limits.allowSha1Signatures, limits.minRsaBits));
  if (usable.length === 0) {
    return verdict('insecure', EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, `DNSKEY of ${zone} unsupported (algorithm or key size)`);
  }
  const check = verifyRRset(dnskeys, zone, entry, ctx);
  if (check.status === 'bogus') return { status: 'bogus', reason: check.reason, ede: check.ede };
  return { status: 'secure', keys: dnskeys.records, ttl: check.ttl };
}
