// The binary value of a shared-cache key: a fixed header and wire-format records (see README.md).
//
// Values come back from a store other processes (and operators) write to, so decoding trusts
// nothing: every length and count is checked, and any surprise is a CorruptValueError, which
// the cache turns into a miss (counted, logged), never a crash.

import dnsPacket from 'dns-packet';
import type { RR } from '../dns/message.ts';
import { rrType } from '../dns/message.ts';
import { Rank, type CachedNegative, type CachedRRset, type DnssecStatus } from '../cache/record-cache.ts';

export const CODEC_VERSION = 1;
/** Header byte offsets; guard.ts (and its Lua twin) read kind, rank and expiry in place. */
export const Offset = { version: 0, kind: 1, rank: 2, status: 3, expiresAt: 4, ttl: 10, type: 14, count: 16, sigCount: 18 } as const;
export const HEADER_BYTES = 20;
export const Kind = { rrset: 1, nxdomain: 2, nodata: 3 } as const;
/** Negative answers come from answer sections' absence: they rank as non-authoritative answers. */
export const NEGATIVE_RANK = Rank.NONAUTH_ANSWER;

// Bogus has no code on purpose: it can never be encoded (DESIGN §3: never store bogus data).
const statusCodes: Record<Exclude<DnssecStatus, 'bogus'>, number> = { unchecked: 0, secure: 1, insecure: 2, indeterminate: 3 };
const statusNames = ['unchecked', 'secure', 'insecure', 'indeterminate'] as const;
const TYPE_RRSIG = 46;

export type CacheValue =
  /** `ttl`: the TTL the data arrived with (after caps), kept for prefetch decisions. */
  | { kind: 'rrset'; rrset: CachedRRset; ttl: number }
  | { kind: 'negative'; negative: CachedNegative; ttl: number };

export class CorruptValueError extends Error {
  override name = 'CorruptValueError';
}

interface RecordCodec {
  encode(rr: RR, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): RR;
  encodingLength(rr: RR): number;
}
// dns-packet encodes single records too, but @types/dns-packet does not declare it.
const record = (dnsPacket as unknown as { answer: RecordCodec }).answer;

export function encodeValue(value: CacheValue): Buffer {
  const status = value.kind === 'rrset' ? value.rrset.status : value.negative.status;
  if (status === 'bogus') throw new TypeError('bogus data is never stored');
  const first = value.kind === 'rrset' ? value.rrset.records : value.negative.authority;
  const second = value.kind === 'rrset' ? value.rrset.signatures : [];
  if (first.length > 0xffff || second.length > 0xffff) throw new TypeError('too many records for one value');
  const body = [...first, ...second].map((rr) => record.encode(rr));
  const buf = Buffer.allocUnsafe(HEADER_BYTES + body.reduce((n, b) => n + b.length, 0));
  buf[Offset.version] = CODEC_VERSION;
  buf[Offset.kind] = value.kind === 'rrset' ? Kind.rrset : value.negative.kind === 'nxdomain' ? Kind.nxdomain : Kind.nodata;
  buf[Offset.rank] = value.kind === 'rrset' ? value.rrset.rank : NEGATIVE_RANK;
  buf[Offset.status] = statusCodes[status ?? 'unchecked'];
  buf.writeUIntBE(Math.max(0, Math.round(value.kind === 'rrset' ? value.rrset.expiresAt : value.negative.expiresAt)), Offset.expiresAt, 6);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, value.ttl)), Offset.ttl);
  buf.writeUInt16BE(value.kind === 'rrset' ? value.rrset.type : value.negative.kind === 'nxdomain' ? 0 : value.negative.type, Offset.type);
  buf.writeUInt16BE(first.length, Offset.count);
  buf.writeUInt16BE(second.length, Offset.sigCount);
  let at = HEADER_BYTES;
  for (const b of body) at += b.copy(buf, at);
  return buf;
}

