// KeyTrap and NSEC3 work bounds: floods end as bogus within the configured budget, never a hang.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alg } from '../../src/dnssec/constants.ts';
import type { Limits } from '../../src/dnssec/limits.ts';
import { Validator } from '../../src/dnssec/validator.ts';
import { type SignOptions, type SignedZone } from '../sim/signer.ts';
import { signHierarchy } from '../sim/signed-world.ts';
import { parseZone } from '../sim/zone.ts';

const NOW = 1_800_000_000;
const A = 1;

function world(options: Partial<SignOptions>) {
  const zone = parseZone(`$ORIGIN flood.
@ 3600 IN SOA ns.flood. host.flood. 1 7200 3600 1209600 300
@ IN NS ns.flood.
ns IN A 192.0.2.53
www IN A 192.0.2.80
a.b.c.d.e.f.g.h IN A 192.0.2.81
`);
  const root = parseZone(`. 3600 IN SOA a.root. host.root. 1 7200 3600 1209600 300\n. IN NS a.root.\nflood. IN NS ns.flood.\n`);
  const { world, signed } = signHierarchy([{ zone, options }, { zone: root }], NOW);
  return { world, ds: (signed.get('.') as SignedZone).ds };
}

function validator(ds: SignedZone['ds'], limits: Partial<Limits> = {}): Validator {
  return new Validator({ trustAnchors: new Map([['.', { zone: '.', ds, dnskey: [] }]]), limits, now: () => NOW });
}

test('a benign key-tag collision (two keys, one tag) still validates', async () => {
  const { world: w, ds } = world({ algorithm: Alg.RSASHA256, faults: { keyTagFlood: { keys: 1, signatures: 0 } } });
  const r = await validator(ds).validateAnswer(w.answer('www.flood', A), w.fetch);
  assert.equal(r.status, 'secure', JSON.stringify(r));
});

test('KeyTrap flood: 60 colliding keys × 20 bogus RRSIGs costs at most 8 verifications per RRset', async () => {
  const { world: w, ds } = world({ algorithm: Alg.RSASHA256, faults: { keyTagFlood: { keys: 60, signatures: 20 } } });
  const started = process.hrtime.bigint();
  const r = await validator(ds).validateAnswer(w.answer('www.flood', A), w.fetch);
  assert.equal(r.status, 'bogus');
  assert.equal(r.ede?.code, EdeCode.DNSSEC_BOGUS);
  assert.match(r.reason, /more than 8 verifications/);
  // Chain: root DNSKEY, flood DS, flood DNSKEY = 3; the answer RRset: at most 8.
  assert.ok(r.work.verifications <= 3 + 8, `${r.work.verifications} verifications`);
  assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, 'bounded work');
});

test('KeyTrap flood against a loose per-RRset bound hits the per-validation bound', async () => {
  const { world: w, ds } = world({ algorithm: Alg.RSASHA256, faults: { keyTagFlood: { keys: 60, signatures: 20 } } });
  const r = await validator(ds, { maxVerificationsPerRRset: 1000, maxKeysPerTag: 1000 }).validateAnswer(w.answer('www.flood', A), w.fetch);
  assert.equal(r.status, 'bogus');
  assert.match(r.reason, /more than 32 signature verifications/);
  assert.equal(r.work.verifications, 33); // the 33rd attempt is refused before it runs
});

test('NSEC3 hash computations are bounded per validation', async () => {
  const { world: w, ds } = world({ denial: { nsec3: { iterations: 10 } } });
  const deep = 'x.y.z.a.b.c.d.e.f.g.h.flood';
  const ok = await validator(ds).validateAnswer(w.answer(deep, A), w.fetch);
  assert.equal(ok.status, 'secure', JSON.stringify(ok));
  const r = await validator(ds, { maxNsec3Hashes: 4 }).validateAnswer(w.answer(deep, A), w.fetch);
  assert.equal(r.status, 'bogus');
  assert.match(r.reason, /NSEC3 hash computations/);
  assert.equal(r.work.hashes, 5);
});

test('the chain walk is bounded in depth', async () => {
  const { world: w, ds } = world({});
  const input = { qname: 'a.b.c.d.e.f.g.h.flood', qtype: A, kind: 'answer' as const, answer: parseZone('a.b.c.d.e.f.g.h.flood. 60 IN A 192.0.2.1').records, authority: [] };
  const r = await validator(ds, { maxChainDepth: 3 }).validateAnswer(input, w.fetch);
  assert.equal(r.status, 'bogus');
  assert.match(r.reason, /zone levels/);
});
