// One zone's validated NSEC records for aggressive negative caching (RFC 8198), sorted in
// canonical order (RFC 4034 §6.1) so a lookup is a binary search, not a scan.

import type { RRset } from '../cache/record-cache.ts';
import { compareNames } from '../dnssec/canonical.ts';
import { nsecClosestEncloser, nsecNodata, nsecNxdomain, nsecOf, wildcardAt, type Nsec } from '../dnssec/nsec.ts';
import { lastWhere } from '../util/sorted.ts';

/** A cached denial RRset and when it stops being usable. */
export interface Held {
  set: RRset;
  expiresAt: number;
}

/** What a zone's cached chain proves about (name, type), with the RRsets that prove it. */
export interface Denied {
  kind: 'nxdomain' | 'nodata';
  used: Held[];
}

interface Entry extends Held {
  nsec: Nsec;
}

export class NsecChain {
  private readonly zone: string;
  private readonly entries: Entry[] = [];

  constructor(zone: string) {
    this.zone = zone;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds or replaces the NSEC at `set.name` (O(log n) search; the insert shifts the array). */
  add(set: RRset, expiresAt: number): void {
    const entry = { nsec: nsecOf(set.records[0]!), set, expiresAt };
    const i = lastWhere(this.entries, (e) => compareNames(e.nsec.owner, set.name) <= 0);
    if (i >= 0 && compareNames(this.entries[i]!.nsec.owner, set.name) === 0) this.entries[i] = entry;
    else this.entries.splice(i + 1, 0, entry);
  }

  /**
   * Only the NSEC at or just before `name` can match, cover it or show it an empty
   * non-terminal; the library's proofs judge the candidates (RFC 4035 §5.4, RFC 8198 §5.1).
   */
  deny(name: string, type: number, now: number): Denied | undefined {
    const at = this.floor(name, now);
    if (!at) return undefined;
    if (nsecNodata([at.nsec], name, type, this.zone).status === 'secure') return { kind: 'nodata', used: [at] };
    if (at.nsec.owner === name) return undefined;
    // NXDOMAIN also needs the wildcard at the closest encloser denied (RFC 4035 §5.4, RFC 4592).
    const wild = this.floor(wildcardAt(nsecClosestEncloser(at.nsec, name)), now);
    if (!wild || nsecNxdomain([at.nsec, wild.nsec], name, this.zone).status !== 'secure') return undefined;
    return { kind: 'nxdomain', used: [at, wild] };
  }

  /** The live entry with the greatest owner ≤ `name`; an expired one found there is dropped. */
  private floor(name: string, now: number): Entry | undefined {
    const i = lastWhere(this.entries, (e) => compareNames(e.nsec.owner, name) <= 0);
    const e = this.entries[i];
    if (!e || e.expiresAt > now) return e;
    this.entries.splice(i, 1);
    return undefined;
  }
}
