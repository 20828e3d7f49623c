// Groups decoded records into RRsets, attaching each RRSIG to the RRset it covers.

import type { RR } from '../dns/message.ts';
import { canonicalName } from '../dns/name.ts';
import { rrType, typeNumber } from '../dns/message.ts';
import type { RRset } from '../cache/record-cache.ts';
import { rdataWire } from '../dnssec/canonical.ts';

const TYPE_RRSIG = 46;

/** Name fields inside RDATA that andns follows; lower-cased so cache keys and comparisons agree. */
export function canonicalRecord(rr: RR): RR {
  const out: { name: string; data?: unknown } = { ...rr, name: canonicalName(rr.name) };
  const data = (rr as { data?: unknown }).data;
  switch (rr.type) {
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      out.data = canonicalName(data as string);
      break;
    case 'MX': {
      const mx = data as { preference?: number; exchange: string };
      out.data = { ...mx, exchange: canonicalName(mx.exchange) };
      break;
    }
    case 'SOA': {
      const soa = data as { mname: string; rname: string };
      out.data = { ...soa, mname: canonicalName(soa.mname), rname: canonicalName(soa.rname) };
      break;
    }
    case 'RRSIG': {
      const sig = data as { signersName: string };
      out.data = { ...sig, signersName: canonicalName(sig.signersName) };
      break;
    }
  }
  return out as unknown as RR;
}

/** The type an RRSIG covers, as a number (0 when unknown). */
export function coveredType(sig: RR): number {
  const covered = (sig as { data?: { typeCovered?: string } }).data?.typeCovered;
  return covered ? (typeNumber(covered) ?? 0) : 0;
}

/** Splits records into RRsets keyed by owner and type; RRSIGs join the set they cover. */
export function groupRRsets(records: RR[]): RRset[] {
  const sets = new Map<string, RRset>();
  const sigs: RR[] = [];
  for (const rr of records) {
    const type = rrType(rr);
    if (type === TYPE_RRSIG) {
      sigs.push(rr);
      continue;
    }
    const k = `${rr.name}\u0000${type}`;
    let set = sets.get(k);
    if (!set) {
      set = { name: rr.name, type, records: [], signatures: [] };
      sets.set(k, set);
    }
    // RFC 2181 §5: an RRset holds each record once; a server that repeats one sends one.
    if (set.records.length === 0 || !set.records.some((r) => sameRdata(r, rr))) set.records.push(rr);
  }
  for (const sig of sigs) {
    const set = sets.get(`${sig.name}\u0000${coveredType(sig)}`);
    if (set) set.signatures.push(sig);
  }
  return [...sets.values()];
}

function sameRdata(a: RR, b: RR): boolean {
  const da = (a as { data?: unknown }).data;
  const db = (b as { data?: unknown }).data;
  if (typeof da === 'string' || typeof db === 'string') return da === db;
  return rdataWire(a).equals(rdataWire(b));
}

export function recordTtl(rr: RR): number {
  return 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
}

/** Smallest TTL in a set (RFC 2181 §5.2: an RRset's records share one TTL; trust the least). */
export function setTtl(set: RRset): number {
  return Math.min(...set.records.map(recordTtl));
}

/** Records of a set with every TTL replaced (RRSIGs too), for an answer. */
export function setRecords(set: RRset, ttl: number, withSignatures: boolean): RR[] {
  const list = withSignatures ? [...set.records, ...set.signatures] : set.records;
  return list.map((r) => ({ ...r, ttl }) as RR);
}
