// Serve-stale's read side (RFC 8767): the answer to a question from data past its expiry that
// the store still keeps (until expiry + staleWindowMs), CNAME chains included, stale parts with
// a short TTL. It reads through the one cache read (cache/read.ts), and only data judged secure
// or insecure goes out (servableStale); DNSSEC records are taken out by the fresh path's rule.

import { readCache, servableStale } from '../cache/read.ts';
import type { RecordCache } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { forClient, type ClientQuestion, type Resolution } from '../resolver/resolution.ts';
import type { Clock } from '../util/clock.ts';
import type { SharedCacheOptions } from './options.ts';

export interface StaleReaderDeps {
  cache: RecordCache;
  clock: Clock;
  options: Pick<SharedCacheOptions, 'staleTtl'>;
  /** Longest CNAME chain followed (the resolver's limits.maxCnameChain). */
  maxCnameChain: number;
  /** A validator judges what this process stores: then only secure or insecure data is served stale. */
  validating: boolean;
}

/** What the store still knows; `stale` when any part of it has expired. */
export interface StaleLookup {
  resolution: Extract<Resolution, { kind: 'answer' | 'nodata' | 'nxdomain' }>;
  stale: boolean;
}

export class StaleReader {
  private readonly d: StaleReaderDeps;

  constructor(deps: StaleReaderDeps) {
    this.d = deps;
  }

  /** The answer the store holds for `q`, expired or not; undefined when it holds none, none fit to serve, or fails. */
  async lookup(q: ClientQuestion): Promise<StaleLookup | undefined> {
    const chain: RR[] = [];
    let stale = false;
    let name = q.qname;
    for (let links = 0; links <= this.d.maxCnameChain; links++) {
      let found;
      try {
        found = await readCache(this.d.cache, name, q.qtype, this.d.clock.now(), this.d.options.staleTtl);
      } catch {
        return undefined;
      }
      // One link that may not be served spoils the whole answer: fresh links too, since a
      // failed resolution will not validate them now.
      if (!found || !servableStale(found.status, this.d.validating)) return undefined;
      stale ||= found.stale;
      switch (found.kind) {
        case 'answer':
          return this.done(q, { kind: 'answer', answer: [...chain, ...found.records], authority: [] }, stale);
        case 'nxdomain':
        case 'nodata':
          return this.done(q, { kind: found.kind, answer: chain, authority: found.authority }, stale);
        case 'cname':
          chain.push(...found.records);
          name = found.target;
      }
    }
    return undefined;
  }

  private done(q: ClientQuestion, r: StaleLookup['resolution'], stale: boolean): StaleLookup {
    return { resolution: forClient(r, q) as StaleLookup['resolution'], stale };
  }
}