/** Decodes a value stored under a key of canonical owner `name`; throws CorruptValueError. */
export function decodeValue(buf: Buffer, name: string): CacheValue {
  if (buf.length < HEADER_BYTES) throw new CorruptValueError(`value of ${buf.length} bytes is shorter than the header`);
  if (buf[Offset.version] !== CODEC_VERSION) throw new CorruptValueError(`unknown value version ${buf[Offset.version]}`);
  const kind = buf[Offset.kind]!;
  const rank = buf[Offset.rank]!;
  const status = statusNames[buf[Offset.status]!];
  if (rank < Rank.GLUE || rank > Rank.AUTH_ANSWER) throw new CorruptValueError(`bad rank ${rank}`);
  if (status === undefined) throw new CorruptValueError(`bad DNSSEC status ${buf[Offset.status]}`);
  const expiresAt = buf.readUIntBE(Offset.expiresAt, 6);
  const ttl = buf.readUInt32BE(Offset.ttl);
  const type = buf.readUInt16BE(Offset.type);
  const count = buf.readUInt16BE(Offset.count);
  const sigCount = buf.readUInt16BE(Offset.sigCount);
  const records = readRecords(buf, count + sigCount);
  if (kind === Kind.rrset) {
    const [main, sigs] = [records.slice(0, count), records.slice(count)];
    if (main.length === 0) throw new CorruptValueError('empty RRset');
    for (const rr of main) {
      if (rr.name.toLowerCase() !== name || rrType(rr) !== type) throw new CorruptValueError(`record ${rr.name}/${rr.type} under ${name}/${type}`);
    }
    if (sigs.some((rr) => rrType(rr) !== TYPE_RRSIG)) throw new CorruptValueError('non-RRSIG among the signatures');
    return { kind: 'rrset', ttl, rrset: { name, type, records: main, signatures: sigs, rank: rank as Rank, expiresAt, status } };
  }
  if (kind !== Kind.nxdomain && kind !== Kind.nodata) throw new CorruptValueError(`unknown kind ${kind}`);
  if (sigCount !== 0) throw new CorruptValueError('signatures on a negative value');
  const negative: CachedNegative = { name, type, kind: kind === Kind.nxdomain ? 'nxdomain' : 'nodata', authority: records, expiresAt, status };
  return { kind: 'negative', ttl, negative };
}

/** Bytes of the record at `at` by its own framing (owner labels + fixed fields + RDLENGTH). */
function wireLength(buf: Buffer, at: number, i: number): number {
  let p = at;
  for (;;) {
    if (p >= buf.length) throw new CorruptValueError(`record ${i}: owner name runs past the end`);
    const len = buf[p]!;
    // We never write compression pointers; a value that has one was not written by us.
    if (len > 63) throw new CorruptValueError(`record ${i}: bad label length ${len}`);
    p += 1 + len;
    if (len === 0) break;
  }
  if (p + 10 > buf.length) throw new CorruptValueError(`record ${i}: truncated fixed fields`);
  const end = p + 10 + buf.readUInt16BE(p + 8);
  if (end > buf.length) throw new CorruptValueError(`record ${i} runs past the end`);
  return end - at;
}

function readRecords(buf: Buffer, n: number): RR[] {
  const out: RR[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const length = wireLength(buf, at, i);
    let rr: RR;
    try {
      rr = record.decode(buf, at);
    } catch (err) {
      throw new CorruptValueError(`undecodable record ${i}: ${(err as Error).message}`);
    }
    // dns-packet reads some RDATA (RRSIG, TXT…) up to what is there: hold it to RDLENGTH.
    if ((record.decode as unknown as { bytes: number }).bytes !== length) throw new CorruptValueError(`record ${i} does not fill its RDLENGTH`);
    at += length;
    out.push(rr);
  }
  if (at !== buf.length) throw new CorruptValueError(`${buf.length - at} trailing bytes`);
  return out;
}
