// Serve-stale's read side (RFC 8767): the answer to a question from data past its expiry that
// the store still keeps (until expiry + staleWindowMs), CNAME chains included, stale parts with
// a short TTL. It reads the store directly: the hot map drops what has expired.

import { Rank, type CachedNegative, type CachedRRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { canonicalName } from '../dns/name.ts';
import type { ClientQuestion, Resolution } from '../resolver/resolution.ts';
import { setRecords } from '../resolver/rrset.ts';
import type { Clock } from '../util/clock.ts';
import { decodeValue, type CacheValue } from './codec.ts';
import type { KeySpace } from './keys.ts';
import type { SharedCacheOptions } from './options.ts';
import type { SharedStore } from './store.ts';

export interface StaleReaderDeps {
  store: SharedStore;
  keys: KeySpace;
  clock: Clock;
  options: Pick<SharedCacheOptions, 'staleTtl'>;
  /** Longest CNAME chain followed (the resolver's limits.maxCnameChain). */
  maxCnameChain: number;
}

/** What the store still knows; `stale` when any part of it has expired. */
export interface StaleLookup {
  resolution: Extract<Resolution, { kind: 'answer' | 'nodata' | 'nxdomain' }>;
  stale: boolean;
}

const TYPE_CNAME = 5;
const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3']);

export class StaleReader {
  private readonly d: StaleReaderDeps;

  constructor(deps: StaleReaderDeps) {
    this.d = deps;
  }

  /** The answer the store holds for `q`, expired or not; undefined when it holds none or fails. */
  async lookup(q: ClientQuestion): Promise<StaleLookup | undefined> {
    const chain: RR[] = [];
    let stale = false;
    let name = q.qname;
    for (let links = 0; links <= this.d.maxCnameChain; links++) {
      const [set, nx, cname] = await this.read(name, q.qtype);
      const now = this.d.clock.now();
      // Fresh parts keep their real TTL; expired ones get the short stale TTL (RFC 8767 §4).
      const ttl = (expiresAt: number): number => {
        if (expiresAt > now) return Math.ceil((expiresAt - now) / 1000);
        stale = true;
        return this.d.options.staleTtl;
      };
      const rrset = positive(set, q.qtype);
      if (rrset) return this.done(q, { kind: 'answer', answer: [...chain, ...setRecords(rrset, ttl(rrset.expiresAt), true)], authority: [] }, stale);
      const negative = nodata(set, q.qtype) ?? nxdomain(nx);
      if (negative) {
        const t = ttl(negative.expiresAt);
        return this.done(q, { kind: negative.kind, answer: chain, authority: negative.authority.map((r) => ({ ...r, ttl: t }) as RR) }, stale);
      }
      const alias = positive(cname, TYPE_CNAME);
      if (!alias || alias.records.length !== 1) return undefined;
      chain.push(...setRecords(alias, ttl(alias.expiresAt), true));
      name = canonicalName(alias.records[0]!.data as string);
    }
    return undefined;
  }

  private done(q: ClientQuestion, r: StaleLookup['resolution'], stale: boolean): StaleLookup {
    // RFC 4035 §3.2.1: without DO, no DNSSEC records unless asked for by type (as the resolver does).
    if (q.dnssecOk) return { resolution: r, stale };
    const keep = (rr: RR): boolean => !DNSSEC_TYPES.has(rr.type) || rr.type === 'RRSIG' && q.qtype === 46;
    return { resolution: { ...r, answer: r.answer.filter(keep), authority: r.authority.filter(keep) }, stale };
  }

  /** The name's RRset, NXDOMAIN and CNAME values: one slot, one MGET. Unreadable is absent. */
  private async read(name: string, type: number): Promise<(CacheValue | undefined)[]> {
    const k = this.d.keys;
    let values: (Buffer | null)[];
    try {
      values = await this.d.store.mget([k.rrset(name, type), k.nxdomain(name), k.rrset(name, TYPE_CNAME)]);
    } catch {
      return [];
    }
    return values.map((v) => {
      if (!v) return undefined;
      try {
        return decodeValue(v, name);
      } catch {
        return undefined; // counted and logged by the cache when it reads the key
      }
    });
  }
}

function positive(v: CacheValue | undefined, type: number): CachedRRset | undefined {
  return v?.kind === 'rrset' && v.rrset.type === type && v.rrset.rank >= Rank.NONAUTH_ANSWER ? v.rrset : undefined;
}

function nodata(v: CacheValue | undefined, type: number): CachedNegative | undefined {
  return v?.kind === 'negative' && v.negative.kind === 'nodata' && v.negative.type === type ? v.negative : undefined;
}

function nxdomain(v: CacheValue | undefined): CachedNegative | undefined {
  return v?.kind === 'negative' && v.negative.kind === 'nxdomain' ? v.negative : undefined;
}
