// Queries encoded once, before the run, into one arena: the send path only copies bytes and sets an ID.

import { typeNumber } from '../../src/dns/message.ts';

export interface QuerySpec {
  /** Presentation name, absolute or not ("www.example.com" or "www.example.com."). */
  name: string;
  /** Type mnemonic (A, AAAA, TYPE65 …). */
  type: string;
}

export interface EncodeOptions {
  /** Adds an OPT record (RFC 6891) advertising this UDP size; 0 sends no EDNS, as dnsperf does by default. */
  ednsUdpSize?: number;
  /** Sets the DO bit (RFC 3225); needs EDNS. */
  dnssecOk?: boolean;
}

const HEADER = 12;
const FLAG_RD = 0x0100; // RFC 1035 §4.1.1: ask the resolver to recurse
const CLASS_IN = 1;
const OPT_RR = 11;

/** RFC 1035 §3.1 wire form of a name; throws naming the name when it cannot be encoded. */
export function nameToWire(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  if (trimmed.includes('\\')) throw new Error(`name ${JSON.stringify(name)}: escapes are not supported`);
  const labels = trimmed.split('.');
  const out = Buffer.alloc(trimmed.length + 2);
  let pos = 0;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) throw new Error(`name ${JSON.stringify(name)}: label length ${label.length} is not 1–63`);
    out[pos++] = label.length;
    pos += out.write(label, pos, 'latin1');
  }
  out[pos++] = 0;
  if (pos > 255) throw new Error(`name ${JSON.stringify(name)}: longer than 255 octets`);
  return out.subarray(0, pos);
}

/** The queries of a run, ID 0, in one buffer; query i is arena[offset[i], offset[i] + length[i]). */
export class QueryTable {
  readonly arena: Buffer;
  readonly offset: Int32Array;
  readonly length: Int32Array;
  /** Offset just past the question within the query: replies are matched on bytes [12, questionEnd). */
  readonly questionEnd: Int32Array;
  readonly specs: readonly QuerySpec[];
  /** The longest query, so that transports can size their send buffers. */
  readonly maxLength: number;

  constructor(specs: readonly QuerySpec[], options: EncodeOptions = {}) {
    if (specs.length === 0) throw new Error('a workload needs at least one query');
    const edns = options.ednsUdpSize ?? 0;
    const parts = specs.map((s) => {
      const qtype = typeNumber(s.type);
      if (qtype === undefined) throw new Error(`query ${s.name}: unknown type ${JSON.stringify(s.type)}`);
      return { qname: nameToWire(s.name), qtype };
    });
    const total = parts.reduce((n, p) => n + HEADER + p.qname.length + 4 + (edns ? OPT_RR : 0), 0);
    this.arena = Buffer.alloc(total);
    this.offset = new Int32Array(specs.length);
    this.length = new Int32Array(specs.length);
    this.questionEnd = new Int32Array(specs.length);
    let pos = 0;
    let max = 0;
    parts.forEach((p, i) => {
      const start = pos;
      const a = this.arena;
      a.writeUInt16BE(0, pos); // ID, set per send
      a.writeUInt16BE(FLAG_RD, pos + 2);
      a.writeUInt16BE(1, pos + 4); // QDCOUNT
      a.writeUInt16BE(edns ? 1 : 0, pos + 10); // ARCOUNT
      pos += HEADER;
      pos += p.qname.copy(a, pos);
      a.writeUInt16BE(p.qtype, pos);
      a.writeUInt16BE(CLASS_IN, pos + 2);
      pos += 4;
      this.questionEnd[i] = pos - start;
      if (edns) {
        // RFC 6891 §6.1.2: root owner, type OPT, CLASS = UDP size, TTL = ext-rcode/version/DO.
        a[pos] = 0;
        a.writeUInt16BE(41, pos + 1);
        a.writeUInt16BE(edns, pos + 3);
        a.writeUInt32BE(options.dnssecOk ? 0x8000 : 0, pos + 5);
        a.writeUInt16BE(0, pos + 9);
        pos += OPT_RR;
      }
      this.offset[i] = start;
      this.length[i] = pos - start;
      max = Math.max(max, pos - start);
    });
    this.specs = specs;
    this.maxLength = max;
  }

  get size(): number {
    return this.specs.length;
  }

  /** A copy of query i with the given ID (tests and debugging; the send path copies itself). */
  query(i: number, id = 0): Buffer {
    const q = Buffer.from(this.arena.subarray(this.offset[i]!, this.offset[i]! + this.length[i]!));
    q.writeUInt16BE(id, 0);
    return q;
  }
}
