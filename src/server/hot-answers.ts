// The hot tier: ready wire-format answers per process, so a cache hit copies bytes, patches
// the ID, the client's question (its 0x20 case), flags and each TTL (expiry − now), and sends.
// No decoding, no per-record objects on a hit (DESIGN §2, PERFORMANCE.md).

import dnsPacket from 'dns-packet';
import { EDNS_UDP_SIZE, Flag } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { HEADER_SIZE, type QueryView } from '../dns/wire.ts';
import type { Clock } from '../util/clock.ts';
import { wantsAd } from './reply.ts';

const codec = (dnsPacket as unknown as {
  answer: { encode(rr: RR, buf: Buffer, offset: number): Buffer; encodingLength(rr: RR): number };
  name: { encodingLength(name: string): number };
});

const OPT_LENGTH = 11;
const ENTRY_OVERHEAD = 200; // rough bytes of bookkeeping per entry, for the byte bound

export interface HotAnswersOptions {
  /** Bound on the bytes held (answers plus bookkeeping). */
  maxBytes: number;
  /** An entry is dropped this long after it was stored, even if its TTLs run longer, so a
   * front-end never lags the shared tier's view by more (DESIGN §3 coherence). */
  maxAgeMs: number;
  /**
   * Entries end when this last part of their TTL begins (%), so that queries there reach the
   * record cache, which queues the answer for prefetch. 0: entries live their whole TTL.
   */
  prefetchPercent?: number;
}

interface Entry {
  rcode: number;
  /** Extra header bits: AD for a validated answer, sent only to clients that asked (RFC 6840 §5.8). */
  flags: number;
  ancount: number;
  nscount: number;
  sections: Buffer;
  ttlOffsets: Uint32Array;
  ttlExpiry: Float64Array;
  expiresAt: number;
  bytes: number;
}

/** The key of a query in the hot tier: everything that changes the answer bytes. */
export function hotKey(view: QueryView): string {
  const dnssecOk = view.edns?.dnssecOk ? 1 : 0;
  const cd = view.flags & Flag.CD ? 1 : 0;
  return `${view.qname}|${view.qtype}|${view.qclass}|${dnssecOk}${cd}`;
}

export class HotAnswers {
  private readonly entries = new Map<string, Entry>();
  private readonly options: HotAnswersOptions;
  private readonly clock: Clock;
  private bytes = 0;
  private maxAgeMs: number;

  constructor(options: HotAnswersOptions, clock: Clock) {
    this.options = options;
    this.clock = clock;
    this.maxAgeMs = options.maxAgeMs;
  }

