// What a signed authoritative server adds for DO=1 (RFC 4035 §3.1): RRSIGs with each RRset,
// NSEC/NSEC3 denial for negative, wildcard and unsigned-referral answers, DS with referrals.

import type { RR } from '../../src/dns/message.ts';
import { rrType } from '../../src/dns/message.ts';
import { isSubdomain, selfAndAncestors } from '../../src/dns/name.ts';
import { compareNames, nameWire, type RrsigData } from '../../src/dnssec/canonical.ts';
import { base32hexEncode } from '../../src/dns/base32hex.ts';
import { createHash } from 'node:crypto';
import type { Zone } from './zone.ts';

const T = { RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50 } as const;

interface Nsec3Params {
  salt: Buffer;
  iterations: number;
}

/** One zone's signatures and denial chain, indexed once. */
interface SignedIndex {
  apex: string;
  /** "owner|covered type" → RRSIGs. */
  sigs: Map<string, RR[]>;
  /** Owners of any record: names that exist (empty non-terminals are handled by the callers). */
  owners: Set<string>;
  nsec: RR[];
  nsec3: { rr: RR; hash: string; next: string }[];
  params: Nsec3Params | undefined;
  signed: boolean;
}

const indexes = new WeakMap<Zone, SignedIndex>();

function index(zone: Zone): SignedIndex {
  const hit = indexes.get(zone);
  if (hit) return hit;
  const idx: SignedIndex = { apex: zone.apex, sigs: new Map(), owners: new Set(), nsec: [], nsec3: [], params: undefined, signed: false };
  for (const r of zone.records) {
    idx.owners.add(r.name);
    const type = rrType(r);
    if (type === T.RRSIG) {
      const k = `${r.name}|${(r.data as RrsigData).typeCovered}`;
      idx.sigs.set(k, [...(idx.sigs.get(k) ?? []), r]);
    } else if (type === T.NSEC) idx.nsec.push(r);
    else if (type === T.NSEC3) {
      const d = r.data as { salt: Buffer; iterations: number; nextDomain: Buffer };
      idx.params ??= { salt: d.salt, iterations: d.iterations };
      idx.nsec3.push({ rr: r, hash: r.name.split('.')[0]!, next: base32hexEncode(d.nextDomain) });
    } else if (type === T.DNSKEY && r.name === zone.apex) idx.signed = true;
  }
  indexes.set(zone, idx);
  return idx;
}

/** True when the zone carries a DNSKEY at its apex: only such zones add DNSSEC records. */
export function isSigned(zone: Zone): boolean {
  return index(zone).signed;
}

/** The RRSIGs over (owner, type) as the zone holds them. */
export function signaturesFor(zone: Zone, owner: string, type: string): RR[] {
  return index(zone).sigs.get(`${owner}|${type}`) ?? [];
}

function nsec3Hash(name: string, p: Nsec3Params): string {
  let h = createHash('sha1').update(nameWire(name)).update(p.salt).digest();
  for (let i = 0; i < p.iterations; i++) h = createHash('sha1').update(h).update(p.salt).digest();
  return base32hexEncode(h);
}

/**
 * The NSEC/NSEC3 records (with their RRSIGs) that match or cover `name`, each of its ancestors
 * in the zone, and the wildcard below each: a superset of every proof RFC 4035 §3.1.3 and
 * RFC 5155 §7.2 ask for (closest encloser, next closer, wildcard), which validators accept.
 */
export function denialFor(zone: Zone, name: string): RR[] {
  const idx = index(zone);
  const probes: string[] = [];
  for (const a of selfAndAncestors(name)) {
    if (!isSubdomain(a, idx.apex)) break;
    probes.push(a, a === '.' ? '*' : `*.${a}`);
  }
  const picked = new Set<RR>();
  for (const p of probes) {
    for (const r of idx.nsec) {
      const next = (r.data as { nextDomain: string }).nextDomain.toLowerCase();
      const last = compareNames(r.name, next) >= 0;
      if (r.name === p || (compareNames(r.name, p) < 0 && (last || compareNames(p, next) < 0))) picked.add(r);
    }
    if (idx.params) {
      const h = nsec3Hash(p, idx.params);
      for (const r of idx.nsec3) {
        const last = r.hash >= r.next;
        if (r.hash === h || (r.hash < h && (last || h < r.next)) || (last && h < r.next)) picked.add(r.rr);
      }
    }
  }
  const sigs = [...picked].flatMap((r) => signaturesFor(zone, r.name, r.type));
  return [...picked, ...sigs];
}

export interface PlainOutcome {
  answer: RR[];
  authority: RR[];
}

/**
 * Adds what DO=1 asks of a signed zone to an outcome computed without DNSSEC: RRSIGs after
 * each answer RRset (a wildcard expansion gets the wildcard's RRSIGs and the proof that the
 * name itself does not exist, RFC 4035 §3.1.3.3), the SOA's RRSIGs and the denial for a
 * negative answer (§3.1.3.2, §3.1.3.4), and for a referral the DS RRset or the proof that
 * there is none (§3.1.4). A CNAME synthesised from a DNAME stays unsigned (RFC 6672 §5.3.1).
 */
export function addDnssec(zone: Zone, qname: string, out: PlainOutcome): PlainOutcome {
  if (!isSigned(zone)) return out;
  const idx = index(zone);
  const answer: RR[] = [];
  const authority: RR[] = [];
  const dnames = out.answer.filter((r) => r.type === 'DNAME');
  let last = qname;
  for (const set of runs(out.answer)) {
    const r = set[0]!;
    answer.push(...set);
    if (r.type === 'CNAME') last = r.data as string;
    if (r.type === 'CNAME' && dnames.some((d) => isSubdomain(r.name, d.name) && d.name !== r.name)) continue;
    const own = signaturesFor(zone, r.name, r.type);
    if (own.length > 0 || idx.owners.has(r.name)) {
      answer.push(...own);
      continue;
    }
    // Not an owner in the zone: synthesised from the wildcard at the closest encloser.
    const ce = selfAndAncestors(r.name).find((a) => [...idx.owners].some((o) => isSubdomain(o, a)))!;
    answer.push(...signaturesFor(zone, ce === '.' ? '*' : `*.${ce}`, r.type).map((s) => ({ ...s, name: r.name }) as RR));
    authority.push(...denialFor(zone, r.name));
  }
  const soa = out.authority.find((r) => r.type === 'SOA');
  const ns = out.authority.find((r) => r.type === 'NS');
  for (const r of out.authority) authority.push(r);
  if (soa) {
    authority.push(...signaturesFor(zone, soa.name, 'SOA'), ...denialFor(zone, last));
  } else if (ns && ns.name !== zone.apex) {
    const ds = zone.records.filter((r) => r.name === ns.name && r.type === 'DS');
    if (ds.length > 0) authority.push(...ds, ...signaturesFor(zone, ns.name, 'DS'));
    else authority.push(...denialFor(zone, ns.name));
  }
  return { answer, authority: dedupe(authority) };
}

/** Consecutive records of one owner and type: the RRsets of an answer section, in order. */
function runs(records: RR[]): RR[][] {
  const out: RR[][] = [];
  for (const r of records) {
    const g = out.at(-1);
    if (g && g[0]!.name === r.name && g[0]!.type === r.type) g.push(r);
    else out.push([r]);
  }
  return out;
}

function dedupe(records: RR[]): RR[] {
  return [...new Set(records)];
}
