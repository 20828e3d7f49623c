// Presentation (zone-file) form of records, as dig prints them (RFC 1035 §5.1, RFC 3597).

import type { RR } from './message.ts';
import { absolute } from './name.ts';

/** RDATA in presentation form. Names are printed without the trailing dot (canonical form). */
export function presentRdata(rr: RR): string {
  const d = rr.data as unknown;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return String(d);
    case 'MX': {
      const mx = d as { preference?: number; exchange: string };
      return `${mx.preference ?? 0} ${mx.exchange}`;
    }
    case 'TXT': {
      const parts = (Array.isArray(d) ? d : [d]) as (Buffer | string)[];
      return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('latin1') : p)).join('');
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
      return `${s.mname} ${s.rname} ${s.serial ?? 0} ${s.refresh ?? 0} ${s.retry ?? 0} ${s.expire ?? 0} ${s.minimum ?? 0}`;
    }
    case 'SRV': {
      const s = d as { priority?: number; weight?: number; port: number; target: string };
      return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${s.target}`;
    }
    default:
      if (Buffer.isBuffer(d)) return `\\# ${d.length}${d.length ? ' ' + d.toString('hex') : ''}`;
      return JSON.stringify(d, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('base64') : v));
  }
}

/** A whole record as one dig-style line: owner TTL class type rdata. */
export function presentRecord(rr: RR): string {
  const rdata = rr.type === 'TXT' ? quoteTxt(rr) : withDots(rr);
  return `${absolute(rr.name)}\t${rr.ttl ?? 0}\t${rr.class ?? 'IN'}\t${rr.type}\t${rdata}`;
}

function quoteTxt(rr: RR): string {
  const parts = (Array.isArray(rr.data) ? rr.data : [rr.data]) as (Buffer | string)[];
  return parts.map((p) => `"${(Buffer.isBuffer(p) ? p.toString('latin1') : p).replace(/["\\]/g, '\\$&')}"`).join(' ');
}

/** Names inside RDATA get their trailing dot back for display. */
function withDots(rr: RR): string {
  const text = presentRdata(rr);
  switch (rr.type) {
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return absolute(text);
    case 'MX':
    case 'SRV': {
      const fields = text.split(' ');
      fields[fields.length - 1] = absolute(fields[fields.length - 1]!);
      return fields.join(' ');
    }
    case 'SOA': {
      const [m, r, ...rest] = text.split(' ');
      return [absolute(m!), absolute(r!), ...rest].join(' ');
    }
    default:
      return text;
  }
}
