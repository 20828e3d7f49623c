// Aggressive use of validated NSEC records (RFC 8198): answers NXDOMAIN and NODATA for names a
// cached, validated NSEC already denies, without asking upstream.

import type { RRset } from '../cache/record-cache.ts';
import { isSubdomain, selfAndAncestors } from '../dns/name.ts';
import { nsecClosestEncloser, nsecDenies, nsecOf, wildcardAt, type Nsec } from '../dnssec/nsec.ts';
import type { Clock } from '../util/clock.ts';
import type { Finished } from './iterator.ts';
import { setRecords } from './rrset.ts';

const TYPE = { NS: 2, CNAME: 5, SOA: 6, DS: 43, NSEC: 47 } as const;

interface Entry {
  nsec: Nsec;
  set: RRset;
  expiresAt: number;
}

interface ZoneEntries {
  soa: RRset;
  soaExpiresAt: number;
  /** NSEC owner → entry. */
  nsecs: Map<string, Entry>;
}

/**
 * Only NSEC RRsets that validated as secure are added (RFC 8198 §5.1); each keeps its own
 * expiry, capped by the negative TTL it arrived with (§5.4: min of SOA MINIMUM and SOA TTL).
 * Bounded by entry count across zones, oldest zone dropped first.
 */
export class AggressiveNsec {
  private readonly zones = new Map<string, ZoneEntries>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private count = 0;

  constructor(clock: Clock, maxEntries = 20_000) {
    this.clock = clock;
    this.maxEntries = maxEntries;
  }

  /** Remembers the NSECs (with RRSIGs) and SOA of a secure negative answer from `zone`'s SOA owner. */
  add(authority: RRset[], ttlSeconds: number): void {
    const soa = authority.find((s) => s.type === TYPE.SOA);
    if (!soa || ttlSeconds <= 0) return;
    const zone = soa.name;
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    let z = this.zones.get(zone);
    if (!z) this.zones.set(zone, (z = { soa, soaExpiresAt: expiresAt, nsecs: new Map() }));
    else if (z.soaExpiresAt < expiresAt) Object.assign(z, { soa, soaExpiresAt: expiresAt });
    for (const set of authority) {
      if (set.type !== TYPE.NSEC || !isSubdomain(set.name, zone) || set.records.length !== 1) continue;
      if (!z.nsecs.has(set.name)) this.count++;
      z.nsecs.set(set.name, { nsec: nsecOf(set.records[0]!), set, expiresAt });
    }
    while (this.count > this.maxEntries) {
      const oldest = this.zones.keys().next().value;
      if (oldest === undefined) break;
      this.count -= this.zones.get(oldest)!.nsecs.size;
      this.zones.delete(oldest);
    }
  }

  /** A secure NXDOMAIN or NODATA for (name, type) from cached NSECs, or undefined. */
  answer(name: string, type: number): Finished | undefined {
    const now = this.clock.now();
    for (const zone of this.enclosingZones(name)) {
      const z = this.zones.get(zone)!;
      if (z.soaExpiresAt <= now) continue;
      const live = [...z.nsecs.values()].filter((e) => e.expiresAt > now);
      const match = live.find((e) => e.nsec.owner === name);
      if (match) return this.nodata(z, match, type, now);
      const cover = live.find((e) => nsecDenies(e.nsec, name, zone));
      if (!cover) continue;
      // RFC 8198 §5.1 / RFC 4035 §5.4: NXDOMAIN also needs the wildcard at the closest encloser denied.
      const wild = wildcardAt(nsecClosestEncloser(cover.nsec, name));
      const wildCover = live.find((e) => nsecDenies(e.nsec, wild, zone));
      if (!wildCover) return undefined;
      return this.negative(z, 'nxdomain', [cover, wildCover], now);
    }
    return undefined;
  }

  private nodata(z: ZoneEntries, match: Entry, type: number, now: number): Finished | undefined {
    const t = match.nsec.types;
    // A delegation's NSEC speaks only for DS; a CNAME means the name is an alias (RFC 4035 §5.4).
    const delegation = t.has(TYPE.NS) && !t.has(TYPE.SOA);
    if (t.has(type) || t.has(TYPE.CNAME) || (delegation && type !== TYPE.DS)) return undefined;
    return this.negative(z, 'nodata', [match], now);
  }

  private negative(z: ZoneEntries, kind: 'nxdomain' | 'nodata', entries: Entry[], now: number): Finished {
    const expiresAt = Math.min(z.soaExpiresAt, ...entries.map((e) => e.expiresAt));
    const ttl = Math.max(0, Math.ceil((expiresAt - now) / 1000));
    const sets = [z.soa, ...new Set(entries.map((e) => e.set))];
    return { kind, answer: [], authority: sets.flatMap((s) => setRecords(s, ttl, true)), status: 'secure' };
  }

  /** Zones holding cached NSECs that enclose `name`, deepest first. */
  private enclosingZones(name: string): string[] {
    return selfAndAncestors(name).filter((z) => this.zones.has(z));
  }
}
