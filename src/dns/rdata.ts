// Presentation format of decoded records (RFC 1035 §5.1 and each type's RFC), as dig prints them.

import { base32hexEncode } from './base32hex.ts';
import type { RR } from './message.ts';

/** Absolute name with its trailing dot; dns-packet gives names without one. */
export function fqdn(name: string): string {
  return name === '.' || name === '' ? '.' : name.endsWith('.') ? name : `${name}.`;
}

/** RFC 1035 §5.1: a character-string in quotes, with " and \ escaped and non-printables as \DDD. */
function quoted(bytes: Buffer): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${String(b).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

function bytesOf(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** RFC 4034 §3.2: signature times as YYYYMMDDHHmmSS in UTC. */
function sigTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

/** The rdata of one record in presentation form; RFC 3597 `\# len hex` when it has no text form here. */
export function rdataText(rr: RR): string {
  const data: unknown = rr.data;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return String(data);
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return fqdn(String(data));
    case 'MX':
      return `${rr.data.preference} ${fqdn(rr.data.exchange)}`;
    case 'SOA': {
      const s = rr.data;
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'TXT': {
      const parts = Array.isArray(rr.data) ? rr.data : [rr.data];
      return parts.map((p) => quoted(bytesOf(p))).join(' ');
    }
    case 'SRV':
      return `${rr.data.priority ?? 0} ${rr.data.weight ?? 0} ${rr.data.port} ${fqdn(rr.data.target)}`;
    case 'CAA':
      return `${rr.data.flags ?? 0} ${rr.data.tag} ${quoted(Buffer.from(rr.data.value))}`;
    case 'DS':
      return `${rr.data.keyTag} ${rr.data.algorithm} ${rr.data.digestType} ${hex(rr.data.digest)}`;
    case 'DNSKEY':
      return `${rr.data.flags} 3 ${rr.data.algorithm} ${rr.data.key.toString('base64')}`;
    case 'RRSIG': {
      const s = rr.data;
      return `${s.typeCovered} ${s.algorithm} ${s.labels} ${s.originalTTL} ${sigTime(s.expiration)} ${sigTime(s.inception)} ${s.keyTag} ${fqdn(s.signersName)} ${s.signature.toString('base64')}`;
    }
    case 'NSEC':
      return `${fqdn(rr.data.nextDomain)} ${rr.data.rrtypes.join(' ')}`;
    case 'NSEC3': {
      const n = rr.data;
      const salt = n.salt.length === 0 ? '-' : hex(n.salt);
      return `${n.algorithm} ${n.flags} ${n.iterations} ${salt} ${base32hexEncode(n.nextDomain).toUpperCase()} ${n.rrtypes.join(' ')}`;
    }
    case 'SSHFP':
      return `${rr.data.algorithm} ${rr.data.hash} ${rr.data.fingerprint.toUpperCase()}`;
    case 'TLSA':
      return `${rr.data.usage} ${rr.data.selector} ${rr.data.matchingType} ${hex(rr.data.certificate)}`;
    case 'HINFO':
      return `${quoted(Buffer.from(rr.data.cpu))} ${quoted(Buffer.from(rr.data.os))}`;
    default:
      return Buffer.isBuffer(data) ? `\\# ${data.length}${data.length > 0 ? ` ${hex(data)}` : ''}` : JSON.stringify(data);
  }
}
