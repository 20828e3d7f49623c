// NSEC3 denial-of-existence proofs (RFC 5155 §8), with hashing bounded by the Budget (CVE-2023-50868).
// Every function takes NSEC3 records the caller has already validated, all from `zone`.

import { EdeCode } from '../dns/constants.ts';
import { createHash } from 'node:crypto';
import type { RR } from '../dns/message.ts';
import { typeNumber } from '../dns/message.ts';
import { isSubdomain, labelCount, labels, parentName, suffixOf } from '../dns/name.ts';
import { nameWire } from './canonical.ts';
import { NSEC3_OPT_OUT, NSEC3_SHA1, T } from './constants.ts';
import type { Budget } from './limits.ts';
import { base32hexDecodeOrUndefined } from '../dns/base32hex.ts';
import { proofBogus, proofInsecure, SECURE, type DsProof, type Proof } from './proof.ts';
import { wildcardAt } from './nsec.ts';
import { lastWhere } from '../util/sorted.ts';

export interface Nsec3 {
  hash: Buffer;
  next: Buffer;
  optOut: boolean;
  types: Set<number>;
}

/** The usable NSEC3 records of one zone with their shared parameters, and a memoising hasher. */
export interface Nsec3Set {
  zone: string;
  salt: Buffer;
  iterations: number;
  /** Sorted by hash (RFC 5155 §7.1 chain order), so a match or cover is a binary search. */
  records: readonly Nsec3[];
  cache: Map<string, Buffer>;
  budget: Budget;
  /** Consulted on each record a proof would rely on; false treats it as absent (e.g. expired). */
  use?: (r: Nsec3) => boolean;
}

/** One usable NSEC3 record with its chain parameters (RFC 5155 §8.1–8.2), or undefined. */
export function nsec3Of(rr: RR): (Nsec3 & { salt: Buffer; iterations: number }) | undefined {
  const d = (rr as { data: Nsec3Data }).data;
  if (d.algorithm !== NSEC3_SHA1 || (d.flags & ~NSEC3_OPT_OUT) !== 0) return undefined;
  const hash = base32hexDecodeOrUndefined(labels(rr.name)[0] ?? '');
  if (!hash || hash.length !== 20 || d.nextDomain.length !== 20) return undefined;
  const types = new Set(d.rrtypes.map((t) => typeNumber(t) ?? 0));
  return { hash, next: d.nextDomain, optOut: (d.flags & NSEC3_OPT_OUT) !== 0, types, salt: d.salt, iterations: d.iterations };
}

/** Orders NSEC3 records by owner hash (base32hex keeps the octet order, RFC 5155 §3.3). */
export const byHash = (a: Nsec3, b: Nsec3): number => Buffer.compare(a.hash, b.hash);

interface Nsec3Data {
  algorithm: number;
  flags: number;
  iterations: number;
  salt: Buffer;
  nextDomain: Buffer;
  rrtypes: string[];
}

/**
 * Selects usable records (RFC 5155 §8.1–8.2): SHA-1, flags 0 or 1, owner one label below the
 * zone that decodes to a 20-octet hash, and the same salt and iterations as the first such
 * record (a zone has one parameter set, §7.1; mixing them only multiplies hashing work).
 * Returns a Proof when no proof can be made from these records at all.
 */
export function nsec3Set(rrs: RR[], zone: string, budget: Budget): Nsec3Set | Proof {
  let params: { salt: Buffer; iterations: number } | undefined;
  const records: Nsec3[] = [];
  for (const rr of rrs) {
    const r = parentName(rr.name) === zone ? nsec3Of(rr) : undefined;
    if (!r) continue;
    params ??= { salt: r.salt, iterations: r.iterations };
    if (!r.salt.equals(params.salt) || r.iterations !== params.iterations) continue;
    records.push({ hash: r.hash, next: r.next, optOut: r.optOut, types: r.types });
  }
  records.sort(byHash);
  if (!params) return proofInsecure(`no NSEC3 of ${zone} with a known hash algorithm`); // RFC 5155 §8.1
  // RFC 9276 §3.2: above the cap the answer is treated as insecure, before any hashing is done.
  if (params.iterations > budget.limits.maxNsec3Iterations) {
    return proofInsecure(`NSEC3 iterations ${params.iterations} of ${zone} above ${budget.limits.maxNsec3Iterations}`, EdeCode.UNSUPPORTED_NSEC3_ITERATIONS);
  }
  return { zone, ...params, records, cache: new Map(), budget };
}

