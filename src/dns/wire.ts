// Header and question peeking on raw messages: the first boundary hostile bytes cross,
// before any full decode (STYLE: reject from the header, cite the rule).

import { Flag } from './constants.ts';

export const HEADER_SIZE = 12;
const MAX_NAME_WIRE = 255; // RFC 1035 §3.1
const TYPE_OPT = 41;

export interface EdnsView {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

/** What the server needs from a client query without decoding it whole. */
export interface QueryView {
  id: number;
  flags: number;
  opcode: number;
  qdcount: number;
  qname: string; // canonical (lower case, no trailing dot)
  qtype: number;
  qclass: number;
  /** Offset just past the question: bytes [12, questionEnd) are echoed verbatim (0x20 case). */
  questionEnd: number;
  edns: EdnsView | undefined;
}

export type PeekResult =
  | { ok: true; query: QueryView }
  /** `drop`: too short to carry an ID, or a response: answer nothing (RFC 1035 §4.1.1). */
  | { ok: false; action: 'drop' }
  | { ok: false; action: 'formerr'; id: number; flags: number; reason: string };

export class WireError extends Error {}

/**
 * Reads a (possibly compressed) name at `offset`. Returns its canonical text and the offset
 * after it in the original stream. Pointers must go strictly backwards (no loops); with
 * `pointers` false any pointer is an error. Any octet may stand in a label (RFC 2181 §11: names
 * are octets, not text): letters are lower-cased (RFC 4343), printable ASCII other than "." and
 * "\" stays as it is, every other octet is written \DDD (RFC 1035 §5.1), so the text names one
 * octet string and no other.
 */
export function readName(buf: Buffer, offset: number, pointers = true): { name: string; end: number } {
  const parts: string[] = [];
  let pos = offset;
  let end = -1;
  let wireLength = 1;
  let limit = offset; // a pointer must point before the label that holds it
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (end === -1) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (!pointers) throw new WireError('compression pointer in the question');
      if (pos + 1 >= buf.length) throw new WireError('truncated compression pointer');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= limit) throw new WireError('compression pointer does not point backwards');
      if (end === -1) end = pos + 2;
      pos = target;
      limit = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('unknown label type');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the message');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_WIRE) throw new WireError('name longer than 255 octets');
    let label = '';
    for (let i = pos + 1; i <= pos + len; i++) {
      let c = buf[i]!;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) {
        label += c < 10 ? `\\00${c}` : c < 100 ? `\\0${c}` : `\\${c}`;
        continue;
      }
      if (c >= 0x41 && c <= 0x5a) c += 0x20; // RFC 4343: compare case-insensitively
      label += String.fromCharCode(c);
    }
    parts.push(label);
    pos += len + 1;
  }
  return { name: parts.length === 0 ? '.' : parts.join('.'), end };
}

/** True when a canonical name holds an octet written \DDD (see readName). */
export function hasEscapedOctet(name: string): boolean {
  return name.includes('\\');
}

/** Skips one resource record starting at `offset`; returns its type, class, ttl, where its RDATA starts, and the end. */
function skipRecord(buf: Buffer, offset: number): { type: number; klass: number; ttl: number; owner: string; rdStart: number; end: number } {
  const { name, end } = readName(buf, offset);
  if (end + 10 > buf.length) throw new WireError('record header runs past the message');
  const type = buf.readUInt16BE(end);
  const klass = buf.readUInt16BE(end + 2);
  const ttl = buf.readUInt32BE(end + 4);
  const rdlength = buf.readUInt16BE(end + 8);
  const rdEnd = end + 10 + rdlength;
  if (rdEnd > buf.length) throw new WireError('rdata runs past the message');
  return { type, klass, ttl, owner: name, rdStart: end + 10, end: rdEnd };
}

/** EDNS option COOKIE (RFC 7873 §4). */
const OPT_COOKIE = 10;

/**
 * Peeks at a client query: header, the single question, and the OPT record if any.
 * Rules: too short for a header or QR=1 → drop (never answer a response: loops);
 * QDCOUNT ≠ 1 or an unparsable question → FORMERR (RFC 1035 §4.1.2 allows one in practice);
 * a compression pointer in the question → FORMERR (RFC 1035 §4.1.4: a pointer names a prior
 * occurrence of a name, and the question's name is the first in a query: there is none);
 * more than one OPT, or an OPT not owned by the root → FORMERR (RFC 6891 §6.1.1);
 * OPT options that run past the record → FORMERR (RFC 6891 §6.1.2);
 * a COOKIE option of a length other than 8 or 16..40 → FORMERR (RFC 7873 §5.2.2);
 * bytes after the last record the counts announce → FORMERR (RFC 1035 §4.1: a message is its
 * header and the four sections the counts describe; anything else is not part of it, and
 * accepting it lets the same query take many byte forms).
 */
