// Verifications per second per algorithm, printed (a benchmark, not a test): npm run bench:dnssec

import type { RR } from '../../src/dns/message.ts';
import { Alg } from '../../src/dnssec/constants.ts';
import { Budget, DEFAULT_LIMITS } from '../../src/dnssec/limits.ts';
import { verifyRRset } from '../../src/dnssec/rrsig.ts';
import { makeRrsig, signingKey } from '../sim/signer.ts';
import { rr } from '../sim/zone.ts';

const NOW = 1_800_000_000;
const NAMES: Record<number, string> = { 5: 'RSASHA1', 7: 'RSASHA1-NSEC3-SHA1', 8: 'RSASHA256 (2048)', 10: 'RSASHA512 (2048)', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448' };

function main(): void {
  const records = [rr('www.example. 300 IN A 192.0.2.1'), rr('www.example. 300 IN A 192.0.2.2')];
  const rows: string[] = [];
  for (const alg of [Alg.RSASHA1, Alg.RSASHA1_NSEC3_SHA1, Alg.RSASHA256, Alg.RSASHA512, Alg.ECDSAP256SHA256, Alg.ECDSAP384SHA384, Alg.ED25519, Alg.ED448]) {
    const k = signingKey(alg, false);
    const set = { name: 'www.example', type: 1, records, signatures: [makeRrsig(records, 'example', k, NOW - 60, NOW + 86400)] };
    const keys = [{ name: 'example', type: 'DNSKEY', ttl: 3600, class: 'IN', data: k.dnskey } as RR];
    const limits = { ...DEFAULT_LIMITS, maxVerificationsPerValidation: Number.MAX_SAFE_INTEGER };
    const budget = new Budget(limits);
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 0.5) {
      for (let i = 0; i < 20; i++) if (verifyRRset(set, 'example', keys, { now: NOW, budget }).status !== 'secure') throw new Error('bench: not secure');
      n += 20;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    rows.push(`${NAMES[alg]!.padEnd(20)} ${Math.round(n / elapsed).toString().padStart(7)} verifications/s (one core, RRset of 2 A records, canonicalisation included)`);
  }
  console.log(`\n${rows.join('\n')}`);
}

main();
