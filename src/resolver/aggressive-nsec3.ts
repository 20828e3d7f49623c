// One zone's validated NSEC3 records for aggressive negative caching (RFC 8198 §5.1 with the
// RFC 5155 §8 proofs), sorted by hash so every match or cover is a binary search.

import type { RRset } from '../cache/record-cache.ts';
import { Budget, LimitExceeded, type Limits } from '../dnssec/limits.ts';
import { byHash, nsec3Nodata, nsec3Nxdomain, nsec3Of, type Nsec3, type Nsec3Set } from '../dnssec/nsec3.ts';
import { parentName } from '../dns/name.ts';
import { lastWhere } from '../util/sorted.ts';
import type { Denied, Held } from './aggressive-nsec.ts';

type Entry = Nsec3 & Held;

export class Nsec3Chain {
  private readonly zone: string;
  private readonly limits: Limits;
  private params: { salt: Buffer; iterations: number } | undefined;
  private entries: Entry[] = [];

  constructor(zone: string, limits: Limits) {
    this.zone = zone;
    this.limits = limits;
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * Adds or replaces one NSEC3. A zone has one parameter set at a time (RFC 5155 §7.1): new
   * parameters replace the chain. Records above the iteration cap are never kept (RFC 9276 §3.2).
   */
  add(set: RRset, expiresAt: number): void {
    const r = parentName(set.name) === this.zone ? nsec3Of(set.records[0]!) : undefined;
    if (!r || r.iterations > this.limits.maxNsec3Iterations) return;
    if (!this.params || !this.params.salt.equals(r.salt) || this.params.iterations !== r.iterations) {
      this.params = { salt: r.salt, iterations: r.iterations };
      this.entries = [];
    }
    const entry: Entry = { hash: r.hash, next: r.next, optOut: r.optOut, types: r.types, set, expiresAt };
    const i = lastWhere(this.entries, (e) => byHash(e, entry) <= 0);
    if (i >= 0 && byHash(this.entries[i]!, entry) === 0) this.entries[i] = entry;
    else this.entries.splice(i + 1, 0, entry);
  }

  /**
   * Runs the library's NODATA then NXDOMAIN proofs over the cached chain. Only a secure proof
   * answers: an opt-out span over the next closer name proves nothing (RFC 5155 §8.3, §9.2) and
   * comes back insecure. Hashing is bounded per lookup by the validator's limits; expired
   * records count as absent and are dropped.
   */
  deny(name: string, type: number, now: number): Denied | undefined {
    if (!this.params || this.entries.length === 0) return undefined;
    const stale = new Set<Entry>();
    let used = new Set<Entry>();
    const set: Nsec3Set = {
      zone: this.zone,
      ...this.params,
      records: this.entries,
      cache: new Map(),
      budget: new Budget(this.limits),
      use: (r) => {
        const e = r as Entry;
        if (e.expiresAt <= now) return (stale.add(e), false);
        return (used.add(e), true);
      },
    };
    try {
      if (nsec3Nodata(set, name, type).status === 'secure') return { kind: 'nodata', used: [...used] };
      used = new Set();
      if (nsec3Nxdomain(set, name).status === 'secure') return { kind: 'nxdomain', used: [...used] };
      return undefined;
    } catch (err) {
      if (err instanceof LimitExceeded) return undefined; // too costly to prove here: ask upstream
      throw err;
    } finally {
      if (stale.size > 0) this.entries = this.entries.filter((e) => !stale.has(e));
    }
  }
}
