// Presentation (zone-file) form of the DNSSEC record types: DS, DNSKEY, RRSIG, NSEC, NSEC3.
// Used for trust anchors (RFC 4034 §§2.2, 3.2, 4.2, 5.3; RFC 5155 §3.3) and test data.

import { base32hexDecodeOrUndefined } from '../dns/base32hex.ts';
import type { RR } from '../dns/message.ts';
import { packetTypeString, typeNumber } from '../dns/message.ts';
import { canonicalName } from '../dns/name.ts';

export class PresentationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresentationError';
  }
}

export const DNSSEC_TYPES = new Set(['DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3']);

/**
 * Logical records of a master file: comments stripped, parenthesised continuations joined,
 * split into tokens. Absolute names only (no $ORIGIN handling): enough for anchors and
 * signer output, which are written fully qualified.
 */
export function logicalRecords(text: string): string[][] {
  const out: string[][] = [];
  let pending: string[] = [];
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '');
    for (const ch of line) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    pending.push(...line.replace(/[()]/g, ' ').split(/\s+/).filter((t) => t !== ''));
    if (depth <= 0) {
      depth = 0;
      if (pending.length > 0) out.push(pending);
      pending = [];
    }
  }
  if (pending.length > 0) out.push(pending);
  return out;
}

/** Splits "owner [ttl] [class] type rdata..." (TTL and class in either order). */
export function splitRecord(tokens: string[]): { owner: string; ttl: number | undefined; type: string; rdata: string[] } {
  const owner = tokens[0];
  if (owner === undefined) throw new PresentationError('empty record');
  let i = 1;
  let ttl: number | undefined;
  for (let k = 0; k < 2 && i < tokens.length; k++) {
    const t = tokens[i]!;
    if (/^(IN|CH|HS)$/i.test(t)) i++;
    else if (/^\d+$/.test(t) && ttl === undefined) {
      ttl = Number(t);
      i++;
    }
  }
  const type = tokens[i]?.toUpperCase();
  if (type === undefined) throw new PresentationError(`no type in "${tokens.join(' ')}"`);
  return { owner: canonicalName(owner), ttl, type, rdata: tokens.slice(i + 1) };
}

function num(token: string | undefined, what: string, max: number): number {
  if (token === undefined || !/^\d+$/.test(token) || Number(token) > max) throw new PresentationError(`bad ${what}: ${token}`);
  return Number(token);
}

/** RRSIG times: YYYYMMDDHHmmSS in UTC, or a plain number of seconds (RFC 4034 §3.2). */
export function parseSigTime(token: string | undefined): number {
  if (token && /^\d{14}$/.test(token)) {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(token)!;
    const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    return (ms / 1000) >>> 0; // the field is a serial number modulo 2^32 (RFC 4034 §3.1.5)
  }
  return num(token, 'RRSIG time', 0xffffffff);
}

function typeList(tokens: string[]): string[] {
  return tokens.map((t) => {
    const n = typeNumber(t);
    if (n === undefined) throw new PresentationError(`unknown type ${t} in bitmap`);
    return packetTypeString(n);
  });
}

const b64 = (tokens: string[]): Buffer => Buffer.from(tokens.join(''), 'base64');

/**
 * Algorithm mnemonics (RFC 4034 Appendix A.1, RFC 5155 §2, RFC 5702, RFC 6605, RFC 8080):
 * presentation form may give the mnemonic instead of the number (RFC 4034 §5.3, §2.2).
 */
const ALGORITHM_MNEMONICS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, 'DSA-NSEC3-SHA1': 6, 'RSASHA1-NSEC3-SHA1': 7, RSASHA256: 8, RSASHA512: 10,
  'ECC-GOST': 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16, INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
};

function algorithm(token: string | undefined): number {
  const mnemonic = token === undefined ? undefined : ALGORITHM_MNEMONICS[token.toUpperCase()];
  return mnemonic ?? num(token, 'algorithm', 255);
}

/** Decodes the RDATA of one DNSSEC type from presentation tokens into a dns-packet record. */
export function dnssecRecord(owner: string, ttl: number, type: string, rd: string[]): RR {
  const base = { name: owner, ttl, class: 'IN' as const };
  switch (type) {
    case 'DS':
      return {
        ...base,
        type: 'DS',
        data: {
          keyTag: num(rd[0], 'key tag', 0xffff),
          algorithm: algorithm(rd[1]),
          digestType: num(rd[2], 'digest type', 255),
          digest: Buffer.from(rd.slice(3).join(''), 'hex'),
        },
      };
    case 'DNSKEY':
      if (rd[1] !== '3') throw new PresentationError(`DNSKEY protocol must be 3 (RFC 4034 §2.1.2), got ${rd[1]}`);
      return { ...base, type: 'DNSKEY', data: { flags: num(rd[0], 'flags', 0xffff), algorithm: algorithm(rd[2]), key: b64(rd.slice(3)) } };
    case 'RRSIG': {
      const covered = typeNumber(rd[0] ?? '');
      if (covered === undefined) throw new PresentationError(`bad type covered ${rd[0]}`);
      return {
        ...base,
        type: 'RRSIG',
        data: {
          typeCovered: packetTypeString(covered),
          algorithm: algorithm(rd[1]),
          labels: num(rd[2], 'labels', 255),
          originalTTL: num(rd[3], 'original TTL', 0xffffffff),
          expiration: parseSigTime(rd[4]),
          inception: parseSigTime(rd[5]),
          keyTag: num(rd[6], 'key tag', 0xffff),
          signersName: canonicalName(rd[7] ?? '.'),
          signature: b64(rd.slice(8)),
        },
      };
    }
    case 'NSEC':
      // RFC 6840 §5.1: the next name keeps its case (it is not canonicalised for signing).
      return { ...base, type: 'NSEC', data: { nextDomain: stripDot(rd[0] ?? '.'), rrtypes: typeList(rd.slice(1)) } };
    case 'NSEC3':
      return {
        ...base,
        type: 'NSEC3',
        data: {
          algorithm: num(rd[0], 'hash algorithm', 255),
          flags: num(rd[1], 'flags', 255),
          iterations: num(rd[2], 'iterations', 0xffff),
          salt: rd[3] === '-' ? Buffer.alloc(0) : Buffer.from(rd[3] ?? '', 'hex'),
          nextDomain: base32hexDecode(rd[4] ?? ''),
          rrtypes: typeList(rd.slice(5)),
        },
      };
    default:
      throw new PresentationError(`${type} is not a DNSSEC type handled here`);
  }
}

/** base32hex text to bytes; throws PresentationError on a bad character. */
export function base32hexDecode(text: string): Buffer {
  const b = base32hexDecodeOrUndefined(text);
  if (!b) throw new PresentationError(`bad base32hex ${text}`);
  return b;
}

function stripDot(name: string): string {
  return name === '.' || name === '' ? '.' : name.replace(/\.$/, '');
}
