// Groups records into RRsets with their RRSIGs (the validator's own copy: src/resolver depends on us).

import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { rrTypeNumber, rrsigData } from './canonical.ts';
import { T } from './constants.ts';
import { typeNumber } from '../dns/message.ts';

/** Splits records into RRsets keyed by owner and type; each RRSIG joins the RRset it covers. */
export function groupRRsets(records: RR[]): RRset[] {
  const sets = new Map<string, RRset>();
  const sigs: RR[] = [];
  for (const rr of records) {
    const type = rrTypeNumber(rr);
    if (type === T.RRSIG) {
      sigs.push(rr);
      continue;
    }
    const k = `${rr.name}\u0000${type}`;
    let set = sets.get(k);
    if (!set) sets.set(k, (set = { name: rr.name, type, records: [], signatures: [] }));
    set.records.push(rr);
  }
  for (const sig of sigs) {
    const covered = typeNumber(rrsigData(sig).typeCovered) ?? 0;
    sets.get(`${sig.name}\u0000${covered}`)?.signatures.push(sig);
  }
  return [...sets.values()];
}

export function ttlOf(rr: RR): number {
  return 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
}
