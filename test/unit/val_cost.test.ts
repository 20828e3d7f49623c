// Opt-in measurement (ANDNS_BENCH=1): what validation costs per answer on the signed simulated
// internet, cold (a fresh cache per name) and with one shared cache: upstream queries, counted
// at the simulated servers, and time per name in memory.

import { test } from 'node:test';
import { typeNumber } from '../../src/dns/message.ts';
import type { CatalogueEntry } from '../sim/internet.ts';
import { question, signedSetup } from './val_setup.ts';

test('validation cost per signed and unsigned answer', { skip: process.env['ANDNS_BENCH'] !== '1' }, async (t) => {
  const names = (status: string): CatalogueEntry[] =>
    signedSetup().internet.catalogue.filter((e) => e.dnssec?.status === status && e.type === 'A' && e.rcode === 'NOERROR' && !e.tags.includes('cname'));
  for (const status of ['secure', 'insecure']) {
    for (const validate of [false, true]) {
      let queries = 0;
      let ms = 0;
      const list = names(status);
      for (const e of list) {
        const s = signedSetup(validate ? {} : { off: true });
        const t0 = performance.now();
        await s.resolver.resolve(question(e.name, typeNumber(e.type)!));
        ms += performance.now() - t0;
        queries += s.internet.network.totals().queries;
      }
      t.diagnostic(`${status} (${list.length} names), validation ${validate ? 'on' : 'off'}: cold ${(queries / list.length).toFixed(2)} upstream queries/name, ${(ms / list.length).toFixed(2)} ms/name`);
    }
  }
});
