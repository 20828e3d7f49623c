// RRSIG verification: every algorithm, validity windows in serial arithmetic, TTL caps, policy.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { RRset } from '../../src/cache/record-cache.ts';
import type { RR } from '../../src/dns/message.ts';
import { importPublicKey, isSupportedAlgorithm, parseRsaKey } from '../../src/dnssec/algorithms.ts';
import { Alg } from '../../src/dnssec/constants.ts';
import { Budget, DEFAULT_LIMITS, type Limits } from '../../src/dnssec/limits.ts';
import { serialDiff, verifyRRset } from '../../src/dnssec/rrsig.ts';
import { makeRrsig, signingKey, type SigningKey } from '../sim/signer.ts';
import { rr } from '../sim/zone.ts';

const NOW = 1_800_000_000;
const ALL = [Alg.RSASHA1, Alg.RSASHA1_NSEC3_SHA1, Alg.RSASHA256, Alg.RSASHA512, Alg.ECDSAP256SHA256, Alg.ECDSAP384SHA384, Alg.ED25519, Alg.ED448];

function keyRR(k: SigningKey): RR {
  return { name: 'example', type: 'DNSKEY', ttl: 3600, class: 'IN', data: k.dnskey } as RR;
}

function signedSet(k: SigningKey, records: RR[], inception = NOW - 60, expiration = NOW + 86400): RRset {
  return { name: records[0]!.name, type: 1, records, signatures: [makeRrsig(records, 'example', k, inception, expiration)] };
}

function ctx(limits: Partial<Limits> = {}, now = NOW) {
  return { now, budget: new Budget({ ...DEFAULT_LIMITS, ...limits }) };
}

const www = [rr('www.example. 300 IN A 192.0.2.1'), rr('www.example. 300 IN A 192.0.2.2')];

for (const alg of ALL) {
  test(`algorithm ${alg}: signer's signatures verify, a changed RR does not`, () => {
    const k = signingKey(alg, false);
    assert.equal(verifyRRset(signedSet(k, www), 'example', [keyRR(k)], ctx()).status, 'secure');
    const set = signedSet(k, www);
    set.records = [www[0]!, rr('www.example. 300 IN A 192.0.2.3')];
    const r = verifyRRset(set, 'example', [keyRR(k)], ctx());
    assert.equal(r.status === 'bogus' && r.ede.code, EdeCode.DNSSEC_BOGUS);
  });
}

test('record order, duplicates and letter case do not change what was signed (RFC 4034 §6)', () => {
  const k = signingKey(Alg.ECDSAP256SHA256, false);
  const set = signedSet(k, www);
  set.records = [www[1]!, www[0]!, www[1]!].map((r) => ({ ...r, name: 'www.example' }) as RR);
  assert.equal(verifyRRset(set, 'example', [keyRR(k)], ctx()).status, 'secure');
  const mx = [rr('example. 300 IN MX 10 Mail.Example.')];
  const mxSet = { ...signedSet(k, mx), type: 15 };
  mxSet.records = [rr('example. 300 IN MX 10 mail.example.')];
  assert.equal(verifyRRset(mxSet, 'example', [keyRR(k)], ctx()).status, 'secure');
});

test('TTL is capped by the original TTL and by the time left before expiration (RFC 4035 §5.3.3)', () => {
  const k = signingKey(Alg.ED25519, false);
  const r = verifyRRset(signedSet(k, www, NOW - 60, NOW + 100), 'example', [keyRR(k)], ctx());
  assert.deepEqual(r, { status: 'secure', ttl: 100 });
  const set = signedSet(k, www);
  set.records = www.map((x) => ({ ...x, ttl: 9999 }) as RR);
  assert.deepEqual(verifyRRset(set, 'example', [keyRR(k)], ctx()), { status: 'secure', ttl: 300 });
});