  /**
   * Changes how long new entries live without a look at the shared tier (compose.ts: while the
   * whole shared tier is down there is no cluster view to lag behind, so answers may live their
   * TTL); a shorter age also cuts the entries already held, so coherence returns with Redis.
   */
  setMaxAge(ms: number): void {
    if (ms < this.maxAgeMs) {
      const cap = this.clock.now() + ms;
      for (const e of this.entries.values()) if (e.expiresAt > cap) e.expiresAt = cap;
    }
    this.maxAgeMs = ms;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against maxBytes. */
  get byteSize(): number {
    return this.bytes;
  }

  /** Keeps the answer to `key`; TTLs count down from now. Records with TTL 0 are not kept. */
  store(key: string, rcode: number, flags: number, answer: readonly RR[], authority: readonly RR[]): void {
    const records = [...answer, ...authority];
    if (records.length === 0) return; // a negative answer without SOA has no TTL to count down
    const now = this.clock.now();
    const sizes = records.map((rr) => codec.answer.encodingLength(rr));
    const sections = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
    const ttlOffsets = new Uint32Array(records.length);
    const ttlExpiry = new Float64Array(records.length);
    let pos = 0;
    let recordsExpire = Infinity;
    records.forEach((rr, i) => {
      codec.answer.encode(rr, sections, pos);
      ttlOffsets[i] = pos + codec.name.encodingLength(rr.name) + 4; // name, type, class, then TTL
      const expiry = now + (rr.ttl ?? 0) * 1000;
      ttlExpiry[i] = expiry;
      recordsExpire = Math.min(recordsExpire, expiry);
      pos += sizes[i]!;
    });
    const kept = ((recordsExpire - now) * (100 - (this.options.prefetchPercent ?? 0))) / 100;
    const expiresAt = now + Math.min(this.maxAgeMs, kept);
    if (expiresAt <= now) return;
    const entry: Entry = { rcode, flags, ancount: answer.length, nscount: authority.length, sections, ttlOffsets, ttlExpiry, expiresAt, bytes: sections.length + ENTRY_OVERHEAD };
    this.remove(key);
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    for (const [k] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.remove(k);
    }
  }

  /**
   * The reply to `query` from the hot tier, or undefined on a miss. `limit` is the largest
   * reply the client takes (UDP); a longer answer is not served from here (the slow path
   * truncates it), which keeps this path free of truncation logic. `option[0, optionLength)`
   * is a whole EDNS option for the OPT record (the COOKIE option, RFC 7873 §5.2).
   */
  reply(query: Buffer, view: QueryView, key: string, limit: number, option?: Buffer, optionLength = 0): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.clock.now();
    if (entry.expiresAt <= now) {
      this.remove(key);
      return undefined;
    }
    const questionEnd = view.questionEnd;
    const opt = view.edns ? OPT_LENGTH + optionLength : 0;
    const length = questionEnd + entry.sections.length + opt;
    if (length > limit) return undefined;
    const out = Buffer.allocUnsafe(length);
    query.copy(out, 0, 0, questionEnd); // ID and the client's own question bytes
    const flags = wantsAd(view) ? entry.flags : entry.flags & ~Flag.AD;
    out.writeUInt16BE(Flag.QR | (view.flags & (0x7800 | Flag.RD | Flag.CD)) | Flag.RA | flags | entry.rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(entry.ancount, 6);
    out.writeUInt16BE(entry.nscount, 8);
    out.writeUInt16BE(view.edns ? 1 : 0, 10);
    entry.sections.copy(out, questionEnd);
    const offsets = entry.ttlOffsets;
    const expiry = entry.ttlExpiry;
    for (let i = 0; i < offsets.length; i++) {
      out.writeUInt32BE(Math.max(0, Math.ceil((expiry[i]! - now) / 1000)), questionEnd + offsets[i]!);
    }
    if (view.edns) {
      const p = questionEnd + entry.sections.length;
      out[p] = 0; // root owner
      out.writeUInt16BE(41, p + 1);
      out.writeUInt16BE(EDNS_UDP_SIZE, p + 3);
      out.writeUInt32BE(view.edns.dnssecOk ? 0x8000 : 0, p + 5); // ext. rcode 0, version 0, DO echoed
      out.writeUInt16BE(optionLength, p + 9);
      if (optionLength > 0) option!.copy(out, p + OPT_LENGTH, 0, optionLength);
    }
    // LRU: a hit moves the entry to the young end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return out;
  }

  /** Drops what a cache flush covers (CacheFlusher.onFlush): a type's flush drops the whole name. */
  drop(scope: { kind: 'all' } | { kind: 'name' | 'type' | 'subtree'; name: string }): number {
    if (scope.kind === 'all') {
      const n = this.entries.size;
      this.clear();
      return n;
    }
    return this.flush(scope.name, scope.kind === 'subtree');
  }

  /** Drops every entry whose key's name is `name` (and below it with `subtree`). */
  flush(name: string, subtree = false): number {
    let dropped = 0;
    for (const k of [...this.entries.keys()]) {
      const owner = k.slice(0, k.indexOf('|'));
      if (owner === name || (subtree && (name === '.' || owner.endsWith(`.${name}`)))) {
        this.remove(k);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
