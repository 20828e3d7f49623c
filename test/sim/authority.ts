// A pure authoritative responder: zones + raw query bytes → raw reply bytes (RFC 1034 §4.3.2).

import dnsPacket from 'dns-packet';
import { CLASSIC_UDP_SIZE, EDNS_DO, EDNS_UDP_SIZE, Flag, Opcode, QClass, Rcode } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { rrType } from '../../src/dns/message.ts';
import { isSubdomain, labels, selfAndAncestors } from '../../src/dns/name.ts';
import type { QueryView } from '../../src/dns/wire.ts';
import { HEADER_SIZE, peekQuery } from '../../src/dns/wire.ts';
import { addDnssec } from './dnssec-serving.ts';
import type { Zone } from './zone.ts';

export type Protocol = 'udp' | 'tcp';

/** What an authoritative server decided, before it becomes bytes (faults edit this). */
export interface Outcome {
  rcode: number;
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
}

const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, AAAA: 28, DNAME: 39, DS: 43, ANY: 255 } as const;
const YXDOMAIN = 6;
const BADVERS_HIGH = 1; // extended RCODE 16 = BADVERS: upper 8 bits in the OPT (RFC 6891 §6.1.3)
/** Bounds the CNAME/DNAME chain one reply follows inside a zone, so a loop ends. */
const MAX_CHAIN = 16;

interface ZoneIndex {
  zone: Zone;
  /** owner → type number → RRset */
  nodes: Map<string, Map<number, RR[]>>;
  /** Every owner and every name between it and the apex: empty non-terminals exist (RFC 4592 §2.2.2). */
  exists: Set<string>;
  soa: RR | undefined;
}

const indexes = new WeakMap<Zone, ZoneIndex>();

function indexZone(zone: Zone): ZoneIndex {
  const cached = indexes.get(zone);
  if (cached) return cached;
  const idx: ZoneIndex = { zone, nodes: new Map(), exists: new Set(), soa: undefined };
  for (const rr of zone.records) {
    if (!isSubdomain(rr.name, zone.apex)) continue; // out-of-zone data is never served
    const type = rrType(rr);
    let node = idx.nodes.get(rr.name);
    if (!node) idx.nodes.set(rr.name, (node = new Map()));
    const set = node.get(type);
    if (set) set.push(rr);
    else node.set(type, [rr]);
    if (type === T.SOA && rr.name === zone.apex) idx.soa = rr;
    for (const n of selfAndAncestors(rr.name)) {
      if (idx.exists.has(n)) break;
      idx.exists.add(n);
      if (n === zone.apex) break;
    }
  }
  indexes.set(zone, idx);
  return idx;
}

/**
 * The closest enclosing zone a server serves. A DS query for a zone's apex belongs to the
 * parent side of the cut when the server serves the parent too (RFC 4035 §3.1.4.1).
 */
export function pickZone(zones: readonly Zone[], qname: string, qtype: number): Zone | undefined {
  const enclosing = zones.filter((z) => isSubdomain(qname, z.apex)).sort((a, b) => labels(b.apex).length - labels(a.apex).length);
  if (qtype === T.DS && enclosing.length > 1 && enclosing[0]!.apex === qname) return enclosing[1];
  return enclosing[0];
}

/** The names from the apex down to `name`, both included. */
function pathFromApex(apex: string, name: string): string[] {
  const path: string[] = [];
  for (const n of selfAndAncestors(name)) {
    path.push(n);
    if (n === apex) break;
  }
  return path.reverse();
}

function wireLength(name: string): number {
  return labels(name).reduce((sum, l) => sum + l.length + 1, 1);
}

type Step =
  | { kind: 'answer'; records: RR[] }
  | { kind: 'alias'; records: RR[]; target: string; tooLong?: boolean }
  | { kind: 'nodata' }
  | { kind: 'nxdomain' }
  | { kind: 'referral'; ns: RR[] };

/** The records of one node for `qtype`, as owned by `owner` (≠ node name when it is a wildcard). */
function atNode(node: Map<number, RR[]> | undefined, owner: string, qtype: number): Step {
  const own = (rrs: RR[]): RR[] => rrs.map((r) => (r.name === owner ? r : { ...r, name: owner }));
  const cname = node?.get(T.CNAME);
  if (cname && qtype !== T.CNAME && qtype !== T.ANY) {
    return { kind: 'alias', records: own(cname), target: cname[0]!.data as string };
  }
  if (qtype === T.ANY && node && node.size > 0) return { kind: 'answer', records: own([...node.values()].flat()) };
  const set = node?.get(qtype);
  return set ? { kind: 'answer', records: own(set) } : { kind: 'nodata' };
}

