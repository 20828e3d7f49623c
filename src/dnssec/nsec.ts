// NSEC denial-of-existence proofs (RFC 4035 §5.4, RFC 4592 wildcards, RFC 6840 §4 clarifications).
// Every function takes NSEC records the caller has already validated, all from `zone`.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { typeNumber } from '../dns/message.ts';
import { isSubdomain, labelCount, labels, parentName } from '../dns/name.ts';
import { compareNames, lowerAscii } from './canonical.ts';
import { T } from './constants.ts';
import { proofBogus, SECURE, type DsProof, type Proof } from './proof.ts';

export interface Nsec {
  owner: string;
  /** Lower-cased for comparisons; the record keeps its original case for signing. */
  next: string;
  types: Set<number>;
}

export function nsecOf(rr: RR): Nsec {
  const d = (rr as { data: { nextDomain: string; rrtypes: string[] } }).data;
  return { owner: rr.name, next: lowerAscii(d.nextDomain), types: new Set(d.rrtypes.map((t) => typeNumber(t) ?? 0)) };
}

/** A delegation point seen from the parent: NS without SOA (RFC 6840 §4.1). */
function isDelegation(n: Nsec): boolean {
  return n.types.has(T.NS) && !n.types.has(T.SOA);
}

/**
 * True when `n` proves that `name` does not exist: owner < name < next in canonical order
 * (the last NSEC wraps to the apex), the next name is not below `name` (then `name` would be
 * an empty non-terminal), and the owner is not a delegation or DNAME above `name` whose
 * NSEC cannot speak for the child zone (RFC 6840 §4.1, "ancestor delegation").
 */
export function nsecDenies(n: Nsec, name: string, zone: string): boolean {
  if (!isSubdomain(name, zone) || !isSubdomain(n.owner, zone)) return false;
  if (isSubdomain(name, n.owner) && name !== n.owner && (isDelegation(n) || n.types.has(T.DNAME))) return false;
  if (isSubdomain(n.next, name)) return false;
  const afterOwner = compareNames(n.owner, name) < 0;
  if (compareNames(n.owner, n.next) < 0) return afterOwner && compareNames(name, n.next) < 0;
  return afterOwner; // the last NSEC of the zone: its next name is the apex
}

function commonAncestor(a: string, b: string): string {
  const la = labels(a).reverse();
  const lb = labels(b).reverse();
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return i === 0 ? '.' : la.slice(0, i).reverse().join('.');
}

/** The closest encloser an NSEC denying `name` implies: the longer common ancestor with owner or next. */
export function nsecClosestEncloser(n: Nsec, name: string): string {
  const a = commonAncestor(name, n.owner);
  const b = commonAncestor(name, n.next);
  return labelCount(a) >= labelCount(b) ? a : b;
}

export function wildcardAt(ce: string): string {
  return ce === '.' ? '*' : `*.${ce}`;
}

function denier(nsecs: Nsec[], name: string, zone: string): Nsec | undefined {
  return nsecs.find((n) => nsecDenies(n, name, zone));
}

/** RFC 4035 §5.4 / RFC 4592: NXDOMAIN needs the name denied and the source of synthesis denied. */
export function nsecNxdomain(nsecs: Nsec[], qname: string, zone: string): Proof {
  const cover = denier(nsecs, qname, zone);
  if (!cover) return proofBogus(`no NSEC denies ${qname}`, EdeCode.NSEC_MISSING);
  const wc = wildcardAt(nsecClosestEncloser(cover, qname));
  if (!denier(nsecs, wc, zone)) return proofBogus(`no NSEC denies wildcard ${wc}`, EdeCode.NSEC_MISSING);
  return SECURE;
}

/** Checks a matching NSEC's bitmap for a NODATA answer about `qtype`. */
function bitmapDenies(n: Nsec, qtype: number): Proof {
  if (n.types.has(qtype)) return proofBogus(`NSEC at ${n.owner} lists the type ${qtype} it should deny`);
  if (n.types.has(T.CNAME) && qtype !== T.CNAME) return proofBogus(`NSEC at ${n.owner} shows a CNAME`);
  // RFC 6840 §4.4 / RFC 4035 §5.4: the parent-side NSEC at a cut only speaks for DS, and the
  // child apex NSEC never does.
  if (qtype !== T.DS && isDelegation(n)) return proofBogus(`NSEC at delegation ${n.owner} used for type ${qtype}`);
  if (qtype === T.DS && n.types.has(T.SOA) && n.owner !== '.') {
    return proofBogus(`child apex NSEC at ${n.owner} used to deny DS`);
  }
  return SECURE;
}

/** NODATA: a matching NSEC, an empty non-terminal, or a matching wildcard without the type. */
export function nsecNodata(nsecs: Nsec[], qname: string, qtype: number, zone: string): Proof {
  const match = nsecs.find((n) => n.owner === qname);
  if (match) return bitmapDenies(match, qtype);
  // An empty non-terminal has no NSEC; one whose next name is below qname proves it exists empty.
  const ent = nsecs.find((n) => compareNames(n.owner, qname) < 0 && isSubdomain(n.next, qname) && n.next !== qname);
  if (ent) return SECURE; // an empty non-terminal has no data of any type, DS included
  const cover = denier(nsecs, qname, zone);
  if (cover) {
    const wc = nsecs.find((n) => n.owner === wildcardAt(nsecClosestEncloser(cover, qname)));
    if (wc) return bitmapDenies(wc, qtype);
  }
  return proofBogus(`no NSEC proves ${qname} has no type ${qtype}`, EdeCode.NSEC_MISSING);
}

/**
 * A positive answer synthesised from `wildcard` (RFC 4035 §5.3.4): the owner must not exist,
 * and no name between it and the wildcard's parent may exist either.
 */
export function nsecWildcardAnswer(nsecs: Nsec[], owner: string, wildcard: string, zone: string): Proof {
  const parent = parentName(wildcard) ?? '.';
  const cover = nsecs.find((n) => nsecDenies(n, owner, zone) && labelCount(nsecClosestEncloser(n, owner)) <= labelCount(parent));
  return cover ? SECURE : proofBogus(`no NSEC proves ${owner} was not a closer match than ${wildcard}`, EdeCode.NSEC_MISSING);
}

/** The DS walk: is `name` an unsigned delegation (insecure), not a cut (continue), or neither (bogus)? */
export function nsecNoDs(nsecs: Nsec[], name: string, zone: string): DsProof {
  const match = nsecs.find((n) => n.owner === name);
  if (match) {
    if (match.types.has(T.DS)) return proofBogus(`NSEC at ${name} lists the DS it should deny`);
    if (match.types.has(T.SOA)) return proofBogus(`child apex NSEC at ${name} used to deny DS`);
    if (match.types.has(T.NS)) return { status: 'insecure', reason: `${name} is a delegation without DS (NSEC)` };
    return { status: 'no-cut' };
  }
  const ent = nsecs.find((n) => compareNames(n.owner, name) < 0 && isSubdomain(n.next, name) && n.next !== name);
  if (ent) return { status: 'no-cut' };
  if (denier(nsecs, name, zone)) return proofBogus(`${name} does not exist in ${zone} yet data below it was given`);
  return proofBogus(`no NSEC proves ${name} has no DS`, EdeCode.NSEC_MISSING);
}
