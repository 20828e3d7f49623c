// The validating resolver in memory over the signed simulated internet: the cache keeps each
// RRset's status, CD=1 neither validates nor poisons, bogus is remembered, DO returns the
// proofs, secure TTLs stop at signature expiry, NTAs, KeyTrap; upstream queries counted at the servers.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alg } from '../../src/dnssec/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { NOW, question, signedSetup, signedZone } from './val_setup.ts';

const A = 1;
const TXT = 16;

function queries(s: ReturnType<typeof signedSetup>): number {
  return s.internet.network.totals().queries;
}

test('val_cache: a secure answer is cached with its status and RRSIGs, and answered again without upstream', async () => {
  const s = signedSetup();
  const zone = signedZone(s.internet, Alg.ECDSAP256SHA256, 'NSEC');
  const first = await s.resolver.resolve(question(`www.${zone}`, A, { dnssecOk: true }));
  assert.equal(first.kind, 'answer');
  assert.equal(first.kind === 'answer' && first.status, 'secure');
  assert.ok(first.kind === 'answer' && first.answer.some((r) => r.type === 'RRSIG'), 'DO=1: RRSIGs returned');
  const cached = await s.cache.getRRset(`www.${zone}`, A);
  assert.equal(cached?.status, 'secure');
  assert.ok(cached!.signatures.length > 0);
  const before = queries(s);
  const again = await s.resolver.resolve(question(`www.${zone}`, A));
  assert.equal(queries(s), before, 'no upstream query for a cached secure answer');
  assert.equal(again.kind === 'answer' && again.status, 'secure');
  assert.ok(again.kind === 'answer' && !again.answer.some((r) => r.type === 'RRSIG'), 'DO=0: no RRSIGs');
});

test('val_cd: CD=1 returns bogus data unvalidated; CD=0 still gets SERVFAIL, and the bogus mark spares upstream', async () => {
  const s = signedSetup();
  const bogus = 'www.sig-expired.test';
  const cd = await s.resolver.resolve(question(bogus, A, { checkingDisabled: true }));
  assert.equal(cd.kind, 'answer');
  assert.equal(cd.kind === 'answer' ? cd.status : 'x', undefined, 'not validated: no status, no AD');
  assert.equal(await s.cache.getRRset(bogus, A), undefined, 'a CD=1 answer is not stored while validation is on');
  const plain = await s.resolver.resolve(question(bogus, A));
  assert.equal(plain.kind, 'servfail');
  assert.equal(plain.kind === 'servfail' && plain.ede.code, EdeCode.SIGNATURE_EXPIRED);
  assert.equal(await s.cache.getRRset(bogus, A), undefined, 'bogus is never stored');
  const before = queries(s);
  const marked = await s.resolver.resolve(question(bogus, A));
  assert.equal(marked.kind === 'servfail' && marked.ede.code, EdeCode.SIGNATURE_EXPIRED);
  assert.equal(queries(s), before, 'the bogus mark answers without upstream queries');
  s.clock.advance(61_000);
  await s.resolver.resolve(question(bogus, A));
  assert.ok(queries(s) > before || (await s.cache.getRRset(bogus, A)) !== undefined, 'after the mark expires the name is judged again');
});

test('val_judged: with validation on, every answer in the cache has a judged status; a client asking DNSKEY gets it validated', async () => {
  const s = signedSetup();
  const zone = signedZone(s.internet, Alg.ED25519, 'NSEC');
  const cd = await s.resolver.resolve(question(`www.${zone}`, A, { checkingDisabled: true }));
  assert.equal(cd.kind === 'answer' ? cd.status : 'x', undefined, 'CD=1: not validated');
  assert.equal(await s.cache.getRRset(`www.${zone}`, A), undefined, 'and not stored');
  await s.resolver.resolve(question(`www.${zone}`, A));
  // The validator's own DNSKEY fetch is stored once proven, as secure (issue 10: key state on the shared tier).
  assert.equal((await s.cache.getRRset(zone, 48))?.status, 'secure', 'the proven DNSKEY RRset is kept, judged');
  const keys = await s.resolver.resolve(question(zone, 48));
  assert.equal(keys.kind === 'answer' && keys.status, 'secure');
  assert.equal((await s.cache.getRRset(zone, 48))?.status, 'secure');
  // Glue-less NS addresses are looked up as validated answers too.
  for (const e of s.internet.catalogue.filter((x) => x.tags.includes('glueless') && x.dnssec?.status === 'secure').slice(0, 5)) {
    await s.resolver.resolve(question(e.name, A));
  }
  const ns = [...s.internet.zones.values()].flatMap((z) => z.zone.records).filter((r) => r.type === 'A' && /^ns\d-/.test(r.name));
  const cached = (await Promise.all(ns.map((r) => s.cache.getRRset(r.name, A)))).filter((x) => x !== undefined);
  assert.ok(cached.length > 0, 'some glue-less NS addresses were looked up');
  assert.ok(cached.every((c) => c.status === 'secure' || c.status === 'insecure'), JSON.stringify(cached.map((c) => [c.name, c.status])));
});

