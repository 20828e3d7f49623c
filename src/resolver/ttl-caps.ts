// Wraps resolution so fresh answers show the TTLs the cache will hold: the operator's floor and
// ceiling for data, the ceiling for negative answers (RFC 2308 §5). A client then sees the same
// TTL whether its answer came from upstream or from the cache.

import type { RR } from '../dns/message.ts';
import type { CacheOptions } from '../cache/options.ts';
import type { Resolution, Resolve } from './resolution.ts';

export function cappingTtls(resolve: Resolve, caps: CacheOptions): Resolve {
  return async (q) => capTtls(await resolve(q), caps);
}

/** A resolution with the cache's TTL caps applied. */
export function capTtls(r: Resolution, caps: CacheOptions): Resolution {
  const data = (rr: RR): RR => clamp(rr, caps.minTtl, caps.maxTtl);
  {
    switch (r.kind) {
      case 'answer':
        return { ...r, answer: r.answer.map(data), authority: r.authority.map(data) };
      case 'nodata':
      case 'nxdomain':
        // The answer part (a CNAME chain) is data; the authority part proves the negative answer.
        return { ...r, answer: r.answer.map(data), authority: r.authority.map((rr) => clamp(rr, 0, caps.maxNegativeTtl)) };
      default:
        return r;
    }
  }
}

function clamp(rr: RR, min: number, max: number): RR {
  const ttl = rr.ttl ?? 0;
  const capped = Math.min(Math.max(ttl, min), max);
  return capped === ttl ? rr : ({ ...rr, ttl: capped } as RR);
}
