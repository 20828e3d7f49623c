// The one boundary every upstream reply crosses before its data may reach the cache: drops
// records outside the bailiwick of the zone asked, and classifies what is left
// (answer / CNAME to follow / NXDOMAIN / NODATA / referral / lame), as Unbound's
// iter_scrub and iter_resptype do.

import { Flag, Rcode } from '../dns/constants.ts';
import { recordsOf, type Message, type RR } from '../dns/message.ts';
import { isSubdomain } from '../dns/name.ts';
import type { RRset } from '../cache/record-cache.ts';
import { canonicalRecord, groupRRsets } from './rrset.ts';

export const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, DNAME: 39, DS: 43, RRSIG: 46, NSEC: 47, NSEC3: 50, ANY: 255 } as const;

export interface AskedQuestion {
  /** The zone whose servers were asked: its bailiwick bounds what the reply may teach us. */
  zone: string;
  name: string;
  type: number;
  /**
   * Only in-bailiwick glue (default). false also takes the additional-section addresses of the
   * NS names from outside the zone asked (Unbound's harden-glue: no) — weaker against poisoning.
   */
  hardenGlue?: boolean;
}

interface Chain {
  /** CNAME RRsets from the asked name onwards, in order. */
  chain: RRset[];
  authoritative: boolean;
  /**
   * NSEC/NSEC3 RRsets of the authority section (with RRSIGs): the denial for a negative
   * answer, or the proof that a wildcard-synthesised answer's name does not exist (RFC 4035
   * §3.1.3.3). Kept for the validator; harmless when the zone is unsigned (then empty).
   */
  proof: RRset[];
}

export type ReplyKind =
  /** `additional`: addresses of the NS names in an NS answer (rank: additional data). */
  | ({ kind: 'answer'; answer: RRset[]; additional: RRset[] } & Chain)
  /** The chain leaves the zone (or stops): resolve `target` from the top. */
  | ({ kind: 'cname'; target: string } & Chain)
  | ({ kind: 'nxdomain' | 'nodata'; name: string; soa: RRset | undefined } & Chain)
  /** `proof`: the parent's NSEC/NSEC3 of the authority section (DS denial, RFC 4035 §3.1.4.1). */
  | { kind: 'referral'; child: string; ns: RRset; glue: RRset[]; ds: RRset[]; proof: RRset[] }
  | { kind: 'lame'; reason: string };

/**
 * Scrubs and classifies one reply from a server of `asked.zone`. Never throws on data.
 * `maxLinks` bounds the CNAME/DNAME links followed inside the reply: one DNAME whose target lies
 * below its owner would otherwise grow the name one label per link up to 253 octets. The chain
 * stops after maxLinks + 1 links, so the caller sees that the limit was passed.
 */
