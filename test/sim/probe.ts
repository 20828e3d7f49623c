// Query building and reply decoding for tests that talk to simulated servers.

import dnsPacket from 'dns-packet';
import type { RR } from '../../src/dns/message.ts';

export interface ProbeOptions {
  id?: number;
  /** Advertise EDNS0 with this UDP size (RFC 6891); omit for a classic 512-octet client. */
  udpSize?: number;
  dnssecOk?: boolean;
}

/** A query for `name` (case kept as given, so 0x20 tests can mix case) and `type`. */
export function makeQuery(name: string, type: string, o: ProbeOptions = {}): Buffer {
  const opt = { type: 'OPT' as const, name: '.', udpPayloadSize: o.udpSize ?? 1232, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 };
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: 0,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals: o.udpSize !== undefined || o.dnssecOk ? [opt as unknown as RR] : [],
  });
}

export interface DecodedReply {
  id: number;
  rcode: string;
  aa: boolean;
  tc: boolean;
  answers: RR[];
  authorities: RR[];
  /** Additional records without the OPT pseudo-record. */
  additionals: RR[];
  opt: { udpPayloadSize: number; flags: number } | undefined;
}

export function decodeReply(buf: Buffer): DecodedReply {
  // dns-packet decodes rcode, and OPT into the additional section; @types omits both.
  const p = dnsPacket.decode(buf) as dnsPacket.DecodedPacket & { rcode: string };
  const all = (p.additionals ?? []) as unknown as (RR & { udpPayloadSize?: number; flags?: number })[];
  const opt = all.find((r) => (r.type as string) === 'OPT') as { udpPayloadSize: number; flags: number } | undefined;
  return {
    id: p.id ?? 0,
    rcode: p.rcode,
    aa: p.flag_aa,
    tc: p.flag_tc,
    answers: (p.answers ?? []) as RR[],
    authorities: (p.authorities ?? []) as RR[],
    additionals: all.filter((r) => (r.type as string) !== 'OPT'),
    opt,
  };
}

/** "owner TYPE rdata" lines, handy for deepEqual assertions. */
export function show(records: RR[]): string[] {
  return records.map((r) => `${r.name} ${r.type} ${rdataText(r)}`);
}

/** Presentation rdata as the catalogue writes it: names canonical without trailing dot. */
export function rdataText(r: RR): string {
  const d = r.data as unknown;
  switch (r.type) {
    case 'MX':
      return `${r.data.preference} ${r.data.exchange.toLowerCase()}`;
    case 'TXT':
      return (Array.isArray(d) ? d : [d]).map((x) => Buffer.from(x as Buffer).toString()).join('');
    case 'SOA':
      return `${r.data.mname} ${r.data.rname} ${r.data.serial} ${r.data.minimum}`;
    case 'SRV':
      return `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target}`;
    default:
      return typeof d === 'string' ? d.toLowerCase() : JSON.stringify(d);
  }
}
