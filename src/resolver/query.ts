// Builds upstream queries: random ID (RFC 5452 §9.2), EDNS0 with a 1232-byte buffer and DO set.

import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { EDNS_UDP_SIZE } from '../dns/constants.ts';
import { packetTypeString } from '../dns/message.ts';

export interface UpstreamQuery {
  name: string;
  type: number;
  /** Send RD=1 (forwarding) instead of an iterative query. */
  recursionDesired: boolean;
  edns: boolean;
}

export function buildQuery(q: UpstreamQuery): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: randomInt(0, 0x10000),
    flags: q.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name: q.name, type: packetTypeString(q.type) as dnsPacket.RecordType, class: 'IN' }],
    additionals: q.edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer]
      : [],
  });
}