/** One lookup of `name` inside one zone, descending from the apex (RFC 1034 §4.3.2 step 3). */
function lookup(idx: ZoneIndex, name: string, qtype: number): Step {
  const path = pathFromApex(idx.zone.apex, name);
  let closest = idx.zone.apex;
  for (const n of path) {
    if (!idx.exists.has(n)) {
      // RFC 4592 §3.3.1: the source of synthesis is "*." + the closest encloser.
      const wild = idx.nodes.get(`*.${closest}`);
      return wild ? atNode(wild, name, qtype) : { kind: 'nxdomain' };
    }
    closest = n;
    const node = idx.nodes.get(n);
    const ns = node?.get(T.NS);
    // A zone cut: below it the zone is not authoritative, except DS which lives at the parent.
    if (ns && n !== idx.zone.apex && !(n === name && qtype === T.DS)) return { kind: 'referral', ns };
    const dname = node?.get(T.DNAME);
    if (dname && n !== name) {
      // RFC 6672 §2.2: replace the DNAME owner suffix with its target and synthesise a CNAME.
      const target = dname[0]!.data as string;
      const prefix = name.slice(0, name.length - n.length - 1);
      const newName = target === '.' ? prefix : `${prefix}.${target}`;
      const synth: RR = { name, type: 'CNAME', class: 'IN', ttl: dname[0]!.ttl ?? 0, data: newName };
      if (wireLength(newName) > 255) return { kind: 'alias', records: [dname[0]!], target: newName, tooLong: true };
      return { kind: 'alias', records: [dname[0]!, synth], target: newName };
    }
  }
  return atNode(idx.nodes.get(name), name, qtype);
}

/** RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, SOA MINIMUM). */
function negativeSoa(idx: ZoneIndex): RR[] {
  const soa = idx.soa;
  if (!soa || soa.type !== 'SOA') return [];
  return [{ ...soa, ttl: Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) }];
}

/** Addresses for in-zone names (glue, or additional-section data for NS/MX answers). */
function addressesFor(idx: ZoneIndex, names: string[]): RR[] {
  const out: RR[] = [];
  for (const n of new Set(names)) {
    if (!isSubdomain(n, idx.zone.apex)) continue;
    const node = idx.nodes.get(n);
    out.push(...(node?.get(T.A) ?? []), ...(node?.get(T.AAAA) ?? []));
  }
  return out;
}

/**
 * Answers a question from the zones a server serves; undefined when it serves none above it.
 * With `dnssecOk` (the query's DO bit) a signed zone adds RRSIGs, NSEC/NSEC3 and DS (RFC 4035 §3.1).
 */
export function answerQuestion(zones: readonly Zone[], qname: string, qtype: number, dnssecOk = false): Outcome | undefined {
  const zone = pickZone(zones, qname, qtype);
  if (!zone) return undefined;
  const out = answerFromZone(zones, zone, qname, qtype);
  if (!dnssecOk || qtype === T.ANY || out.rcode === YXDOMAIN) return out;
  return { ...out, ...addDnssec(zone, qname, out) };
}

function answerFromZone(zones: readonly Zone[], zone: Zone, qname: string, qtype: number): Outcome {
  const idx = indexZone(zone);
  const out: Outcome = { rcode: Rcode.NOERROR, aa: true, answer: [], authority: [], additional: [] };
  const seen = new Set<string>();
  let name = qname;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    seen.add(name);
    const step = lookup(idx, name, qtype);
    switch (step.kind) {
      case 'referral':
        // A chain that runs into a delegation stops at the alias; the resolver follows it.
        if (hop > 0) return out;
        out.aa = false;
        out.authority = step.ns;
        out.additional = addressesFor(idx, step.ns.map((r) => r.data as string));
        return out;
      case 'answer': {
        out.answer.push(...step.records);
        const targets = step.records.flatMap((r) => (r.type === 'NS' ? [r.data] : r.type === 'MX' ? [r.data.exchange] : []));
        out.additional = addressesFor(idx, targets);
        return out;
      }
      case 'nodata':
        out.authority = negativeSoa(idx);
        return out;
      case 'nxdomain':
        // RFC 6604 §2.1: after a CNAME the RCODE is that of the last name in the chain.
        out.rcode = Rcode.NXDOMAIN;
        out.authority = negativeSoa(idx);
        return out;
      case 'alias':
        out.answer.push(...step.records);
        if (step.tooLong) {
          out.rcode = YXDOMAIN; // RFC 6672 §2.2
          return out;
        }
        // Continue only while the target stays in this very zone (RFC 1034 §4.3.2 step 3a).
        if (seen.has(step.target) || pickZone(zones, step.target, qtype) !== zone) return out;
        name = step.target;
    }
  }
  return out;
}

function encodeName(name: string): Buffer {
  const parts = labels(name).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A question section for another name: used by the wrongQuestion fault. */
export function encodeQuestion(name: string, qtype: number, qclass: number = QClass.IN): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(qclass, 2);
  return Buffer.concat([encodeName(name), tail]);
}

