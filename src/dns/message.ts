// Typed access to dns-packet, the codec for everything off the cache-hit path.

import dnsPacket from 'dns-packet';
import { WireError } from './wire.ts';

/** A resource record (OPT is not one: it is read from the raw message, see wire.ts). */
export type RR = Exclude<dnsPacket.Answer, dnsPacket.OptAnswer>;
export type Message = dnsPacket.Packet;
export type Question = dnsPacket.Question;

export function isRecord(a: dnsPacket.Answer): a is RR {
  return a.type !== 'OPT';
}

/** The records of a decoded section, without OPT pseudo-records. */
export function recordsOf(section: dnsPacket.Answer[] | undefined): RR[] {
  return (section ?? []).filter(isRecord);
}

/** Decodes a whole message; any malformation becomes a WireError (never a crash). */
export function decodeMessage(buf: Buffer): Message {
  try {
    return dnsPacket.decode(buf);
  } catch (err) {
    throw new WireError(`undecodable message: ${(err as Error).message}`);
  }
}

export function encodeMessage(msg: Message): Buffer {
  return dnsPacket.encode(msg);
}

/** Type mnemonic for a number, in RFC 3597 form (TYPE65) when dns-packet has no name. */
export function typeName(type: number): string {
  const s = typeToString(type);
  return s.startsWith('UNKNOWN_') ? `TYPE${type}` : s;
}

/** Type number for a mnemonic or TYPEnnn; undefined when unknown. */
export function typeNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    return n <= 0xffff ? n : undefined;
  }
  const n = typeToNumber(upper);
  return n === 0 ? undefined : n;
}

/** dns-packet spells unknown types UNKNOWN_n; this is the string it expects back. */
export function packetTypeString(type: number): string {
  return typeToString(type);
}

// dns-packet's type table lives in a sub-module without type declarations.
import typesModule from 'dns-packet/types.js';
const types = typesModule as { toString(n: number): string; toType(s: string): number };
function typeToString(n: number): string {
  return types.toString(n);
}
function typeToNumber(s: string): number {
  return types.toType(s);
}

/** The RR type of a decoded record, as a number. */
export function rrType(rr: RR): number {
  return typeToNumber(rr.type);
}

export const RECURSION_DESIRED = dnsPacket.RECURSION_DESIRED;
export const DNSSEC_OK = dnsPacket.DNSSEC_OK;
