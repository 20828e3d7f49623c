// Response-rate limiting for UDP (as BIND's RRL and Knot's rrl module do): a token bucket per
// client prefix (/24, /56) and response kind, answers also per question; a limited response is
// dropped, except every slip-th one, which goes out small so that a real client retries (TC=1:
// over TCP; BADCOOKIE: with the cookie that exempts it). Reflection then gains an attacker
// nothing, and the check allocates nothing (it runs on the hot path).

import { Flag } from '../dns/constants.ts';
import { HEADER_SIZE } from '../dns/wire.ts';
import { wordMask } from './address.ts';
import type { TokenTable } from './buckets.ts';
import { RCODE_BADCOOKIE } from './cookies.ts';
import type { RateLimitOptions } from './options.ts';

export const Kind = { ANSWER: 0, NODATA: 1, NXDOMAIN: 2, ERROR: 3 } as const;
export const KIND_NAMES = ['answer', 'nodata', 'nxdomain', 'error'] as const;

export const Verdict = { SEND: 0, DROP: 1, SLIP: 2 } as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

/** Tag words of the table: kind, family; client-limits.ts uses tags from 16 up. */
function tagOf(kind: number, family: 4 | 6): number {
  return 1 + kind + (family === 6 ? 8 : 0);
}

export class ResponseRateLimiter {
  private readonly table: TokenTable;
  private readonly rates: Float64Array;
  private readonly slipEvery: number;
  private readonly v4Mask: number;
  private readonly v6Masks: Uint32Array;
  /** The kind of the last response judged (for counters), and how many of each verdict. */
  lastKind = 0;
  readonly counts = { dropped: 0, slipped: 0 };

  constructor(options: RateLimitOptions, table: TokenTable) {
    this.table = table;
    this.rates = Float64Array.from([options.responsesPerSecond, options.nodataPerSecond, options.nxdomainsPerSecond, options.errorsPerSecond]);
    this.slipEvery = options.slip;
    this.v4Mask = wordMask(options.ipv4PrefixLength);
    this.v6Masks = Uint32Array.from([wordMask(options.ipv6PrefixLength), wordMask(options.ipv6PrefixLength - 32)]);
  }

  rateOfKind(kind: number): number {
    return this.rates[kind] ?? 0;
  }

  /** SEND, DROP or SLIP for `reply`, about to go to the client at (family, words). */
  judge(reply: Buffer, family: 4 | 6, words: Uint32Array, now: number): VerdictCode {
    const kind = classify(reply);
    this.lastKind = kind;
    const rate = this.rates[kind]!;
    if (rate <= 0) return Verdict.SEND;
    // Answers and NODATA count per question (BIND: "identical responses"); NXDOMAIN and errors
    // per prefix alone, so a random-subdomain or garbage flood shares one bucket.
    const question = kind === Kind.ANSWER || kind === Kind.NODATA ? questionHash(reply) : 0;
    const a = family === 4 ? (words[0]! & this.v4Mask) >>> 0 : (words[0]! & this.v6Masks[0]!) >>> 0;
    const b = family === 4 ? 0 : (words[1]! & this.v6Masks[1]!) >>> 0;
    const tag = tagOf(kind, family);
    const slot = this.table.slot(a, b, question, tag, rate, now);
    if (this.table.take(slot, rate, rate, now)) return Verdict.SEND;
    const n = ++this.table.limited[slot]!;
    if (this.slipEvery > 0 && n % this.slipEvery === 0) {
      this.counts.slipped++;
      return Verdict.SLIP;
    }
    this.counts.dropped++;
    return Verdict.DROP;
  }
}

/** The response kind from the reply's header (RFC 1035 §4.1.1 rcode, answer count, TC). */
export function classify(reply: Buffer): number {
  const flags = reply.readUInt16BE(2);
  const rcode = flags & 0x0f;
  if (rcode === 0) return (flags & Flag.TC) !== 0 || reply.readUInt16BE(6) > 0 ? Kind.ANSWER : Kind.NODATA;
  if (rcode === 3) return Kind.NXDOMAIN;
  return Kind.ERROR;
}

/** FNV-1a over the question's name (case-folded) and type, read in place; 0 without one. */
export function questionHash(reply: Buffer): number {
  if (reply.length <= HEADER_SIZE || reply.readUInt16BE(4) !== 1) return 0;
  let h = 0x811c9dc5;
  let pos = HEADER_SIZE;
  for (let labels = 0; labels < 128; labels++) {
    if (pos >= reply.length) return h >>> 0;
    const len = reply[pos]!;
    if (len === 0 || (len & 0xc0) !== 0) break;
    for (let i = pos; i <= pos + len && i < reply.length; i++) {
      let c = reply[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      h = Math.imul(h ^ c, 0x01000193);
    }
    pos += len + 1;
  }
  if (pos + 3 <= reply.length) {
    h = Math.imul(h ^ reply[pos + 1]!, 0x01000193);
    h = Math.imul(h ^ reply[pos + 2]!, 0x01000193);
  }
  return h >>> 0 || 1;
}

/**
 * The small reply a limited query gets on slip: header and question, no records, TC=1 so the
 * client asks again over TCP (BIND RRL "slip"); with `cookie` (the client sent one) BADCOOKIE
 * and a fresh server cookie instead, so its next query carries a cookie that exempts it
 * (RFC 7873 §5.2.3). An OPT record only if the query had one (RFC 6891 §7).
 */
export function slipReply(query: Buffer, questionEnd: number, edns: boolean, dnssecOk: boolean, cookie: Buffer | undefined): Buffer {
  const optionLength = edns && cookie ? cookie.length : 0;
  const out = Buffer.alloc(questionEnd + (edns ? 11 + optionLength : 0));
  query.copy(out, 0, 0, questionEnd);
  const flags = query.readUInt16BE(2);
  const badCookie = edns && cookie !== undefined;
  const rcode = badCookie ? RCODE_BADCOOKIE : 0;
  out.writeUInt16BE(Flag.QR | (flags & (0x7800 | Flag.RD | Flag.CD)) | Flag.RA | (badCookie ? 0 : Flag.TC) | (rcode & 0x0f), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(edns ? 1 : 0, 10);
  if (edns) {
    const p = questionEnd;
    out[p] = 0;
    out.writeUInt16BE(41, p + 1);
    out.writeUInt16BE(1232, p + 3);
    out[p + 5] = rcode >> 4;
    out[p + 6] = 0;
    out.writeUInt16BE(dnssecOk ? 0x8000 : 0, p + 7);
    out.writeUInt16BE(optionLength, p + 9);
    if (cookie && optionLength > 0) cookie.copy(out, p + 11);
  }
  return out;
}
