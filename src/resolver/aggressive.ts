// Aggressive use of validated NSEC and NSEC3 records (RFC 8198): answers NXDOMAIN and NODATA for
// names a cached, validated denial already covers, without asking upstream.

import type { RRset } from '../cache/record-cache.ts';
import { isSubdomain, selfAndAncestors } from '../dns/name.ts';
import { signersOf } from '../dnssec/evidence.ts';
import { DEFAULT_LIMITS, type Limits } from '../dnssec/limits.ts';
import type { Clock } from '../util/clock.ts';
import { Lru } from '../util/lru.ts';
import { NsecChain, type Denied } from './aggressive-nsec.ts';
import { Nsec3Chain } from './aggressive-nsec3.ts';
import type { Finished } from './iterator.ts';
import { setRecords } from './rrset.ts';

const TYPE = { SOA: 6, OPT: 41, NSEC: 47, NSEC3: 50 } as const;

interface ZoneEntries {
  soa: RRset;
  soaExpiresAt: number;
  nsec: NsecChain;
  nsec3: Nsec3Chain;
}

const sizeOf = (z: ZoneEntries): number => z.nsec.size + z.nsec3.size;
/** Resident bytes of one NSEC/NSEC3 entry (the RRset, its RRSIG, the index node), for the byte bound. */
export const NSEC_ENTRY_BYTES = 600;

/**
 * Only denial RRsets of answers that validated as secure are added (RFC 8198 §5.1), and of
 * those only the ones the zone signed (the validator ignores unsigned extras, so must we).
 * Each keeps its own expiry, capped by the negative TTL it arrived with (§5.4). Bounded by
 * entry count across zones, the zone least recently added to dropped first.
 */
export class AggressiveNsec {
  /** Zones in the order they were last added to; a zone weighs its entries × NSEC_ENTRY_BYTES. */
  private readonly zones: Lru<ZoneEntries>;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private count = 0;

  constructor(clock: Clock, limits: Limits = DEFAULT_LIMITS, maxEntries = 20_000) {
    this.clock = clock;
    this.limits = limits;
    this.zones = new Lru({ maxBytes: maxEntries * NSEC_ENTRY_BYTES, onEvict: (_, z) => (this.count -= sizeOf(z)) });
  }

  /** Bytes held, as counted against the bound. */
  get byteSize(): number {
    return this.zones.byteSize;
  }

  /** Changes the byte bound (the memory budget's share); evicts whole zones at once down to it. */
  setMaxBytes(maxBytes: number): void {
    this.zones.setLimits({ maxBytes });
  }

  /** NSEC/NSEC3 RRsets held, across zones. */
  get size(): number {
    return this.count;
  }

  /** Remembers the NSEC/NSEC3 (with RRSIGs) and SOA of a secure negative answer from the SOA owner's zone. */
  add(authority: RRset[], ttlSeconds: number): void {
    const soa = authority.find((s) => s.type === TYPE.SOA);
    if (!soa || ttlSeconds <= 0) return;
    const zone = soa.name;
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    let z = this.zones.peek(zone);
    if (!z) z = { soa, soaExpiresAt: expiresAt, nsec: new NsecChain(zone), nsec3: new Nsec3Chain(zone, this.limits) };
    else if (z.soaExpiresAt < expiresAt) Object.assign(z, { soa, soaExpiresAt: expiresAt });
    const before = sizeOf(z);
    for (const set of authority) {
      if (set.records.length !== 1 || !isSubdomain(set.name, zone) || !signersOf([set]).includes(zone)) continue;
      if (set.type === TYPE.NSEC) z.nsec.add(set, expiresAt);
      else if (set.type === TYPE.NSEC3) z.nsec3.add(set, expiresAt);
    }
    this.count += sizeOf(z) - before;
    // Most recently fed first out of reach of eviction; a zone too big for the whole bound is not kept.
    if (!this.zones.set(zone, z, sizeOf(z) * NSEC_ENTRY_BYTES)) this.count -= sizeOf(z);
  }

  private drop(zone: string): void {
    const z = this.zones.peek(zone);
    if (!z) return;
    this.count -= sizeOf(z);
    this.zones.delete(zone);
  }

  /** A secure NXDOMAIN or NODATA for (name, type) from cached NSEC/NSEC3, or undefined. */
  answer(name: string, type: number): Finished | undefined {
    // A bitmap says nothing about meta types (RFC 6895 §3.1): ANY and friends are never denied here.
    if (type === TYPE.OPT || (type >= 128 && type <= 255)) return undefined;
    const now = this.clock.now();
    for (const zone of selfAndAncestors(name)) {
      const z = this.zones.peek(zone);
      if (!z) continue;
      if (z.soaExpiresAt <= now) {
        this.drop(zone); // every entry expires no later than the zone's SOA
        continue;
      }
      const before = sizeOf(z);
      const denied = z.nsec.deny(name, type, now) ?? z.nsec3.deny(name, type, now);
      this.count += sizeOf(z) - before; // expired entries dropped on the way
      if (denied) return this.negative(z, denied, now);
    }
    return undefined;
  }

  private negative(z: ZoneEntries, d: Denied, now: number): Finished {
    const expiresAt = Math.min(z.soaExpiresAt, ...d.used.map((e) => e.expiresAt));
    const ttl = Math.max(0, Math.ceil((expiresAt - now) / 1000));
    const sets = [z.soa, ...new Set(d.used.map((e) => e.set))];
    return { kind: d.kind, answer: [], authority: sets.flatMap((s) => setRecords(s, ttl, true)), status: 'secure' };
  }
}