/** RFC 5155 §5: IH(salt, x, k) over the canonical wire name. */
export function nsec3Hash(name: string, salt: Buffer, iterations: number): Buffer {
  let h = createHash('sha1').update(nameWire(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash('sha1').update(h).update(salt).digest();
  return h;
}

function hashOf(set: Nsec3Set, name: string): Buffer {
  let h = set.cache.get(name);
  if (!h) {
    set.budget.spendHash();
    h = nsec3Hash(name, set.salt, set.iterations);
    set.cache.set(name, h);
  }
  return h;
}

const usable = (set: Nsec3Set, r: Nsec3 | undefined): Nsec3 | undefined => (r && (set.use?.(r) ?? true) ? r : undefined);

function matching(set: Nsec3Set, name: string): Nsec3 | undefined {
  const h = hashOf(set, name);
  const r = set.records[lastWhere(set.records, (x) => Buffer.compare(x.hash, h) <= 0)];
  return r?.hash.equals(h) ? usable(set, r) : undefined;
}

/**
 * Only the record just before the hash in chain order can cover it (spans of one chain do not
 * overlap, RFC 5155 §7.1); before the first owner, only the last record, which wraps, can.
 */
function covering(set: Nsec3Set, name: string): Nsec3 | undefined {
  const h = hashOf(set, name);
  const i = lastWhere(set.records, (x) => Buffer.compare(x.hash, h) < 0);
  const r = set.records[i < 0 ? set.records.length - 1 : i];
  if (!r) return undefined;
  const afterOwner = Buffer.compare(r.hash, h) < 0;
  const beforeNext = Buffer.compare(h, r.next) < 0;
  const covers = Buffer.compare(r.hash, r.next) < 0 ? afterOwner && beforeNext : afterOwner || beforeNext; // last wraps
  return covers ? usable(set, r) : undefined;
}

type Encloser = { ce: string; ceRecord: Nsec3; nextCloser?: string; cover?: Nsec3 };

/**
 * Closest encloser proof (RFC 5155 §8.3): the longest existing ancestor has a matching NSEC3
 * and the next closer name is covered. Walks up from `name`, one hash per label.
 */
function closestEncloser(set: Nsec3Set, name: string): Encloser | Proof {
  let nextCloser: string | undefined;
  for (let n: string | undefined = name; n !== undefined && isSubdomain(n, set.zone); n = parentName(n)) {
    const m = matching(set, n);
    if (m) {
      // An NSEC3 at a delegation or DNAME cannot speak for names below it (RFC 5155 §8.3).
      if (nextCloser && ((m.types.has(T.NS) && !m.types.has(T.SOA)) || m.types.has(T.DNAME))) {
        return proofBogus(`NSEC3 closest encloser ${n} is a delegation or DNAME`);
      }
      if (!nextCloser) return { ce: n, ceRecord: m };
      const cover = covering(set, nextCloser);
      if (!cover) return proofBogus(`no NSEC3 covers next closer ${nextCloser}`, EdeCode.NSEC_MISSING);
      return { ce: n, ceRecord: m, nextCloser, cover };
    }
    nextCloser = n;
  }
  return proofBogus(`no NSEC3 closest encloser for ${name} in ${set.zone}`, EdeCode.NSEC_MISSING);
}

const isProof = (x: Encloser | Proof): x is Proof => 'status' in x;

/** RFC 5155 §8.4; with an opt-out next-closer cover the answer is insecure (§9.2, as Unbound). */
export function nsec3Nxdomain(set: Nsec3Set, qname: string): Proof {
  const ce = closestEncloser(set, qname);
  if (isProof(ce)) return ce;
  if (!ce.cover) return proofBogus(`NSEC3 shows ${qname} exists`);
  if (!covering(set, wildcardAt(ce.ce))) return proofBogus(`no NSEC3 covers wildcard ${wildcardAt(ce.ce)}`, EdeCode.NSEC_MISSING);
  return ce.cover.optOut ? proofInsecure(`NXDOMAIN ${qname} inside an NSEC3 opt-out span`) : SECURE;
}

function bitmapDenies(r: Nsec3, name: string, qtype: number): Proof {
  if (r.types.has(qtype)) return proofBogus(`NSEC3 for ${name} lists the type ${qtype} it should deny`);
  if (r.types.has(T.CNAME) && qtype !== T.CNAME) return proofBogus(`NSEC3 for ${name} shows a CNAME`);
  if (qtype !== T.DS && r.types.has(T.NS) && !r.types.has(T.SOA)) return proofBogus(`NSEC3 at delegation ${name} used for type ${qtype}`);
  if (qtype === T.DS && r.types.has(T.SOA) && name !== '.') return proofBogus(`child apex NSEC3 at ${name} used to deny DS`);
  return SECURE;
}

/** NODATA: RFC 5155 §8.5 (match), §8.6 (DS under opt-out), §8.7 (wildcard NODATA). */
export function nsec3Nodata(set: Nsec3Set, qname: string, qtype: number): Proof {
  const match = matching(set, qname);
  if (match) return bitmapDenies(match, qname, qtype);
  const ce = closestEncloser(set, qname);
  if (isProof(ce)) return ce;
  if (!ce.cover) return proofBogus(`NSEC3 for ${qname} vanished`);
  if (qtype === T.DS) {
    return ce.cover.optOut ? proofInsecure(`DS ${qname} inside an NSEC3 opt-out span`) : proofBogus(`no NSEC3 matches ${qname} and the cover is not opt-out`);
  }
  const wc = matching(set, wildcardAt(ce.ce));
  if (!wc) return proofBogus(`no NSEC3 proves ${qname} has no type ${qtype}`, EdeCode.NSEC_MISSING);
  const bitmap = bitmapDenies(wc, wildcardAt(ce.ce), qtype);
  if (bitmap.status !== 'secure') return bitmap;
  return ce.cover.optOut ? proofInsecure(`wildcard NODATA for ${qname} inside an opt-out span`) : SECURE;
}

/** RFC 5155 §8.8: a wildcard answer needs the next closer name (below the wildcard's parent) covered. */
export function nsec3WildcardAnswer(set: Nsec3Set, owner: string, wildcard: string): Proof {
  const ce = parentName(wildcard) ?? '.';
  const nextCloser = suffixOf(owner, labelCount(ce) + 1);
  const cover = covering(set, nextCloser);
  if (!cover) return proofBogus(`no NSEC3 covers ${nextCloser} for wildcard ${wildcard}`, EdeCode.NSEC_MISSING);
  return cover.optOut ? proofInsecure(`wildcard answer ${owner} inside an NSEC3 opt-out span`) : SECURE;
}

/** The DS walk (RFC 5155 §8.9 and §8.6): unsigned delegation, opt-out span, or not a cut. */
export function nsec3NoDs(set: Nsec3Set, name: string): DsProof {
  const match = matching(set, name);
  if (match) {
    if (match.types.has(T.DS)) return proofBogus(`NSEC3 for ${name} lists the DS it should deny`);
    if (match.types.has(T.SOA)) return proofBogus(`child apex NSEC3 at ${name} used to deny DS`);
    if (match.types.has(T.NS)) return { status: 'insecure', reason: `${name} is a delegation without DS (NSEC3)` };
    return { status: 'no-cut' };
  }
  const ce = closestEncloser(set, name);
  if (isProof(ce)) return ce;
  if (ce.cover?.optOut) return { status: 'insecure', reason: `${name} is inside an NSEC3 opt-out span` };
  return proofBogus(`${name} does not exist in ${set.zone} yet data below it was given`);
}
