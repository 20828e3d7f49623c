// Prints a reply the way dig does: header with status and flags, OPT pseudo-section with any
// Extended DNS Error, then the QUESTION, ANSWER and AUTHORITY sections in presentation form.

import type dnsPacket from 'dns-packet';
import { OPT_CODE_EDE } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { fqdn, rdataText } from '../dns/rdata.ts';

/** RFC 8914 §5.2 registry names, for the codes a reader is likely to meet. */
const EDE_NAMES: Record<number, string> = {
  0: 'Other', 1: 'Unsupported DNSKEY Algorithm', 2: 'Unsupported DS Digest Type', 3: 'Stale Answer',
  4: 'Forged Answer', 5: 'DNSSEC Indeterminate', 6: 'DNSSEC Bogus', 7: 'Signature Expired',
  8: 'Signature Not Yet Valid', 9: 'DNSKEY Missing', 10: 'RRSIGs Missing', 11: 'No Zone Key Bit Set',
  12: 'NSEC Missing', 13: 'Cached Error', 14: 'Not Ready', 15: 'Blocked', 16: 'Censored', 17: 'Filtered',
  18: 'Prohibited', 19: 'Stale NXDOMAIN Answer', 20: 'Not Authoritative', 21: 'Not Supported',
  22: 'No Reachable Authority', 23: 'Network Error', 24: 'Invalid Data',
};

export interface ExtendedErrorView {
  code: number;
  name: string;
  text: string;
}

type Decoded = dnsPacket.DecodedPacket & { rcode?: string; opcode?: string };
interface OptView {
  type: 'OPT';
  udpPayloadSize: number;
  flags: number;
  ednsVersion?: number;
  options?: { code: number; data: Buffer }[];
}

function optOf(p: Decoded): OptView | undefined {
  return (p.additionals ?? []).find((r) => (r.type as string) === 'OPT') as unknown as OptView | undefined;
}

/** The Extended DNS Error of a reply (RFC 8914 §2: 2-byte info code, then UTF-8 text), if any. */
export function extendedError(p: Decoded): ExtendedErrorView | undefined {
  const option = optOf(p)?.options?.find((o) => o.code === OPT_CODE_EDE);
  if (!option || option.data.length < 2) return undefined;
  const code = option.data.readUInt16BE(0);
  return { code, name: EDE_NAMES[code] ?? 'Unknown', text: option.data.subarray(2).toString('utf8') };
}

function typeColumn(type: string): string {
  return type.startsWith('UNKNOWN_') ? `TYPE${type.slice(8)}` : type;
}

function recordLine(rr: RR): string {
  return `${fqdn(rr.name)}\t${rr.ttl ?? 0}\t${rr.class ?? 'IN'}\t${typeColumn(rr.type)}\t${rdataText(rr)}`;
}

export function presentReply(p: Decoded, elapsedMs: number): string {
  const out: string[] = [];
  const flags = [
    ['qr', p.flag_qr], ['aa', p.flag_aa], ['tc', p.flag_tc], ['rd', p.flag_rd], ['ra', p.flag_ra], ['ad', p.flag_ad], ['cd', p.flag_cd],
  ].filter(([, on]) => on).map(([name]) => name);
  const records = (section: dnsPacket.Answer[] | undefined): RR[] => (section ?? []).filter((r) => (r.type as string) !== 'OPT') as RR[];
  const opt = optOf(p);
  out.push(`;; ->>HEADER<<- opcode: ${p.opcode ?? 'QUERY'}, status: ${p.rcode ?? 'NOERROR'}, id: ${p.id ?? 0}`);
  out.push(
    `;; flags: ${flags.join(' ')}; QUERY: ${p.questions?.length ?? 0}, ANSWER: ${p.answers?.length ?? 0}, ` +
      `AUTHORITY: ${p.authorities?.length ?? 0}, ADDITIONAL: ${p.additionals?.length ?? 0}`,
  );
  if (opt) {
    out.push('', ';; OPT PSEUDOSECTION:');
    out.push(`; EDNS: version: ${opt.ednsVersion ?? 0}, flags:${opt.flags & 0x8000 ? ' do' : ''}; udp: ${opt.udpPayloadSize}`);
    const ede = extendedError(p);
    if (ede) out.push(`; EDE: ${ede.code} (${ede.name})${ede.text ? `: (${ede.text})` : ''}`);
  }
  out.push('', ';; QUESTION SECTION:');
  for (const q of p.questions ?? []) out.push(`;${fqdn(q.name)}\t\t${q.class ?? 'IN'}\t${typeColumn(q.type)}`);
  const sections: [string, RR[]][] = [
    ['ANSWER', records(p.answers)],
    ['AUTHORITY', records(p.authorities)],
    ['ADDITIONAL', records(p.additionals)],
  ];
  for (const [title, list] of sections) {
    if (list.length === 0) continue;
    out.push('', `;; ${title} SECTION:`);
    for (const rr of list) out.push(recordLine(rr));
  }
  out.push('', `;; Query time: ${Math.round(elapsedMs)} msec`, `;; SERVER: andns (in-process resolution)`, '');
  return out.join('\n');
}
