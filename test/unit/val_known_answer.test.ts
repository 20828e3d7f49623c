// Known answers: zones signed by ldns-signzone and dnssec-signzone verify with andns's code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RRset } from '../../src/cache/record-cache.ts';
import { parseTrustAnchors } from '../../src/dnssec/anchors.ts';
import { T } from '../../src/dnssec/constants.ts';
import { keysFromDs } from '../../src/dnssec/keys.ts';
import { Budget, DEFAULT_LIMITS } from '../../src/dnssec/limits.ts';
import { verifyRRset } from '../../src/dnssec/rrsig.ts';
import { groupRRsets } from '../../src/dnssec/rrsets.ts';
import { loadSignedZone } from '../sim/signer.ts';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'data', 'dnssec');
const NOW = Date.UTC(2030, 0, 1) / 1000; // the data is valid 2024-01-01 .. 2040-01-01
const files = readdirSync(dir).filter((f) => f.endsWith('.zone'));

function ctx(now = NOW) {
  return { now, budget: new Budget({ ...DEFAULT_LIMITS, maxVerificationsPerValidation: 10_000 }) };
}

function load(file: string): { sets: RRset[]; ds: ReturnType<typeof parseTrustAnchors> } {
  const zone = loadSignedZone(readFileSync(join(dir, file), 'utf8'), 'example.com');
  const ds = parseTrustAnchors(readFileSync(join(dir, file.replace(/\.zone$/, '.ds')), 'utf8'));
  return { sets: groupRRsets(zone.records), ds };
}

test('known-answer data covers every algorithm andns validates', () => {
  const algs = new Set(files.map((f) => f.replace(/^(ldns|bind)-|\.zone$/g, '')));
  for (const a of ['RSASHA1', 'RSASHA1-NSEC3-SHA1', 'RSASHA256', 'RSASHA512', 'ECDSAP256SHA256', 'ECDSAP384SHA384', 'ED25519', 'ED448']) {
    assert.ok(algs.has(a), a);
  }
});

for (const file of files) {
  test(`${file}: DNSKEY authenticated by DS, every signed RRset verifies`, () => {
    const { sets, ds } = load(file);
    const dnskeys = sets.find((s) => s.type === T.DNSKEY)!;
    const keys = keysFromDs('example.com', dnskeys, ds.get('example.com')!.ds, ctx());
    assert.equal(keys.status, 'secure', JSON.stringify(keys));
    if (keys.status !== 'secure') return;
    const signed = sets.filter((s) => s.signatures.length > 0);
    assert.ok(signed.length >= 10, `only ${signed.length} signed RRsets`);
    for (const set of signed) {
      const r = verifyRRset(set, 'example.com', keys.keys, ctx());
      assert.equal(r.status, 'secure', `${set.name}/${set.type}: ${JSON.stringify(r)}`);
    }
    // Unsigned: delegation NS and glue only (RFC 4035 §2.2).
    const unsigned = sets.filter((s) => s.signatures.length === 0 && s.type !== 51).map((s) => `${s.name}/${s.type}`);
    assert.deepEqual(unsigned.sort(), ['ns.secure.example.com/1', 'ns.sub.example.com/1', 'secure.example.com/2', 'sub.example.com/2']);
  });

  test(`${file}: tampering, expiry and premature use are caught`, () => {
    const { sets } = load(file);
    const keys = sets.find((s) => s.type === T.DNSKEY)!.records;
    const www = sets.find((s) => s.name === 'www.example.com' && s.type === 1)!;
    const tampered = { ...www, records: [{ ...www.records[0]!, data: '192.0.2.99' } as (typeof www.records)[0]] };
    const bad = verifyRRset(tampered, 'example.com', keys, ctx());
    assert.equal(bad.status, 'bogus');
    if (bad.status === 'bogus') assert.equal(bad.ede.code, 6);
    const expired = verifyRRset(www, 'example.com', keys, ctx(Date.UTC(2041, 0, 1) / 1000));
    assert.equal(expired.status === 'bogus' && expired.ede.code, 7);
    const early = verifyRRset(www, 'example.com', keys, ctx(Date.UTC(2023, 0, 1) / 1000));
    assert.equal(early.status === 'bogus' && early.ede.code, 8);
  });
}
