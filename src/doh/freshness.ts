// HTTP freshness of a DNS reply (RFC 8484 §5.1): Cache-Control max-age from the smallest TTL,
// and for negative answers the negative-caching TTL (RFC 2308 §5), so no HTTP cache outlives DNS.

import type { ReplyContent } from '../server/reply.ts';

/**
 * The smallest TTL of the records sent, where an SOA counts as min(its TTL, its MINIMUM): the
 * TTL of a negative answer (RFC 2308 §5). Undefined when the reply holds no record (errors).
 */
export function freshnessSeconds(content: ReplyContent): number | undefined {
  let min: number | undefined;
  for (const section of [content.answer, content.authority]) {
    for (const rr of section) {
      let ttl = rr.ttl ?? 0;
      if (rr.type === 'SOA') ttl = Math.min(ttl, rr.data.minimum ?? ttl);
      if (min === undefined || ttl < min) min = ttl;
    }
  }
  return min;
}

/**
 * Cache-Control for a reply. A reply without records (SERVFAIL, REFUSED, FORMERR) says nothing
 * about how long it stays true, so it must not be stored at all.
 */
export function cacheControl(content: ReplyContent): string {
  const seconds = freshnessSeconds(content);
  return seconds === undefined ? 'no-store' : `max-age=${seconds}`;
}
