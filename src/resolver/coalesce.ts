// Coalescing wraps resolution (STYLE 8): identical questions in flight share one resolution
// in this process, so a burst for one cold name sends one set of upstream queries.

import { counters } from '../telemetry/counters.ts';
import type { ClientQuestion, Resolution, Resolve } from './resolution.ts';

export function coalescing(resolve: Resolve): Resolve {
  const inFlight = new Map<string, Promise<Resolution>>();
  return (q: ClientQuestion) => {
    // Everything that changes the outcome is in the key; the client's ID and case are not.
    const key = `${q.qname}|${q.qtype}|${q.qclass}|${q.dnssecOk ? 1 : 0}${q.checkingDisabled ? 1 : 0}${q.recursionDesired ? 1 : 0}`;
    const pending = inFlight.get(key);
    if (pending) {
      counters.coalesced++;
      return pending;
    }
    const started = resolve(q).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
