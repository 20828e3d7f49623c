// The hot tier: ready wire-format answers per process, so a cache hit copies bytes, patches
// the ID, the client's question (its 0x20 case), flags and each TTL (expiry − now), and sends.
// No decoding, no per-record objects on a hit (DESIGN §2, PERFORMANCE.md).

import dnsPacket from 'dns-packet';
import { EDNS_UDP_SIZE, Flag } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { HEADER_SIZE, type QueryView } from '../dns/wire.ts';
import type { Clock } from '../util/clock.ts';
import { Lru } from '../util/lru.ts';
import { wantsAd } from './reply.ts';

const codec = (dnsPacket as unknown as {
  answer: { encode(rr: RR, buf: Buffer, offset: number): Buffer; encodingLength(rr: RR): number };
  name: { encodingLength(name: string): number };
});

const OPT_LENGTH = 11;
/**
 * Resident bytes of one entry beyond its answer bytes and key: the entry object, its two
 * number arrays and the answer's own Buffer (its ArrayBuffer and backing store cost ~500 bytes
 * by themselves). Measured by loadtest/memory/overheads.ts; an undercount here is RSS above
 * the memory budget.
 */
const ENTRY_OVERHEAD = 700;
/** Per record: a TTL offset and an expiry in the entry's number arrays. */
const RECORD_OVERHEAD = 16;

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
  /** The answer and authority records, in a Buffer of their own: a slice of Node's shared
   * pool would keep a whole 64 KiB pool slab alive as long as the entry lives. */
  sections: Buffer;
  ttlOffsets: number[];
  ttlExpiry: number[];
  expiresAt: number;
}

/** The key of a query in the hot tier: everything that changes the answer bytes. */
export function hotKey(view: QueryView): string {
  const dnssecOk = view.edns?.dnssecOk ? 1 : 0;
  const cd = view.flags & Flag.CD ? 1 : 0;
  return `${view.qname}|${view.qtype}|${view.qclass}|${dnssecOk}${cd}`;
}

export class HotAnswers {
  private readonly entries: Lru<Entry>;
  private readonly options: HotAnswersOptions;
  private readonly clock: Clock;
  private maxAgeMs: number;

  constructor(options: HotAnswersOptions, clock: Clock) {
    this.options = options;
    this.clock = clock;
    this.maxAgeMs = options.maxAgeMs;
    this.entries = new Lru({ maxBytes: options.maxBytes });
  }

  /** Changes the byte bound (the memory budget's share); evicts at once down to it. */
  setMaxBytes(maxBytes: number): void {
    this.entries.setLimits({ maxBytes });
  }

  /** Entries dropped to stay within the byte bound. */
  get evictions(): number {
    return this.entries.evictions;
  }

  /**
   * Changes how long new entries live without a look at the shared tier (compose.ts: while the
   * whole shared tier is down there is no cluster view to lag behind, so answers may live their
   * TTL); a shorter age also cuts the entries already held, so coherence returns with Redis.
   */
  setMaxAge(ms: number): void {
    if (ms < this.maxAgeMs) {
      const cap = this.clock.now() + ms;
      this.entries.forEach((e) => {
        if (e.expiresAt > cap) e.expiresAt = cap;
      });
    }
    this.maxAgeMs = ms;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against maxBytes. */
  get byteSize(): number {
    return this.entries.byteSize;
  }

  /** Keeps the answer to `key`; TTLs count down from now. Records with TTL 0 are not kept. */
  store(key: string, rcode: number, flags: number, answer: readonly RR[], authority: readonly RR[]): void {
    const records = [...answer, ...authority];
    if (records.length === 0) return; // a negative answer without SOA has no TTL to count down
    const now = this.clock.now();
    const sizes = records.map((rr) => codec.answer.encodingLength(rr));
    const sections = Buffer.allocUnsafeSlow(sizes.reduce((a, b) => a + b, 0));
    const ttlOffsets = new Array<number>(records.length).fill(0);
    const ttlExpiry = new Array<number>(records.length).fill(0);
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
    const entry: Entry = { rcode, flags, ancount: answer.length, nscount: authority.length, sections, ttlOffsets, ttlExpiry, expiresAt };
    this.entries.set(key, entry, sections.length + records.length * RECORD_OVERHEAD + ENTRY_OVERHEAD);
  }

  /**
   * The reply to `query` from the hot tier, or undefined on a miss. `limit` is the largest
   * reply the client takes (UDP); a longer answer is not served from here (the slow path
   * truncates it), which keeps this path free of truncation logic. `option[0, optionLength)`
   * is a whole EDNS option for the OPT record (the COOKIE option, RFC 7873 §5.2).
   */
  reply(query: Buffer, view: QueryView, key: string, limit: number, option?: Buffer, optionLength = 0): Buffer | undefined {
    // LRU: a hit moves the entry to the young end (no allocation: util/lru.ts).
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.clock.now();
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
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
    return this.entries.deleteWhere((k) => {
      const owner = k.slice(0, k.indexOf('|'));
      return owner === name || (subtree && (name === '.' || owner.endsWith(`.${name}`)));
    });
  }

  clear(): void {
    this.entries.clear();
  }
}