// dns-packet encodes one record at a time; the @types package does not declare it.
const answerCodec = (dnsPacket as unknown as { answer: { encode(rr: RR | dnsPacket.OptAnswer): Buffer } }).answer;
function encodeRecords(records: (RR | dnsPacket.OptAnswer)[]): Buffer[] {
  return records.map((r) => answerCodec.encode(r));
}

export interface EncodeOptions {
  /** Force TC=1 over UDP whatever the size (the truncate fault). */
  forceTruncate?: boolean;
  /** Question bytes to send instead of the query's own (the wrongQuestion fault). */
  question?: Buffer;
  /** EDNS options for the reply's OPT record (e.g. a DNS COOKIE). */
  ednsOptions?: { code: number; data: Buffer }[];
}

/**
 * Turns an outcome into bytes. The question is copied byte for byte from the query so a
 * 0x20-randomised name round-trips (draft-vixie-dnsext-dns0x20). With EDNS in the query the
 * reply carries an OPT (RFC 6891 §7); over UDP a reply above the client's limit is truncated:
 * TC=1 and all sections emptied but the OPT (RFC 2181 §9, RFC 1035 §4.2.1).
 */
export function encodeReply(query: Buffer, view: QueryView, outcome: Outcome, protocol: Protocol, options: EncodeOptions = {}): Buffer {
  const question = options.question ?? query.subarray(HEADER_SIZE, view.questionEnd);
  const opt: dnsPacket.OptAnswer[] = [];
  let rcode = outcome.rcode;
  if (view.edns) {
    const extendedRcode = rcode >> 4;
    opt.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: EDNS_UDP_SIZE,
      extendedRcode,
      ednsVersion: 0,
      flags: view.edns.dnssecOk ? EDNS_DO : 0, // RFC 3225 §3: DO is copied into the response
      flag_do: view.edns.dnssecOk,
      options: (options.ednsOptions ?? []) as dnsPacket.PacketOpt[],
    });
    rcode &= 0xf;
  }
  const build = (sections: [RR[], RR[], RR[]], tc: boolean): Buffer => {
    const header = Buffer.alloc(HEADER_SIZE);
    const flags =
      Flag.QR | (view.flags & 0x7800) | (outcome.aa ? Flag.AA : 0) | (tc ? Flag.TC : 0) | (view.flags & Flag.RD) | (view.flags & Flag.CD) | rcode;
    header.writeUInt16BE(view.id, 0);
    header.writeUInt16BE(flags, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(sections[0].length, 6);
    header.writeUInt16BE(sections[1].length, 8);
    header.writeUInt16BE(sections[2].length + opt.length, 10);
    return Buffer.concat([header, question, ...encodeRecords([...sections.flat(), ...opt])]);
  };
  const full = build([outcome.answer, outcome.authority, outcome.additional], false);
  if (protocol === 'tcp') return full;
  const limit = view.edns ? Math.max(CLASSIC_UDP_SIZE, view.edns.udpSize) : CLASSIC_UDP_SIZE;
  if (full.length <= limit && !options.forceTruncate) return full;
  return build([[], [], []], true);
}

/** A header-only error reply without a question, for queries that could not be parsed. */
function formerr(id: number, flags: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(Flag.QR | (flags & 0x7800) | (flags & Flag.RD) | Rcode.FORMERR, 2);
  return header;
}

export type Decision =
  | { kind: 'reply'; view: QueryView; outcome: Outcome }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'drop' };

/** Parses a query and decides the outcome; never throws on hostile bytes. */
export function decide(zones: readonly Zone[], query: Buffer): Decision {
  const peek = peekQuery(query);
  if (!peek.ok) return peek.action === 'drop' ? { kind: 'drop' } : { kind: 'raw', bytes: formerr(peek.id, peek.flags) };
  const view = peek.query;
  const empty = (rcode: number): Outcome => ({ rcode, aa: false, answer: [], authority: [], additional: [] });
  if (view.opcode !== Opcode.QUERY) return { kind: 'reply', view, outcome: empty(Rcode.NOTIMP) };
  if (view.edns && view.edns.version > 0) return { kind: 'reply', view, outcome: empty(BADVERS_HIGH << 4) };
  if (view.qclass !== QClass.IN) return { kind: 'reply', view, outcome: empty(Rcode.REFUSED) };
  const outcome = answerQuestion(zones, view.qname, view.qtype, view.edns?.dnssecOk ?? false);
  return { kind: 'reply', view, outcome: outcome ?? empty(Rcode.REFUSED) };
}

/** The whole authoritative server as a function: undefined means "send nothing". */
export function respond(zones: readonly Zone[], query: Buffer, protocol: Protocol): Buffer | undefined {
  const d = decide(zones, query);
  if (d.kind === 'drop') return undefined;
  if (d.kind === 'raw') return d.bytes;
  return encodeReply(query, d.view, d.outcome, protocol);
}

