// Parses a master-file subset (RFC 1035 §5) into a Zone of canonical dns-packet records.

import dnsPacket from 'dns-packet';
import type { RR } from '../../src/dns/message.ts';
import { packetTypeString, typeNumber } from '../../src/dns/message.ts';
import { canonicalName } from '../../src/dns/name.ts';
import { DNSSEC_TYPES, dnssecRecord, PresentationError } from '../../src/dnssec/presentation.ts';

export interface Zone {
  /** Canonical apex: the owner of the SOA (or the origin when the text has none). */
  apex: string;
  records: RR[];
}

export class ZoneSyntaxError extends Error {
  constructor(line: number, message: string) {
    super(`zone line ${line}: ${message}`);
    this.name = 'ZoneSyntaxError';
  }
}

const DEFAULT_TTL = 3600;
const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

// dns-packet decodes one record from wire bytes; the @types package does not declare it.
const answerCodec = (dnsPacket as unknown as { answer: { decode(buf: Buffer, offset?: number): RR } }).answer;

/** Splits one comment-free logical line into tokens; quoted strings keep their quotes. */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '(' || c === ')') {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      out.push(line.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t();'.includes(line[j]!)) j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** Drops a ";" comment and counts parentheses, both outside quoted strings. */
function scanLine(raw: string): { code: string; depthChange: number } {
  let inQuote = false;
  let depthChange = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') i++;
    else if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === ';') return { code: raw.slice(0, i), depthChange };
    else if (!inQuote && c === '(') depthChange++;
    else if (!inQuote && c === ')') depthChange--;
  }
  return { code: raw, depthChange };
}

/** Joins lines so that a parenthesised record (usually SOA) becomes one logical line. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  let depth = 0;
  text.split('\n').forEach((raw, idx) => {
    const { code, depthChange } = scanLine(raw);
    depth += depthChange;
    if (pending) pending.text += ` ${code}`;
    else pending = { text: code, line: idx + 1 };
    if (depth <= 0) {
      depth = 0;
      if (pending.text.trim() !== '') out.push(pending);
      pending = undefined;
    }
  });
  if (pending && pending.text.trim() !== '') out.push(pending);
  return out;
}

function parseTtl(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const m = /^(?:\d+[smhdw])+$/i.exec(token);
  if (!m) return undefined;
  let total = 0;
  for (const part of token.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(part[1]) * TTL_UNITS[part[2]!]!;
  return total;
}

/** RFC 5952 text form (what dns-packet decodes to), or undefined when not an IPv6 address. */
function canonicalIpv6(text: string): string | undefined {
  if (!text.includes(':')) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Decodes a quoted character-string: \" \\ and \DDD escapes (RFC 1035 §5.1). */
function characterString(token: string): Buffer {
  const body = token.startsWith('"') ? token.slice(1, -1) : token;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && /^\d{3}$/.test(body.slice(i + 1, i + 4))) {
      bytes.push(Number(body.slice(i + 1, i + 4)));
      i += 3;
    } else {
      if (body[i] === '\\') i++;
      bytes.push(...Buffer.from(body[i] ?? ''));
    }
  }
  return Buffer.from(bytes);
}

/**
 * Parses zone text. Supports $ORIGIN, $TTL, "@", relative and absolute names, blank owners
 * (previous owner), optional TTL and class in either order, parentheses, ";" comments, the
 * types A AAAA NS CNAME DNAME SOA MX TXT PTR SRV, the DNSSEC types DS DNSKEY RRSIG NSEC NSEC3
 * NSEC3PARAM (RFC 4034 §§2.2–5.3, RFC 5155 §§3.3, 4.3), and RFC 3597 generic rdata (TYPEnnn \# len hex).
 */
export function parseZone(text: string, origin = '.'): Zone {
  let currentOrigin = canonicalName(origin);
  let defaultTtl: number | undefined;
  let lastOwner: string | undefined;
  let lastTtl = DEFAULT_TTL;
  const records: RR[] = [];
  let apex: string | undefined;

  for (const { text: lineText, line } of logicalLines(text)) {
    const fail = (msg: string): never => {
      throw new ZoneSyntaxError(line, msg);
    };
    const absName = (token: string): string => {
      if (token === '@') return currentOrigin;
      if (token.endsWith('.')) return canonicalName(token);
      return canonicalName(currentOrigin === '.' ? `${token}.` : `${token}.${currentOrigin}`);
    };
    const tokens = tokenize(lineText);
    const directive = tokens[0]?.toUpperCase();
    if (directive === '$ORIGIN') {
      currentOrigin = absName(tokens[1] ?? fail('$ORIGIN needs a name'));
      continue;
    }
    if (directive === '$TTL') {
      defaultTtl = parseTtl(tokens[1] ?? '') ?? fail('$TTL needs a number');
      continue;
    }
    if (directive?.startsWith('$')) fail(`unsupported directive ${tokens[0]}`);

    // A line that starts with blank space reuses the previous owner (RFC 1035 §5.1).
    let pos = 0;
    let owner: string;
    if (/^\s/.test(lineText)) owner = lastOwner ?? fail('no previous owner');
    else owner = absName(tokens[pos++]!);
    lastOwner = owner;

    let ttl: number | undefined;
    for (let k = 0; k < 2; k++) {
      const tok = tokens[pos];
      if (tok === undefined) break;
      if (CLASSES.has(tok.toUpperCase())) {
        if (tok.toUpperCase() !== 'IN') fail('only class IN is served');
        pos++;
      } else if (ttl === undefined && parseTtl(tok) !== undefined) {
        ttl = parseTtl(tok);
        pos++;
      }
    }
    const typeToken = tokens[pos++] ?? fail('missing type');
    const type = typeNumber(typeToken) ?? fail(`unknown type ${typeToken}`);
    const rdata = tokens.slice(pos);
    // RFC 2308 §4: $TTL is the default; without it, the last explicit TTL carries over.
    const effectiveTtl = ttl ?? defaultTtl ?? lastTtl;
    if (ttl !== undefined) lastTtl = ttl;

    const rr = buildRecord(owner, type, effectiveTtl, rdata, absName, fail);
    if (rr.type === 'SOA') apex ??= owner;
    records.push(rr);
  }
  return { apex: apex ?? currentOrigin, records };
}

