// Encodes replies to client queries: header, the client's own question bytes, sections, OPT
// with an Extended DNS Error, and truncation to the size the client can take.

import dnsPacket from 'dns-packet';
import { Flag, OPT_CODE_EDE, EDNS_UDP_SIZE } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { HEADER_SIZE, type QueryView } from '../dns/wire.ts';
import type { ExtendedError } from '../resolver/resolution.ts';

/** dns-packet's per-record codec (exported by the library, missing from @types/dns-packet). */
const recordCodec = (dnsPacket as unknown as {
  answer: { encode(rr: RR, buf: Buffer, offset: number): Buffer; encodingLength(rr: RR): number };
}).answer;

const TYPE_OPT = 41;
/** EDNS(0) Padding option code (RFC 7830 §3). */
const OPT_CODE_PADDING = 12;
/** Largest DNS message: the TCP length prefix is 16 bits (RFC 1035 §4.2.2). */
export const MAX_MESSAGE_SIZE = 65_535;

export interface ReplyContent {
  /** Full rcode; values above 15 put their upper 8 bits in the OPT record (RFC 6891 §6.1.3). */
  rcode: number;
  answer: readonly RR[];
  authority: readonly RR[];
  ede: ExtendedError | undefined;
  /** Set AD: the answer validated as secure and the client asked with DO or AD (RFC 6840 §5.8). */
  authentic?: boolean;
}

/**
 * Flags of a reply (RFC 1035 §4.1.1): QR, the client's opcode and RD copied, RA set (we do
 * recurse), CD copied (RFC 4035 §3.2.2), AA clear (not authoritative), AD only when given.
 */
function replyFlags(queryFlags: number, rcode: number, authentic = false): number {
  return Flag.QR | (queryFlags & (0x7800 | Flag.RD | Flag.CD)) | Flag.RA | (authentic ? Flag.AD : 0) | (rcode & 0x0f);
}

/** RFC 6840 §5.8: AD goes only to clients that showed they understand it, by DO or by AD. */
export function wantsAd(view: QueryView): boolean {
  return (view.edns?.dnssecOk ?? false) || (view.flags & Flag.AD) !== 0;
}

/** A header with no question (QDCOUNT 0): for queries whose question andns will not read. */
export function headerOnlyReply(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  query.copy(out, 0, 0, 2);
  out.writeUInt16BE(replyFlags(query.readUInt16BE(2), rcode), 2);
  return out;
}

function optLength(ede: ExtendedError | undefined, extra: Buffer | undefined): number {
  // root name (1) + type, class, ttl, rdlength (10) + EDE option: code, length, info code, text
  return 11 + (ede ? 6 + Buffer.byteLength(ede.text) : 0) + (extra?.length ?? 0);
}

/**
 * OPT pseudo-record (RFC 6891 §6.1.2), with EDE option 15 (RFC 8914 §2) when given and a
 * Padding option of `padding` zero bytes when ≥ 0 (RFC 7830 §3).
 */
function writeOpt(out: Buffer, offset: number, rcode: number, dnssecOk: boolean, ede: ExtendedError | undefined, padding: number, extra: Buffer | undefined): number {
  out[offset] = 0; // root owner
  out.writeUInt16BE(TYPE_OPT, offset + 1);
  out.writeUInt16BE(EDNS_UDP_SIZE, offset + 3);
  out[offset + 5] = rcode >> 4; // extended rcode: the upper 8 of 12 bits
  out[offset + 6] = 0; // EDNS version 0
  out.writeUInt16BE(dnssecOk ? 0x8000 : 0, offset + 7); // RFC 3225 §3: DO is echoed
  let pos = offset + 11;
  if (ede) {
    const textLength = out.write(ede.text, pos + 6, 'utf8');
    out.writeUInt16BE(OPT_CODE_EDE, pos);
    out.writeUInt16BE(2 + textLength, pos + 2);
    out.writeUInt16BE(ede.code, pos + 4);
    pos += 6 + textLength;
  }
  if (extra) pos += extra.copy(out, pos);
  if (padding >= 0) {
    out.writeUInt16BE(OPT_CODE_PADDING, pos);
    out.writeUInt16BE(padding, pos + 2); // the bytes stay zero: Buffer.alloc zero-fills
    pos += 4 + padding;
  }
  out.writeUInt16BE(pos - offset - 11, offset + 9);
  return pos;
}

/**
 * Bytes of the Padding option that bring a `length`-byte reply to a multiple of `block`
 * (RFC 8467 §4.1 block-length padding; the option's own 4-byte header counts), or -1 for none:
 * no block, or the padded reply would not fit `limit` (RFC 7830 §4).
 */
function paddingLength(length: number, block: number, limit: number): number {
  if (block <= 0) return -1;
  const padded = Math.ceil((length + 4) / block) * block;
  return padded <= limit ? padded - length - 4 : -1;
}

/**
 * The reply to `query`, whose question ends at `view.questionEnd`. The question bytes are
 * copied verbatim so the client sees its own case (0x20, draft-vixie-dnsext-dns0x20). An OPT
 * record is added only if the client sent one (RFC 6891 §7). A reply longer than `limit`
 * becomes TC=1 with the question only (RFC 2181 §9), so the client retries over TCP.
 * `padBlock` > 0 (encrypted transports) pads a reply that has an OPT record to a multiple of
 * that many bytes (RFC 7830, RFC 8467). `option` is a whole EDNS option (code, length, data)
 * to add to the OPT record, e.g. the COOKIE option (RFC 7873 §5.2), kept in a truncated reply too.
 */
export function encodeReply(query: Buffer, view: QueryView, content: ReplyContent, limit: number, padBlock = 0, option?: Buffer): Buffer {
  const questionLength = view.questionEnd - HEADER_SIZE;
  const opt = view.edns ? optLength(content.ede, option) : 0;
  const records = content.answer.length + content.authority.length === 0 ? [] : [...content.answer, ...content.authority];
  const sizes = records.map((rr) => recordCodec.encodingLength(rr));
  let length = HEADER_SIZE + questionLength + opt;
  for (const size of sizes) length += size;
  const truncated = length > limit;
  if (truncated) length = HEADER_SIZE + questionLength + (view.edns ? optLength(undefined, option) : 0);
  const padding = view.edns ? paddingLength(length, padBlock, limit) : -1;
  if (padding >= 0) length += 4 + padding;

  const out = Buffer.alloc(length);
  out.writeUInt16BE(view.id, 0);
  out.writeUInt16BE(replyFlags(view.flags, content.rcode, content.authentic === true && wantsAd(view)) | (truncated ? Flag.TC : 0), 2);
  out.writeUInt16BE(1, 4);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, view.questionEnd);
  let pos = view.questionEnd;
  if (!truncated) {
    out.writeUInt16BE(content.answer.length, 6);
    out.writeUInt16BE(content.authority.length, 8);
    records.forEach((rr, i) => {
      recordCodec.encode(rr, out, pos);
      pos += sizes[i]!;
    });
  }
  if (view.edns) {
    out.writeUInt16BE(1, 10);
    pos = writeOpt(out, pos, content.rcode, view.edns.dnssecOk, truncated ? undefined : content.ede, padding, option);
  }
  if (pos !== length) throw new Error(`reply encoded to ${pos} bytes, expected ${length}`);
  return out;
}
