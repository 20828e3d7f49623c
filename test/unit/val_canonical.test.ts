// Canonical form, key tags, DS digests, base32hex and NSEC3 hashes against published values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames, dnskeyData, dsData, dsDigest, keyTag, nameWire, rdataWire, signedData } from '../../src/dnssec/canonical.ts';
import { parseTrustAnchors, closestAnchor, NegativeTrustAnchors } from '../../src/dnssec/anchors.ts';
import { nsec3Hash } from '../../src/dnssec/nsec3.ts';
import { base32hexEncode } from '../../src/dns/base32hex.ts';
import { base32hexDecode, parseSigTime } from '../../src/dnssec/presentation.ts';
import { rr } from '../sim/zone.ts';

// /work/shared/data/root.ds, verbatim.
const ROOT_DS = `. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`;

// The root KSKs as IANA publishes them (here from Debian's dns-root-data /usr/share/dns/root.key).
const ROOT_KEYS = `. IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU= ; KSK-2017
. IN DNSKEY 257 3 8 ( AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=
  ) ; KSK-2024, split over lines as root-anchors files often are
`;

test('root DS records parse with the published key tags', () => {
  const anchors = parseTrustAnchors(ROOT_DS);
  const root = anchors.get('.');
  assert.ok(root);
  assert.deepEqual(root.ds.map((r) => dsData(r).keyTag), [20326, 38696]);
  assert.deepEqual(root.ds.map((r) => dsData(r).digestType), [2, 2]);
  assert.equal(dsData(root.ds[0]!).digest.toString('hex').toUpperCase(), 'E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D');
});

test('root KSK-2017 and KSK-2024: key tags 20326 and 38696, SHA-256 digests equal root.ds', () => {
  const keys = parseTrustAnchors(ROOT_KEYS).get('.')!.dnskey;
  const ds = parseTrustAnchors(ROOT_DS).get('.')!.ds;
  assert.deepEqual(keys.map((k) => keyTag(dnskeyData(k))), [20326, 38696]);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(dsDigest('.', dnskeyData(keys[i]!), 2), dsData(ds[i]!).digest);
  }
  // A one-bit change in the key changes tag and digest.
  const d = dnskeyData(keys[0]!);
  const flipped = { ...d, key: Buffer.from(d.key) };
  flipped.key[10] = flipped.key[10]! ^ 1;
  assert.notEqual(keyTag(flipped), 20326);
  assert.notDeepEqual(dsDigest('.', flipped, 2), dsData(ds[0]!).digest);
  assert.equal(dsDigest('.', d, 3), undefined, 'GOST (3) is not a supported digest');
});

test('trust anchors: only DS/DNSKEY, closest anchor wins, negative anchors cover subtrees', () => {
  assert.throws(() => parseTrustAnchors('. IN A 192.0.2.1'), /must be DS or DNSKEY/);
  const anchors = parseTrustAnchors(`${ROOT_DS}example.com. 3600 IN DS 1 13 2 00\n`);
  assert.equal(closestAnchor(anchors, 'www.example.com')?.zone, 'example.com');
  assert.equal(closestAnchor(anchors, 'example.net')?.zone, '.');
  const nta = new NegativeTrustAnchors(['Broken.Example.']);
  assert.equal(nta.covers('a.broken.example'), 'broken.example');
  assert.equal(nta.covers('notbroken.example'), undefined);
});

test('canonical name order follows RFC 4034 §6.1', () => {
  const ordered = ['example', 'a.example', 'yljkjljk.a.example', 'Z.a.example', 'zABC.a.EXAMPLE', 'z.example', '*.z.example'];
  const shuffled = [...ordered].reverse().sort(compareNames);
  assert.deepEqual(shuffled, ['example', 'a.example', 'yljkjljk.a.example', 'Z.a.example', 'zABC.a.EXAMPLE', 'z.example', '*.z.example']);
  assert.equal(compareNames('.', 'com'), -1);
  assert.equal(compareNames('EXAMPLE', 'example'), 0);
  assert.deepEqual(nameWire('WWW.Example'), Buffer.from('03777777076578616d706c6500', 'hex'));
  assert.deepEqual(nameWire('.'), Buffer.from([0]));
});

test('RDATA names are lower-cased for signing where RFC 4034 §6.2 says so, and RRsets are ordered and deduplicated', () => {
  assert.deepEqual(rdataWire(rr('a.example. 60 IN MX 10 Mail.Example.')), rdataWire(rr('a.example. 60 IN MX 10 mail.example.')));
  const sig = { typeCovered: 'A', algorithm: 13, labels: 2, originalTTL: 60, expiration: 2, inception: 1, keyTag: 7, signersName: 'example', signature: Buffer.alloc(0) };
  const a = rr('a.example. 60 IN A 192.0.2.2');
  const b = rr('a.example. 300 IN A 192.0.2.1');
  const one = signedData(sig, 'a.example', [a, b]);
  const two = signedData(sig, 'A.EXAMPLE', [b, a, b]);
  assert.deepEqual(one, two);
  // Wildcard: a synthesised owner is replaced by "*.<labels>" (RFC 4035 §5.3.2).
  const expanded = signedData({ ...sig, labels: 1 }, 'a.example', [a]);
  const literal = signedData({ ...sig, labels: 1 }, '*.example', [a]);
  assert.deepEqual(expanded, literal);
});

test('base32hex matches RFC 4648 §10 vectors (lower case, no padding)', () => {
  const vectors: [string, string][] = [['', ''], ['f', 'co'], ['fo', 'cpng'], ['foo', 'cpnmu'], ['foob', 'cpnmuog'], ['fooba', 'cpnmuoj1'], ['foobar', 'cpnmuoj1e8']];
  for (const [plain, enc] of vectors) {
    assert.equal(base32hexEncode(Buffer.from(plain)), enc);
    assert.equal(base32hexDecode(enc.toUpperCase()).toString(), plain);
  }
});

test('NSEC3 hashes match RFC 5155 Appendix A (salt aabbccdd, 12 iterations)', () => {
  const salt = Buffer.from('aabbccdd', 'hex');
  const expect: Record<string, string> = {
    example: '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom',
    'a.example': '35mthgpgcu1qg68fab165klnsnk3dpvl',
    'ai.example': 'gjeqe526plbf1g8mklp59enfd789njgi',
    'x.w.example': 'b4um86eghhds6nea196smvmlo4ors995',
    '*.w.example': 'r53bq7cc2uvmubfu5ocmm6pers9tk9en',
  };
  for (const [name, hash] of Object.entries(expect)) assert.equal(base32hexEncode(nsec3Hash(name, salt, 12)), hash, name);
  assert.equal(base32hexEncode(nsec3Hash('A.EXAMPLE', salt, 12)), expect['a.example']);
});

test('RRSIG times parse as UTC and wrap as serial numbers', () => {
  assert.equal(parseSigTime('20400101000000'), 2208988800);
  assert.equal(parseSigTime('21100101000000'), Date.UTC(2110, 0, 1) / 1000 - 2 ** 32);
  assert.equal(parseSigTime('1700000000'), 1700000000);
});