export function scrubReply(reply: Message, asked: AskedQuestion, maxLinks = Infinity): ReplyKind {
  const rcode = rcodeOf(reply);
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return { kind: 'lame', reason: `rcode ${rcode}` };
  const inZone = (rr: RR): boolean => isSubdomain(rr.name, asked.zone);
  const answer = groupRRsets(recordsOf(reply.answers).map(canonicalRecord).filter(inZone));
  const authority = groupRRsets(recordsOf(reply.authorities).map(canonicalRecord).filter(inZone));
  const authoritative = ((reply.flags ?? 0) & Flag.AA) !== 0;
  const proof = authority.filter((s) => s.type === T.NSEC || s.type === T.NSEC3);

  // QTYPE RRSIG: the RRSIGs at the name are the data (grouping attaches them to nothing).
  if (asked.type === T.RRSIG) {
    const sigs = recordsOf(reply.answers).map(canonicalRecord).filter((rr) => rr.type === 'RRSIG' && rr.name === asked.name && inZone(rr));
    if (sigs.length > 0) return { kind: 'answer', answer: [{ name: asked.name, type: T.RRSIG, records: sigs, signatures: [] }], additional: [], chain: [], authoritative, proof };
  }

  // Follow the CNAME chain from the asked name through the answer section (RFC 1034 §4.3.2).
  const chain: RRset[] = [];
  const seen = new Set<string>();
  let name = asked.name;
  for (;;) {
    const data = answer.filter((s) => s.name === name && (s.type === asked.type || (asked.type === T.ANY && s.type !== T.CNAME)));
    if (data.length > 0) {
      const additional = asked.type === T.NS ? nsAddresses(data, reply, inZone) : [];
      return { kind: 'answer', answer: data, additional, chain, authoritative, proof };
    }
    // A loop inside the reply (DNAMEs a→b and b→a): hand the repeated name back as the target,
    // so the resolver's own loop check ends it (SERVFAIL) instead of a NODATA with a chain.
    if (seen.has(name)) return { kind: 'cname', target: name, chain, authoritative, proof };
    if (chainLinks(chain) > maxLinks) return { kind: 'cname', target: name, chain, authoritative, proof };
    seen.add(name);
    const dname = asked.type === T.DNAME ? undefined : answer.find((s) => s.type === T.DNAME && s.name !== name && isSubdomain(name, s.name));
    const cname = asked.type === T.CNAME ? undefined : answer.find((s) => s.name === name && s.type === T.CNAME);
    if (dname && dname.records.length === 1) {
      // RFC 6672 §3.2: synthesise the CNAME ourselves rather than trust the server's copy.
      const synthesised = synthesiseCname(dname, name);
      if (!synthesised) break;
      chain.push(dname, synthesised);
    } else if (cname && cname.records.length === 1) {
      chain.push(cname);
    } else {
      break;
    }
    name = (chain[chain.length - 1]!.records[0] as { data: string }).data;
    // Data for a target outside this zone is not this server's to give: ask its own servers.
    if (!isSubdomain(name, asked.zone)) return { kind: 'cname', target: name, chain, authoritative, proof };
  }

  // A negative answer's SOA must sit at the apex of a zone that holds `name` (RFC 2308 §3).
  const soa = authority.find((s) => s.type === T.SOA && isSubdomain(name, s.name));
  if (rcode === Rcode.NXDOMAIN) return { kind: 'nxdomain', name, soa, proof, chain, authoritative };

  if (chain.length === 0) {
    // Referral: NS for a zone strictly below the one asked, on the way to the name.
    const ns = authority.find((s) => s.type === T.NS && s.name !== asked.zone && isSubdomain(name, s.name));
    if (ns && !soa) {
      const glue = nsAddresses([ns], reply, asked.hardenGlue === false ? () => true : inZone);
      const ds = authority.filter((s) => s.type === T.DS && s.name === ns.name);
      return { kind: 'referral', child: ns.name, ns, glue, ds, proof };
    }
    // Records of another type at the name (A for an AAAA question) show the server holds the
    // name: a NODATA without SOA, as the peers read it, not a lame server (RFC 2308 §2.2).
    const holdsName = answer.some((s) => s.name === name);
    if (!soa && !authoritative && !holdsName) return { kind: 'lame', reason: 'neither answer, referral nor authoritative' };
    if (holdsName && !soa) return { kind: 'nodata', name, soa, proof, chain, authoritative };
  }
  if (soa || (authoritative && chain.length === 0)) return { kind: 'nodata', name, soa, proof, chain, authoritative };
  // A chain that stops inside the zone with no data and no SOA proves nothing about its
  // target (a NODATA would carry the SOA, RFC 2308 §2.2): resolve the target afresh.
  return { kind: 'cname', target: name, chain, authoritative, proof };
}

/** CNAME links in a chain (a DNAME and the CNAME synthesised from it are one link). */
export function chainLinks(chain: RRset[]): number {
  let n = 0;
  for (const s of chain) if (s.type === T.CNAME) n++;
  return n;
}

/** The CNAME a DNAME implies for `name` (RFC 6672 §2.2); undefined if the result is too long. */
export function synthesiseCname(dname: RRset, name: string): RRset | undefined {
  const rr = dname.records[0]!;
  const target = (rr as { data: string }).data;
  const prefix = dname.name === '.' ? name : name.slice(0, name.length - dname.name.length - 1);
  const synthesised = target === '.' ? prefix : `${prefix}.${target}`;
  if (synthesised.length > 253) return undefined;
  return { name, type: T.CNAME, records: [{ name, type: 'CNAME', class: 'IN', ttl: rr.ttl ?? 0, data: synthesised }], signatures: [], synthesised: true };
}

/** A/AAAA sets of the additional section owned by the NS sets' targets (and in bailiwick). */
function nsAddresses(nsSets: RRset[], reply: Message, inZone: (rr: RR) => boolean): RRset[] {
  const targets = new Set(nsSets.flatMap((s) => s.records.map((r) => (r as { data: string }).data)));
  const additional = groupRRsets(recordsOf(reply.additionals).map(canonicalRecord).filter(inZone));
  return additional.filter((s) => (s.type === T.A || s.type === T.AAAA) && targets.has(s.name));
}

function rcodeOf(reply: Message): number {
  return (reply.flags ?? 0) & 0x0f;
}

/** Negative-caching TTL: the lesser of the SOA's TTL and its MINIMUM field (RFC 2308 §5). */
export function negativeTtl(soa: RRset | undefined): number {
  const rr = soa?.records[0] as { ttl?: number; data?: { minimum?: number } } | undefined;
  if (!rr) return 0;
  return Math.min(rr.ttl ?? 0, rr.data?.minimum ?? 0);
}
