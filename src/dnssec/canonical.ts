// Canonical wire forms for DNSSEC (RFC 4034 §6): names, RDATA, signed data, key tags, DS digests.

import { createHash } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { RR } from '../dns/message.ts';
import { typeNumber } from '../dns/message.ts';
import { labelCount, labels } from '../dns/name.ts';

// dns-packet's per-type RDATA codecs; @types/dns-packet does not declare them.
type Codec = { encode(data: unknown): Buffer };
const recordCodec = (dnsPacket as unknown as { record(type: string): Codec }).record;

/** Lower-cases US-ASCII letters only: RFC 4034 §6.2 and RFC 4343 leave other octets alone. */
export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Uncompressed wire form of a name (andns form: no trailing dot, "." is root), lower-cased. */
export function nameWire(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels(name)) {
    const bytes = Buffer.from(lowerAscii(label), 'utf8');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * Canonical DNS name order (RFC 4034 §6.1): compare label by label from the right, each label
 * as a lower-cased octet string; a name sorts before its descendants.
 */
export function compareNames(a: string, b: string): number {
  const la = labels(a);
  const lb = labels(b);
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const x = Buffer.from(lowerAscii(la[la.length - i]!), 'utf8');
    const y = Buffer.from(lowerAscii(lb[lb.length - i]!), 'utf8');
    const c = Buffer.compare(x, y);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

const CLASS: Record<string, number> = { IN: 1, CH: 3, HS: 4 };

export function rrTypeNumber(rr: RR): number {
  return typeNumber(rr.type) ?? 0;
}

/**
 * RDATA in canonical form: names embedded in RDATA lower-cased for the types RFC 4034 §6.2
 * lists (as corrected by RFC 6840 §5.1: NSEC's next name keeps its case), no compression.
 */
export function rdataWire(rr: RR): Buffer {
  const data = canonicalData(rr);
  const withLength = recordCodec(rr.type).encode(data);
  return withLength.subarray(2);
}

function canonicalData(rr: RR): unknown {
  const raw = (rr as { data: unknown }).data;
  const d = raw as Record<string, unknown>;
  switch (rr.type) {
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return lowerAscii(raw as string);
    case 'MX':
      return { ...d, exchange: lowerAscii(d.exchange as string) };
    case 'SOA':
      return { ...d, mname: lowerAscii(d.mname as string), rname: lowerAscii(d.rname as string) };
    case 'SRV':
      return { ...d, target: lowerAscii(d.target as string) };
    case 'RP':
      return { ...d, mbox: lowerAscii(d.mbox as string), txt: lowerAscii(d.txt as string) };
    case 'NAPTR':
      return { ...d, replacement: lowerAscii(d.replacement as string) };
    case 'RRSIG':
      return { ...d, signersName: lowerAscii(d.signersName as string) };
    default:
      return raw;
  }
}

export interface RrsigData {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTTL: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signersName: string;
  signature: Buffer;
}

export interface DnskeyData {
  flags: number;
  algorithm: number;
  key: Buffer;
}

export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Buffer;
}

export function rrsigData(rr: RR): RrsigData {
  return (rr as { data: RrsigData }).data;
}

export function dnskeyData(rr: RR): DnskeyData {
  return (rr as { data: DnskeyData }).data;
}

export function dsData(rr: RR): DsData {
  return (rr as { data: DsData }).data;
}

/** RRSIG RDATA up to (not including) the signature, signer lower-cased (RFC 4034 §3.1.8.1). */
export function rrsigPrefix(sig: RrsigData): Buffer {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(typeNumber(sig.typeCovered) ?? 0, 0);
  head.writeUInt8(sig.algorithm, 2);
  head.writeUInt8(sig.labels, 3);
  head.writeUInt32BE(sig.originalTTL >>> 0, 4);
  head.writeUInt32BE(sig.expiration >>> 0, 8);
  head.writeUInt32BE(sig.inception >>> 0, 12);
  head.writeUInt16BE(sig.keyTag, 16);
  return Buffer.concat([head, nameWire(sig.signersName)]);
}

/**
 * The owner name a signature covers: the owner itself, or "*." + its rightmost `sigLabels`
 * labels when the RRset was synthesised from a wildcard (RFC 4035 §5.3.2).
 */
export function signedOwner(owner: string, sigLabels: number): string {
  const n = labelCount(owner);
  if (sigLabels >= n) return owner;
  const suffix = labels(owner).slice(n - sigLabels).join('.');
  return sigLabels === 0 ? '*' : `*.${suffix}`;
}

/**
 * The data an RRSIG signs (RFC 4034 §3.1.8.1): RRSIG RDATA without the signature, then every
 * RR in canonical form (§6.2: owner lower-cased or wildcard, TTL = original TTL) in canonical
 * order (§6.3: by RDATA as octet strings) with duplicates removed.
 */
export function signedData(sig: RrsigData, owner: string, records: RR[]): Buffer {
  const ownerWire = nameWire(signedOwner(owner, sig.labels));
  const rdatas = records.map(rdataWire).sort(Buffer.compare);
  const parts: Buffer[] = [rrsigPrefix(sig)];
  let previous: Buffer | undefined;
  for (const rdata of rdatas) {
    if (previous && previous.equals(rdata)) continue; // §6.3: duplicates are not signed twice
    previous = rdata;
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(rrTypeNumber(records[0]!), 0);
    fixed.writeUInt16BE(CLASS[String(records[0]!.class ?? 'IN')] ?? 1, 2);
    fixed.writeUInt32BE(sig.originalTTL >>> 0, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(ownerWire, fixed, rdata);
  }
  return Buffer.concat(parts);
}

/** DNSKEY RDATA: flags, protocol (always 3, RFC 4034 §2.1.2), algorithm, public key. */
export function dnskeyRdata(key: DnskeyData): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(key.flags, 0);
  head.writeUInt8(3, 2);
  head.writeUInt8(key.algorithm, 3);
  return Buffer.concat([head, key.key]);
}

/** Key tag (RFC 4034 Appendix B); algorithm 1 (RSAMD5, unsupported) would differ and is not handled. */
export function keyTag(key: DnskeyData): number {
  const rdata = dnskeyRdata(key);
  let acc = 0;
  for (let i = 0; i < rdata.length; i++) acc += i & 1 ? rdata[i]! : rdata[i]! << 8;
  acc += (acc >>> 16) & 0xffff;
  return acc & 0xffff;
}

const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

/** DS digest (RFC 4034 §5.1.4): hash of owner wire name + DNSKEY RDATA; undefined if unknown type. */
export function dsDigest(owner: string, key: DnskeyData, digestType: number): Buffer | undefined {
  const alg = DIGESTS[digestType];
  if (!alg) return undefined;
  return createHash(alg).update(nameWire(owner)).update(dnskeyRdata(key)).digest();
}
