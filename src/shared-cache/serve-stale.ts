// Serve-stale (RFC 8767) wraps resolution (STYLE 8): when a resolution fails, or a client has
// waited staleAfterMs for it, the answer comes from expired data the store still keeps, with a
// 30 s TTL and Extended DNS Error 3 (Stale Answer, RFC 8914 §4.4). The resolver is unchanged.

import { EdeCode } from '../dns/constants.ts';
import type { ClientQuestion, Resolution, Resolve } from '../resolver/resolution.ts';
import type { SharedCacheOptions } from './options.ts';
import type { StaleLookup, StaleReader } from './stale.ts';
import type { SharedCacheStats } from './stats.ts';

export interface ServeStaleDeps {
  reader: StaleReader;
  options: Pick<SharedCacheOptions, 'staleAfterMs'>;
  stats: SharedCacheStats;
}

export function servingStale(resolve: Resolve, deps: ServeStaleDeps): Resolve {
  const { reader, options, stats } = deps;

  const fromStale = async (q: ClientQuestion, why: string): Promise<Resolution | undefined> => {
    const found = await reader.lookup(q);
    if (!found) return undefined;
    if (!found.stale) return found.resolution; // everything it needs is fresh again (a racing resolution)
    stats.staleAnswers++;
    return mark(found, why);
  };

  return async (q: ClientQuestion): Promise<Resolution> => {
    // RD=0 asks the cache alone; stale data is for when resolution cannot deliver.
    if (!q.recursionDesired) return resolve(q);
    const resolution = resolve(q);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((fire) => (timer = setTimeout(() => fire('late'), options.staleAfterMs)));
    try {
      const first = await Promise.race([resolution, late]);
      if (first !== 'late') return first.kind === 'servfail' ? ((await fromStale(q, 'resolution failed')) ?? first) : first;
      // The resolution carries on and refreshes the cache for the next client (RFC 8767 §5).
      const stale = await fromStale(q, 'resolution is taking long');
      if (stale) return stale;
      const result = await resolution;
      return result.kind === 'servfail' ? ((await fromStale(q, 'resolution failed')) ?? result) : result;
    } finally {
      clearTimeout(timer);
    }
  };
}

function mark(found: StaleLookup, why: string): Resolution {
  return { ...found.resolution, ede: { code: EdeCode.STALE_ANSWER, text: `stale answer: ${why}` } };
}