function buildRecord(
  owner: string,
  type: number,
  ttl: number,
  rdata: string[],
  absName: (t: string) => string,
  fail: (m: string) => never,
): RR {
  const at = (i: number): string => rdata[i] ?? fail(`missing rdata field ${i + 1}`);
  const num = (i: number): number => {
    const v = parseTtl(at(i));
    return v ?? fail(`rdata field ${i + 1} is not a number`);
  };
  if (rdata[0] === '\\#') return genericRecord(owner, type, ttl, rdata, fail);
  const typeName = packetTypeString(type);
  if (DNSSEC_TYPES.has(typeName)) return dnssecFromText(owner, ttl, typeName, rdata, absName, fail);
  if (typeName === 'NSEC3PARAM') return nsec3Param(owner, ttl, rdata, num, fail);
  const base = { name: owner, ttl, class: 'IN' as const };
  switch (packetTypeString(type)) {
    case 'A':
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(at(0))) fail(`bad IPv4 address ${at(0)}`);
      return { ...base, type: 'A', data: at(0) };
    case 'AAAA':
      return { ...base, type: 'AAAA', data: canonicalIpv6(at(0)) ?? fail(`bad IPv6 address ${at(0)}`) };
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return { ...base, type: packetTypeString(type) as 'NS', data: absName(at(0)) };
    case 'MX':
      return { ...base, type: 'MX', data: { preference: num(0), exchange: absName(at(1)) } };
    case 'SRV':
      return { ...base, type: 'SRV', data: { priority: num(0), weight: num(1), port: num(2), target: absName(at(3)) } };
    case 'TXT':
      if (rdata.length === 0) fail('TXT needs at least one string');
      return { ...base, type: 'TXT', data: rdata.map(characterString) };
    case 'SOA':
      return {
        ...base,
        type: 'SOA',
        data: {
          mname: absName(at(0)),
          rname: absName(at(1)),
          serial: num(2),
          refresh: num(3),
          retry: num(4),
          expire: num(5),
          minimum: num(6),
        },
      };
    default:
      return fail(`type ${packetTypeString(type)} needs RFC 3597 generic rdata (\\# len hex)`);
  }
}

/** DNSSEC rdata through src/dnssec/presentation.ts; relative signer and next names made absolute. */
function dnssecFromText(owner: string, ttl: number, type: string, rdata: string[], absName: (t: string) => string, fail: (m: string) => never): RR {
  const rd = [...rdata];
  if (type === 'RRSIG' && rd[7] !== undefined) rd[7] = absName(rd[7]);
  if (type === 'NSEC' && rd[0] !== undefined) rd[0] = absName(rd[0]);
  try {
    return dnssecRecord(owner, ttl, type, rd);
  } catch (err) {
    if (err instanceof PresentationError) return fail(err.message);
    throw err;
  }
}

/** NSEC3PARAM (RFC 5155 §4.3): hash algorithm, flags, iterations, salt — kept as raw rdata. */
function nsec3Param(owner: string, ttl: number, rdata: string[], num: (i: number) => number, fail: (m: string) => never): RR {
  const saltText = rdata[3] ?? fail('NSEC3PARAM needs a salt ("-" for none)');
  const salt = saltText === '-' ? Buffer.alloc(0) : Buffer.from(saltText, 'hex');
  const iterations = num(2);
  const data = Buffer.concat([Buffer.from([num(0), num(1), iterations >> 8, iterations & 255, salt.length]), salt]);
  return { name: owner, ttl, class: 'IN', type: 'NSEC3PARAM', data } as unknown as RR;
}

/** RFC 3597 §5: "\# len hex..." — decoded through dns-packet so known types get structured data. */
function genericRecord(owner: string, type: number, ttl: number, rdata: string[], fail: (m: string) => never): RR {
  const len = Number(rdata[1]);
  const hex = rdata.slice(2).join('');
  if (!Number.isInteger(len) || !/^[0-9a-f]*$/i.test(hex) || hex.length !== len * 2) fail('bad generic rdata');
  const rd = Buffer.from(hex, 'hex');
  const wire = Buffer.alloc(11 + rd.length); // root owner (1) + type, class, ttl, rdlength (10)
  wire.writeUInt16BE(type, 1);
  wire.writeUInt16BE(1, 3);
  wire.writeUInt32BE(ttl, 5);
  wire.writeUInt16BE(rd.length, 9);
  rd.copy(wire, 11);
  try {
    const rr = answerCodec.decode(wire);
    const { flush: _flush, ...rest } = rr as RR & { flush?: boolean };
    return { ...rest, name: owner, class: 'IN' } as RR;
  } catch (err) {
    return fail(`generic rdata does not decode: ${(err as Error).message}`);
  }
}

/** Convenience for tests: one record from one line of zone text, relative to `origin`. */
export function rr(line: string, origin = '.'): RR {
  const { records } = parseZone(line, origin);
  if (records.length !== 1) throw new Error(`expected one record in ${JSON.stringify(line)}`);
  return records[0]!;
}
