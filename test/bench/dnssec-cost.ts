// Cold validation cost per answer on the signed simulated internet (a benchmark, not a test;
// npm run bench:dnssec): upstream queries counted at the simulated servers, time per name in
// memory, with a fresh cache per name and with one shared cache.

import { typeNumber } from '../../src/dns/message.ts';
import type { CatalogueEntry } from '../sim/internet.ts';
import { question, signedSetup } from '../unit/val_setup.ts';

async function main(): Promise<void> {
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
      console.log(`${status} (${list.length} names), validation ${validate ? 'on' : 'off'}: cold ${(queries / list.length).toFixed(2)} upstream queries/name, ${(ms / list.length).toFixed(2)} ms/name`);
    }
  }
}

await main();