test('val_do: negative answers carry SOA, NSEC/NSEC3 and their RRSIGs to DO clients, nothing of it without DO', async () => {
  const s = signedSetup();
  for (const denial of ['NSEC', 'NSEC3'] as const) {
    const zone = signedZone(s.internet, denial === 'NSEC' ? Alg.ECDSAP256SHA256 : Alg.RSASHA256, denial);
    const nx = await s.resolver.resolve(question(`nothing-here.${zone}`, A, { dnssecOk: true }));
    assert.equal(nx.kind, 'nxdomain');
    const types = nx.kind === 'nxdomain' ? nx.authority.map((r: RR) => r.type) : [];
    assert.ok(types.includes('SOA') && types.includes(denial) && types.includes('RRSIG'), `${denial}: ${types.join(',')}`);
    assert.equal(nx.kind === 'nxdomain' && nx.status, 'secure');
    const plain = await s.resolver.resolve(question(`nothing-here.${zone}`, A));
    assert.deepEqual(plain.kind === 'nxdomain' ? plain.authority.map((r: RR) => r.type) : [], ['SOA']);
  }
});

test('val_aggressive: a cached validated NSEC answers NXDOMAIN and NODATA for other names without upstream (RFC 8198)', async () => {
  const s = signedSetup();
  const zone = signedZone(s.internet, Alg.ECDSAP256SHA256, 'NSEC');
  const first = await s.resolver.resolve(question(`nx.${zone}`, A));
  assert.equal(first.kind === 'nxdomain' && first.status, 'secure');
  let before = queries(s);
  // "nxa" and "nz" sort between the same two names as "nx": the same NSEC covers them.
  for (const name of [`nxa.${zone}`, `nz.${zone}`]) {
    const r = await s.resolver.resolve(question(name, A, { dnssecOk: true }));
    assert.equal(r.kind, 'nxdomain', name);
    assert.equal(r.kind === 'nxdomain' && r.status, 'secure');
    assert.ok(r.kind === 'nxdomain' && r.authority.some((x) => x.type === 'NSEC'));
  }
  assert.equal(queries(s), before, 'NXDOMAIN synthesised from the cached NSECs');
  const nodata = await s.resolver.resolve(question(`www.${zone}`, TXT));
  assert.equal(nodata.kind === 'nodata' && nodata.status, 'secure');
  before = queries(s);
  const srv = await s.resolver.resolve(question(`www.${zone}`, 33));
  assert.equal(srv.kind === 'nodata' && srv.status, 'secure');
  assert.equal(queries(s), before, 'NODATA from the NSEC at www');
  // NSEC3 zones: see val_aggressive.test.ts.
});

test('val_ttl: a secure answer never outlives its RRSIG (RFC 4035 §5.3.3)', async () => {
  const s = signedSetup();
  s.clock.advance((30 * 86400 - 100) * 1000); // signatures expire at NOW + 30 days
  const zone = signedZone(s.internet, Alg.ECDSAP384SHA384, 'NSEC3');
  const r = await s.resolver.resolve(question(`www.${zone}`, A));
  assert.equal(r.kind === 'answer' && r.status, 'secure');
  const ttl = r.kind === 'answer' ? Math.max(...r.answer.map((x) => x.ttl ?? 0)) : -1;
  assert.ok(ttl > 0 && ttl <= 100, `TTL ${ttl}`);
  const cached = await s.cache.getRRset(`www.${zone}`, A);
  assert.ok(cached!.expiresAt <= (NOW + 30 * 86400) * 1000);
});

test('val_nta: a negative trust anchor turns a bogus zone insecure; other zones stay validated', async () => {
  const s = signedSetup({ negativeTrustAnchors: ['sig-expired.test'] });
  const r = await s.resolver.resolve(question('www.sig-expired.test', A));
  assert.equal(r.kind, 'answer');
  assert.equal(r.kind === 'answer' && r.status, 'insecure');
  const other = await s.resolver.resolve(question('www.sig-not-yet.test', A));
  assert.equal(other.kind === 'servfail' && other.ede.code, EdeCode.SIGNATURE_NOT_YET_VALID);
});

test('val_keytrap: a key-tag collision flood fails the query with EDE 6, within the work bounds, and the resolver goes on', async () => {
  const s = signedSetup();
  for (const name of ['www.keytrap.test', 'nx.keytrap.test']) {
    const r = await s.resolver.resolve(question(name, A));
    assert.equal(r.kind, 'servfail', name);
    assert.equal(r.kind === 'servfail' && r.ede.code, EdeCode.DNSSEC_BOGUS);
  }
  const zone = signedZone(s.internet, Alg.RSASHA512, 'NSEC');
  const ok = await s.resolver.resolve(question(`www.${zone}`, A));
  assert.equal(ok.kind === 'answer' && ok.status, 'secure');
});
