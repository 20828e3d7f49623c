// Every name of the generated internet through the two-level cache: the first front-end gets
// the catalogue's answers, and a second one, sharing only the store, gets the same answers with
// upstream queries only for what may not be cached (failures).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeNumber, type RR } from '../../src/dns/message.ts';
import { rdataText as presentRdata } from '../sim/probe.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { generateInternet } from '../sim/internet.ts';
import { openFrontEnd, question } from '../harness/frontends.ts';

const rcodeOf = { answer: 'NOERROR', nodata: 'NOERROR', nxdomain: 'NXDOMAIN', servfail: 'SERVFAIL', refused: 'REFUSED' } as const;

/** Rcode and answer data, order-free. */
function summary(r: Resolution): string {
  const answer: RR[] = r.kind === 'answer' || r.kind === 'nodata' || r.kind === 'nxdomain' ? r.answer : [];
  return `${rcodeOf[r.kind]} ${answer.map((a) => `${a.type}:${presentRdata(a)}`).sort().join(' ')}`;
}

test('cache_internet: the whole catalogue through the shared cache, then again from a second front-end', async (t) => {
  const internet = generateInternet({ seed: 7, zones: 120 });
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ maxBytes: 1 << 26 }, clock);
  const setup = { net: internet.network, clock, store, keyPrefix: 'i:', rootHints: internet.rootHints };
  const one = await openFrontEnd(setup, t);
  const two = await openFrontEnd(setup, t);
  const failures: string[] = [];
  for (const e of internet.catalogue) {
    const r = await one.resolve(question(e.name, typeNumber(e.type)!));
    if (rcodeOf[r.kind] !== e.rcode) failures.push(`${e.name} ${e.type}: ${r.kind}`);
    if (e.rdata && r.kind === 'answer') {
      const got = r.answer.filter((a) => a.type === e.type).map(presentRdata).sort();
      if (JSON.stringify(got) !== JSON.stringify([...e.rdata].sort())) failures.push(`${e.name} ${e.type}: rdata ${got}`);
    }
  }
  assert.deepEqual(failures, []);
  const before = internet.network.totals().queries;
  const servfails = internet.catalogue.filter((e) => e.rcode === 'SERVFAIL').length;
  for (const e of internet.catalogue) {
    const r = await two.resolve(question(e.name, typeNumber(e.type)!));
    // Compared with what the first front-end answers from its cache: the cached path of the
    // resolver itself may differ from a fresh resolution (a DNAME is not repeated from cache).
    const cachedHere = await one.resolve(question(e.name, typeNumber(e.type)!));
    assert.equal(summary(r), summary(cachedHere), `${e.name} ${e.type} from the second front-end`);
  }
  const again = internet.network.totals().queries - before;
  assert.ok(again <= servfails * 12, `${again} upstream queries on the second pass (${servfails} SERVFAIL names)`);
  assert.equal(two.shared.stats.corrupt, 0);
  assert.ok(two.shared.stats.storeHits > internet.catalogue.length / 2);
});