export function peekQuery(buf: Buffer): PeekResult {
  if (buf.length < HEADER_SIZE) return { ok: false, action: 'drop' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & Flag.QR) return { ok: false, action: 'drop' };
  const formerr = (reason: string): PeekResult => ({ ok: false, action: 'formerr', id, flags, reason });
  const qdcount = buf.readUInt16BE(4);
  if (qdcount !== 1) return formerr(`QDCOUNT is ${qdcount}, not 1`);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  try {
    const { name, end } = readName(buf, HEADER_SIZE, false);
    if (end + 4 > buf.length) return formerr('question runs past the message');
    const qtype = buf.readUInt16BE(end);
    const qclass = buf.readUInt16BE(end + 2);
    const questionEnd = end + 4;
    let pos = questionEnd;
    for (let i = 0; i < ancount + nscount; i++) pos = skipRecord(buf, pos).end;
    let edns: EdnsView | undefined;
    for (let i = 0; i < arcount; i++) {
      const rr = skipRecord(buf, pos);
      if (rr.type === TYPE_OPT) {
        if (edns) return formerr('more than one OPT record');
        if (rr.owner !== '.') return formerr('OPT record not owned by the root');
        const bad = checkOptions(buf, rr.rdStart, rr.end);
        if (bad) return formerr(bad);
        edns = { udpSize: rr.klass, version: (rr.ttl >>> 16) & 0xff, dnssecOk: (rr.ttl & 0x8000) !== 0 };
      }
      pos = rr.end;
    }
    if (pos !== buf.length) return formerr(`${buf.length - pos} bytes after the last record`);
    return {
      ok: true,
      query: { id, flags, opcode: (flags >> 11) & 0xf, qdcount, qname: name, qtype, qclass, questionEnd, edns },
    };
  } catch (err) {
    if (err instanceof WireError) return formerr(err.message);
    throw err;
  }
}

/** Why the options in OPT RDATA [from, to) are malformed, or undefined when they are not. */
function checkOptions(buf: Buffer, from: number, to: number): string | undefined {
  let p = from;
  while (p < to) {
    if (p + 4 > to) return 'EDNS option header runs past its record';
    const code = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (p + 4 + len > to) return 'EDNS option runs past its record';
    // RFC 7873 §5.2.2: a client cookie alone (8) or with a server cookie of 8 to 32 octets.
    if (code === OPT_COOKIE && len !== 8 && (len < 16 || len > 40)) return `COOKIE option of ${len} octets`;
    p += 4 + len;
  }
  return undefined;
}

/**
 * The data of EDNS option `code` in a message's OPT record (RFC 6891 §6.1.2), or undefined
 * when there is no OPT or no such option. Throws WireError on a malformed message.
 */
export function ednsOption(buf: Buffer, code: number): Buffer | undefined {
  if (buf.length < HEADER_SIZE) throw new WireError('message shorter than a header');
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let pos = HEADER_SIZE;
  for (let i = 0; i < counts[0]!; i++) pos = questionEndAt(buf, pos);
  for (let i = 0; i < counts[1]! + counts[2]!; i++) pos = skipRecord(buf, pos).end;
  for (let i = 0; i < counts[3]!; i++) {
    const rr = skipRecord(buf, pos);
    if (rr.type === TYPE_OPT) {
      const rdStart = rdataStart(buf, pos);
      for (let p = rdStart; p + 4 <= rr.end; ) {
        const c = buf.readUInt16BE(p);
        const len = buf.readUInt16BE(p + 2);
        if (p + 4 + len > rr.end) throw new WireError('EDNS option runs past its record');
        if (c === code) return buf.subarray(p + 4, p + 4 + len);
        p += 4 + len;
      }
      return undefined;
    }
    pos = rr.end;
  }
  return undefined;
}

function rdataStart(buf: Buffer, recordStart: number): number {
  return readName(buf, recordStart).end + 10;
}

function questionEndAt(buf: Buffer, offset: number): number {
  const { end } = readName(buf, offset);
  if (end + 4 > buf.length) throw new WireError('question runs past the message');
  return end + 4;
}

/** Byte range of the question of a message whose question starts uncompressed at offset 12. */
export function questionEnd(buf: Buffer): number {
  const { end } = readName(buf, HEADER_SIZE);
  if (end + 4 > buf.length) throw new WireError('question runs past the message');
  return end + 4;
}

/**
 * RFC 5452 §3: accept a reply only if it answers our query — same ID, QR set, one question,
 * and the question bytes identical to what we sent (case-exact, so 0x20 randomisation holds).
 * Address and port are checked by the transport that received it.
 */
export function replyMatches(query: Buffer, reply: Buffer): boolean {
  return matchQuestion(query, reply, true);
}

/** Like replyMatches, but the question's letters may differ in case (a server without 0x20 echo). */
export function replyMatchesIgnoringCase(query: Buffer, reply: Buffer): boolean {
  return matchQuestion(query, reply, false);
}

function matchQuestion(query: Buffer, reply: Buffer, exactCase: boolean): boolean {
  if (reply.length < HEADER_SIZE || query.length < HEADER_SIZE) return false;
  if (reply[0] !== query[0] || reply[1] !== query[1]) return false;
  if ((reply.readUInt16BE(2) & Flag.QR) === 0) return false;
  if (reply.readUInt16BE(4) !== 1) {
    // A FORMERR/NOTIMP reply may legitimately carry no question; accept it only as an error.
    return reply.readUInt16BE(4) === 0 && (reply[3]! & 0x0f) !== 0;
  }
  let qEnd: number;
  try {
    qEnd = questionEnd(query);
  } catch {
    return false;
  }
  if (reply.length < qEnd) return false;
  if (exactCase) return reply.compare(query, HEADER_SIZE, qEnd, HEADER_SIZE, qEnd) === 0;
  for (let i = HEADER_SIZE; i < qEnd; i++) {
    if (asciiLower(query[i]!) !== asciiLower(reply[i]!)) return false;
  }
  return true;
}

function asciiLower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}
