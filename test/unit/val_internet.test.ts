// Every name of the signed simulated internet through the validating resolver in memory: the
// catalogue's rcode, AD (secure) and EDE per name; CD=1 gets bogus data without poisoning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeNumber } from '../../src/dns/message.ts';
import { signedSetup, rcodeOf, question } from './val_setup.ts';

test('val_internet: every catalogue name gets its rcode, DNSSEC status and EDE', async () => {
  const { internet, resolver } = signedSetup();
  const failures: string[] = [];
  const seen = { secure: 0, insecure: 0, bogus: 0 };
  for (const entry of internet.catalogue) {
    const r = await resolver.resolve(question(entry.name, typeNumber(entry.type)!));
    const got = rcodeOf[r.kind];
    const problems: string[] = [];
    if (got !== entry.rcode) problems.push(`rcode ${got} ≠ ${entry.rcode} (${r.kind === 'servfail' ? r.reason : ''})`);
    const exp = entry.dnssec;
    if (exp) {
      seen[exp.status]++;
      const status = r.kind === 'answer' || r.kind === 'nodata' || r.kind === 'nxdomain' ? r.status : 'bogus';
      if (exp.status !== 'bogus' && status !== exp.status) problems.push(`status ${status} ≠ ${exp.status}`);
      if (exp.status === 'bogus' && exp.ede !== undefined && (r.kind !== 'servfail' || r.ede.code !== exp.ede)) {
        problems.push(`EDE ${r.kind === 'servfail' ? `${r.ede.code} ${r.ede.text}` : '-'} ≠ ${exp.ede}`);
      }
    }
    if (problems.length) failures.push(`${entry.name} ${entry.type} [${entry.tags.join(',')}]: ${problems.join('; ')}`);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${internet.catalogue.length} names wrong`);
  assert.ok(seen.secure > 100 && seen.insecure > 50 && seen.bogus > 10, JSON.stringify(seen));
});
