// Encodes dnstap messages (the dnstap.proto schema of dnstap.info, protobuf wire format) for
// client queries and responses. Hand-written: one message type of a dozen scalar and bytes
// fields needs varints and length prefixes only, where protobufjs would bring a schema
// compiler and reflection for them; dnstap-read (BIND) decodes the result in the tests.

import { isIPv4 } from 'node:net';

/** Message.Type values of dnstap.proto. */
export const DnstapType = { CLIENT_QUERY: 5, CLIENT_RESPONSE: 6 } as const;
/** SocketProtocol values of dnstap.proto. */
export const DnstapProtocol = { udp: 1, tcp: 2, dot: 3, doh: 4 } as const;
export type DnstapTransport = keyof typeof DnstapProtocol;

export interface DnstapEvent {
  type: (typeof DnstapType)[keyof typeof DnstapType];
  transport: DnstapTransport;
  clientAddress: string;
  clientPort: number;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  /** Milliseconds since the epoch, with a fraction (performance.timeOrigin + now()). */
  queryTimeMs: number;
  query: Buffer;
  responseTimeMs?: number;
  response?: Buffer;
}

/** Field numbers of Dnstap and Message (dnstap.proto). */
const F = {
  identity: 1, version: 2, message: 14, type: 15,
  mType: 1, family: 2, protocol: 3, queryAddress: 4, responseAddress: 5, queryPort: 6, responsePort: 7,
  queryTimeSec: 8, queryTimeNsec: 9, queryMessage: 10, responseTimeSec: 12, responseTimeNsec: 13, responseMessage: 14,
} as const;
const VARINT = 0;
const LEN = 2;
const FIXED32 = 5;
const DNSTAP_TYPE_MESSAGE = 1;

/** A growing byte list, enough for messages of a few kilobytes. */
class Writer {
  private readonly parts: Buffer[] = [];
  private bytes: number[] = [];

  varint(n: number): this {
    // Numbers here stay below 2^53: seconds since the epoch, ports, lengths.
    let v = n;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  uint(field: number, n: number): this {
    return this.key(field, VARINT).varint(n);
  }
  fixed32(field: number, n: number): this {
    this.key(field, FIXED32);
    this.bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
    return this;
  }
  blob(field: number, data: Buffer): this {
    this.key(field, LEN).varint(data.length);
    this.parts.push(Buffer.from(this.bytes), data);
    this.bytes = [];
    return this;
  }
  finish(): Buffer {
    this.parts.push(Buffer.from(this.bytes));
    this.bytes = [];
    return Buffer.concat(this.parts);
  }
}

function address(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  // IPv6 (an IPv4-mapped one stays 16 bytes, as the socket saw it).
  const [head = '', tail = ''] = text.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').flatMap((g) => (g.includes('.') ? ipv4Groups(g) : [parseInt(g, 16)])));
  const h = groups(head);
  const t = groups(tail);
  const all = text.includes('::') ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
  return out;
}
function ipv4Groups(dotted: string): number[] {
  const b = dotted.split('.').map(Number);
  return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
}

function time(w: Writer, secField: number, nsecField: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  w.uint(secField, sec).fixed32(nsecField, Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)));
}

/** One Dnstap protobuf message (a Frame Streams data frame's payload). */
export function encodeDnstap(e: DnstapEvent, identity: Buffer | undefined, version: Buffer): Buffer {
  const m = new Writer();
  m.uint(F.mType, e.type);
  m.uint(F.family, isIPv4(e.clientAddress) ? 1 : 2);
  m.uint(F.protocol, DnstapProtocol[e.transport]);
  m.blob(F.queryAddress, address(e.clientAddress));
  if (e.serverAddress) m.blob(F.responseAddress, address(e.serverAddress));
  m.uint(F.queryPort, e.clientPort);
  if (e.serverPort !== undefined) m.uint(F.responsePort, e.serverPort);
  time(m, F.queryTimeSec, F.queryTimeNsec, e.queryTimeMs);
  if (e.type === DnstapType.CLIENT_QUERY || e.response === undefined) m.blob(F.queryMessage, e.query);
  if (e.responseTimeMs !== undefined) time(m, F.responseTimeSec, F.responseTimeNsec, e.responseTimeMs);
  if (e.response !== undefined) m.blob(F.responseMessage, e.response);
  const d = new Writer();
  if (identity) d.blob(F.identity, identity);
  d.blob(F.version, version);
  d.blob(F.message, m.finish());
  d.uint(F.type, DNSTAP_TYPE_MESSAGE);
  return d.finish();
}