test('validity window: skew allowance, expiry, inception, serial-number wrap (RFC 4034 §3.1.5)', () => {
  const k = signingKey(Alg.ED25519, false);
  const keys = [keyRR(k)];
  assert.deepEqual(verifyRRset(signedSet(k, www, NOW - 9000, NOW - 200), 'example', keys, ctx()), { status: 'secure', ttl: 0 });
  const expired = verifyRRset(signedSet(k, www, NOW - 9000, NOW - 400), 'example', keys, ctx());
  assert.equal(expired.status === 'bogus' && expired.ede.code, EdeCode.SIGNATURE_EXPIRED);
  const early = verifyRRset(signedSet(k, www, NOW + 400, NOW + 9000), 'example', keys, ctx());
  assert.equal(early.status === 'bogus' && early.ede.code, EdeCode.SIGNATURE_NOT_YET_VALID);
  assert.equal(verifyRRset(signedSet(k, www, NOW + 200, NOW + 9000), 'example', keys, ctx()).status, 'secure');
  // Across the 2106 wrap: inception just before 2^32, expiration and now just after.
  const wrapNow = 2 ** 32 + 100;
  const wrapped = signedSet(k, www, 2 ** 32 - 100, (2 ** 32 + 5000) >>> 0);
  assert.equal(verifyRRset(wrapped, 'example', keys, ctx({}, wrapNow)).status, 'secure');
  assert.equal(serialDiff(5, 2 ** 32 - 5), 10);
});

test('signer, labels, key tag and zone bit must match', () => {
  const k = signingKey(Alg.ECDSAP256SHA256, false);
  const set = signedSet(k, www);
  assert.equal(verifyRRset(set, 'other', [keyRR(k)], ctx()).status, 'bogus');
  const other = signingKey(Alg.ECDSAP256SHA256, false, 7);
  const missing = verifyRRset(set, 'example', [keyRR(other)], ctx());
  assert.equal(missing.status === 'bogus' && missing.ede.code, EdeCode.DNSKEY_MISSING);
  const noZoneBit = { ...keyRR(k), data: { ...k.dnskey, flags: 0 } } as RR;
  assert.equal(verifyRRset(set, 'example', [noZoneBit], ctx()).status, 'bogus');
  const tooMany = { ...set, signatures: set.signatures.map((s) => ({ ...s, data: { ...(s.data as object), labels: 5 } }) as RR) };
  assert.equal(verifyRRset(tooMany, 'example', [keyRR(k)], ctx()).status, 'bogus');
  const none = verifyRRset({ ...set, signatures: [] }, 'example', [keyRR(k)], ctx());
  assert.equal(none.status === 'bogus' && none.ede.code, EdeCode.RRSIGS_MISSING);
});

test('a wildcard expansion is reported with the wildcard it came from', () => {
  const k = signingKey(Alg.ED25519, false);
  const wild = [rr('*.example. 300 IN A 192.0.2.7')];
  const sig = makeRrsig(wild, 'example', k, NOW - 60, NOW + 600);
  const expanded: RRset = { name: 'a.b.example', type: 1, records: [{ ...wild[0]!, name: 'a.b.example' } as RR], signatures: [{ ...sig, name: 'a.b.example' } as RR] };
  assert.deepEqual(verifyRRset(expanded, 'example', [keyRR(k)], ctx()), { status: 'secure', ttl: 300, wildcard: '*.example' });
  assert.deepEqual(verifyRRset({ name: '*.example', type: 1, records: wild, signatures: [sig] }, 'example', [keyRR(k)], ctx()), { status: 'secure', ttl: 300 });
});

test('algorithm policy: unknown algorithms, small RSA keys and (optionally) SHA-1 are unsupported', () => {
  assert.equal(isSupportedAlgorithm(3), false); // DSA
  assert.equal(isSupportedAlgorithm(12), false); // GOST
  assert.equal(isSupportedAlgorithm(Alg.RSASHA1, false), false);
  assert.equal(isSupportedAlgorithm(Alg.RSASHA1), true);
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 768 });
  const jwk = publicKey.export({ format: 'jwk' });
  const e = Buffer.from(jwk.e!, 'base64url');
  const small = Buffer.concat([Buffer.from([e.length]), e, Buffer.from(jwk.n!, 'base64url')]);
  assert.equal(parseRsaKey(small)?.n.length, 96);
  assert.equal(importPublicKey(Alg.RSASHA256, small), undefined);
  assert.ok(importPublicKey(Alg.RSASHA256, signingKey(Alg.RSASHA256, false).dnskey.key));
  assert.equal(importPublicKey(Alg.ED25519, Buffer.alloc(31)), undefined);
  const sha1 = signingKey(Alg.RSASHA1, false);
  const r = verifyRRset(signedSet(sha1, www), 'example', [keyRR(sha1)], ctx({ allowSha1Signatures: false }));
  assert.equal(r.status === 'bogus' && r.ede.code, EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM);
});
