// The JSON API as Google and Cloudflare serve it (`application/dns-json`): query parameters
// become a DNS query for the pipeline, and the reply's content becomes the JSON document.

import dnsPacket from 'dns-packet';
import { EDNS_DO, EDNS_UDP_SIZE, Flag } from '../dns/constants.ts';
import { packetTypeString, rrType, typeNumber, type RR } from '../dns/message.ts';
import { fqdn, rdataText } from '../dns/rdata.ts';
import type { ReplyContent } from '../server/reply.ts';

export const DNS_JSON = 'application/dns-json';

export type JsonQuery = { ok: true; message: Buffer; name: string; type: number } | { ok: false; error: string };

/** RFC 1035 §2.3.4 limits, in text: labels of 1..63 octets, 253 characters without the final dot. */
function nameProblem(name: string): string | undefined {
  const bare = name.endsWith('.') && name !== '.' ? name.slice(0, -1) : name;
  if (bare === '.') return undefined;
  if (bare.length === 0 || bare.length > 253) return 'name must be 1 to 253 characters';
  // Printable ASCII without space or backslash, as andns's wire reader accepts (wire.ts readName).
  if (!/^[\x21-\x7e]+$/.test(bare) || bare.includes('\\')) return 'name holds characters andns does not accept';
  if (bare.split('.').some((l) => l.length < 1 || l.length > 63)) return 'each label must be 1 to 63 characters';
  return undefined;
}

/** `do`/`cd` flags: Google takes 1/true, Cloudflare true; absent, empty, 0 or false is off. */
function flag(value: string | null): boolean {
  return value !== null && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** `type` as a mnemonic (AAAA, TYPE65) or a number (28); A when absent, as both services do. */
function queryType(value: string | null): number | undefined {
  if (value === null || value === '') return 1;
  if (/^\d{1,5}$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= 0xffff ? n : undefined;
  }
  return typeNumber(value);
}

/**
 * The query the JSON parameters ask: ID 0 and RD as DoH clients send (RFC 8484 §4.1), CD from
 * `cd`, and an OPT record so that the DO bit (`do`) and Extended DNS Errors can travel.
 */
export function jsonQuery(params: URLSearchParams): JsonQuery {
  const name = params.get('name');
  if (name === null || name === '') return { ok: false, error: 'missing name parameter' };
  const problem = nameProblem(name);
  if (problem) return { ok: false, error: `invalid name: ${problem}` };
  const type = queryType(params.get('type'));
  if (type === undefined) return { ok: false, error: `invalid type: ${params.get('type')}` };
  const message = dnsPacket.encode({
    id: 0,
    flags: Flag.RD | (flag(params.get('cd')) ? Flag.CD : 0),
    questions: [{ name: name === '.' ? '.' : name.replace(/\.$/, ''), type: packetTypeString(type) as dnsPacket.RecordType, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: flag(params.get('do')) ? EDNS_DO : 0, flag_do: flag(params.get('do')), options: [] }],
  } as dnsPacket.Packet);
  return { ok: true, message, name, type };
}

interface JsonRecord {
  name: string;
  type: number;
  TTL: number;
  data: string;
}

function record(rr: RR): JsonRecord {
  return { name: fqdn(rr.name), type: rrType(rr), TTL: rr.ttl ?? 0, data: rdataText(rr) };
}

/**
 * The document for a reply: header bits read from the reply as sent, the question as asked, the
 * answer and authority sections in presentation form (sections left out when empty, as Google
 * does), and an Extended DNS Error (RFC 8914) as `Comment`.
 */
export function jsonAnswer(reply: Buffer, content: ReplyContent, qname: string, qtype: number): string {
  const flags = reply.readUInt16BE(2);
  const doc: Record<string, unknown> = {
    Status: content.rcode,
    TC: (flags & Flag.TC) !== 0,
    RD: (flags & Flag.RD) !== 0,
    RA: (flags & Flag.RA) !== 0,
    AD: (flags & Flag.AD) !== 0,
    CD: (flags & Flag.CD) !== 0,
    Question: [{ name: fqdn(qname), type: qtype }],
  };
  if (content.answer.length > 0) doc['Answer'] = content.answer.map(record);
  if (content.authority.length > 0) doc['Authority'] = content.authority.map(record);
  if (content.ede) doc['Comment'] = `EDE ${content.ede.code}: ${content.ede.text}`;
  return JSON.stringify(doc);
}
