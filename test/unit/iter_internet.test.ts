// Every name of the generated simulated internet, resolved in memory, gives the catalogue's
// expected rcode, answer types and rdata; no poison reaches the cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from '../../src/resolver/resolver.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { typeNumber, type RR } from '../../src/dns/message.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { generateInternet } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { rdataText } from '../sim/probe.ts';

const rcodeOf = { answer: 'NOERROR', nodata: 'NOERROR', nxdomain: 'NXDOMAIN', servfail: 'SERVFAIL', refused: 'REFUSED' } as const;

for (const qnameMinimisation of [false, true]) {
test(`iter_internet: every catalogue name resolves as expected (QNAME minimisation ${qnameMinimisation ? 'on' : 'off'})`, async () => {
  const internet = generateInternet({ seed: 7, zones: 120 });
  const clock = new ManualClock();
  const cache = memoryRecordCache(clock);
  const resolver = new Resolver({
    transport: new MemoryTransport(internet.network),
    cache,
    clock,
    options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
    log: silentLogger,
  });
  const check = async (pass: string): Promise<string[]> => {
    const failures: string[] = [];
    for (const entry of internet.catalogue) {
      const r = await resolver.resolve({ qname: entry.name, qtype: typeNumber(entry.type)!, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });
      const got = rcodeOf[r.kind];
      const answer: RR[] = r.kind === 'answer' || r.kind === 'nodata' || r.kind === 'nxdomain' ? r.answer : [];
      const problems: string[] = [];
      if (got !== entry.rcode) problems.push(`rcode ${got} (${r.kind === 'servfail' ? r.reason : ''})`);
      if (entry.answerTypes && got === entry.rcode && JSON.stringify(answer.map((a) => a.type)) !== JSON.stringify(entry.answerTypes)) {
        problems.push(`answer types ${answer.map((a) => a.type).join(',')} ≠ ${entry.answerTypes.join(',')}`);
      }
      if (entry.rdata) {
        const final = answer.filter((a) => a.type === entry.type).map(rdataText).sort();
        if (JSON.stringify(final) !== JSON.stringify([...entry.rdata].sort())) problems.push(`rdata ${final.join(' ')} ≠ ${entry.rdata.join(' ')}`);
      }
      if (problems.length) failures.push(`${pass}: ${entry.name} ${entry.type} [${entry.tags.join(',')}]: ${problems.join('; ')}`);
    }
    return failures;
  };
  // Fresh from the simulated servers, then again from the cache: both must match the catalogue.
  const failures = [...(await check('fresh')), ...(await check('cached'))];
  // DNAME answers come from the cache too (the CNAME re-synthesised from the cached DNAME).
  internet.network.reset();
  for (const entry of internet.catalogue.filter((e) => e.tags.includes('dname') && e.rcode === 'NOERROR')) {
    await resolver.resolve({ qname: entry.name, qtype: typeNumber(entry.type)!, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });
  }
  assert.equal(internet.network.totals().queries, 0, 'cached DNAME answers need no upstream query');
  assert.deepEqual(failures, [], `${failures.length} of ${internet.catalogue.length} names wrong`);
  assert.ok(internet.catalogue.length > 200);
  // Nothing the poisoning server injected is cached.
  for (const rr of internet.poison.records) {
    const cached = await cache.getRRset(rr.name, typeNumber(rr.type)!);
    const leaked = cached?.records.some((c) => JSON.stringify(c.data) === JSON.stringify(rr.data));
    assert.ok(!leaked, `poison cached: ${rr.name} ${rr.type}`);
  }
});
}
