// A refresh is a resolution that must not be answered by the very entry it renews: a view of
// the cache that hides the answer to the questions being refreshed, and passes everything else
// (delegations, addresses, writes) through. Wraps the resolver instead of adding it a flag.

import type { RecordCache } from '../cache/record-cache.ts';
import type { ClientQuestion, Resolve } from '../resolver/resolution.ts';

/**
 * A Resolve that ignores the cached answer to the question it is given. `makeResolve` builds a
 * resolver over the cache it is handed (the composition root's, sharing transport and infra).
 */
export function refreshing(cache: RecordCache, makeResolve: (cache: RecordCache) => Resolve): Resolve {
  const hidden = new Map<string, number>();
  const id = (name: string, type: number): string => `${name}|${type}`;
  // A Proxy keeps every other method of the cache, whatever the interface grows.
  const view = new Proxy(cache, {
    get(target, prop) {
      if (prop === 'answer') {
        return (name: string, type: number) => (hidden.has(id(name, type)) ? Promise.resolve(undefined) : target.answer(name, type));
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const resolve = makeResolve(view);
  return async (q: ClientQuestion) => {
    const key = id(q.qname, q.qtype);
    hidden.set(key, (hidden.get(key) ?? 0) + 1);
    try {
      return await resolve(q);
    } finally {
      const n = hidden.get(key)! - 1;
      if (n === 0) hidden.delete(key);
      else hidden.set(key, n);
    }
  };
}
