// Builds upstream queries: random ID (RFC 5452 §9.2), optional 0x20 case randomisation of the
// name (draft-vixie-dnsext-dns0x20), EDNS0 with a 1232-byte buffer and DO set.

import { randomBytes, randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { EDNS_UDP_SIZE } from '../dns/constants.ts';
import { packetTypeString } from '../dns/message.ts';
import { OPT_COOKIE } from './cookies.ts';

export interface UpstreamQuery {
  name: string;
  type: number;
  /** Send RD=1 (forwarding) instead of an iterative query. */
  recursionDesired: boolean;
  edns: boolean;
  /** Randomise the case of every letter; the reply must echo it exactly. */
  randomiseCase: boolean;
  /** DNS COOKIE option data (RFC 7873), sent when EDNS is. */
  cookie?: Buffer;
}

export function buildQuery(q: UpstreamQuery): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: randomInt(0, 0x10000),
    flags: q.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name: q.randomiseCase ? randomCase(q.name) : q.name, type: packetTypeString(q.type) as dnsPacket.RecordType, class: 'IN' }],
    additionals: q.edns
      ? [{
          type: 'OPT',
          name: '.',
          udpPayloadSize: EDNS_UDP_SIZE,
          flags: dnsPacket.DNSSEC_OK,
          options: q.cookie ? [{ code: OPT_COOKIE, data: q.cookie }] : [],
        } as unknown as dnsPacket.Answer]
      : [],
  });
}

/** Each ASCII letter upper- or lower-cased by one random bit: ~1 bit of entropy per letter. */
export function randomCase(name: string): string {
  const bits = randomBytes(Math.ceil(name.length / 8));
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const upper = (bits[i >> 3]! >> (i & 7)) & 1;
    out += upper && c >= 'a' && c <= 'z' ? c.toUpperCase() : c;
  }
  return out;
}
