// The shared-cache value codec: round trips of every record shape the resolver caches, and
// garbage (wrong version, truncation, trailing bytes, foreign owner, random bytes) rejected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RR } from '../../src/dns/message.ts';
import { Rank } from '../../src/cache/record-cache.ts';
import { CorruptValueError, decodeValue, encodeValue, HEADER_BYTES, Offset, type CacheValue } from '../../src/shared-cache/codec.ts';

const exp = 1_900_000_000_123;
const soa: RR = { name: 'example.com', type: 'SOA', class: 'IN', ttl: 300, data: { mname: 'ns1.example.com', rname: 'h.example.com', serial: 7, refresh: 1800, retry: 900, expire: 604800, minimum: 60 } };
const sig = (covered: string): RR => ({
  name: 'www.example.com', type: 'RRSIG', class: 'IN', ttl: 300,
  data: { typeCovered: covered, algorithm: 13, labels: 3, originalTTL: 300, expiration: 1_800_000_000, inception: 1_700_000_000, keyTag: 12345, signersName: 'example.com', signature: Buffer.from('c2lnbmF0dXJl', 'base64') },
});

type RRsetValue = Extract<CacheValue, { kind: 'rrset' }>['rrset'];
const rrset = (records: RR[], over: Partial<RRsetValue> = {}): CacheValue => ({
  kind: 'rrset',
  ttl: 300,
  rrset: { name: records[0]!.name, type: typeNum(records[0]!.type), records, signatures: [], rank: Rank.AUTH_ANSWER, expiresAt: exp, status: 'unchecked', ...over } as RRsetValue,
});
const typeNum = (t: string) => ({ A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, DS: 43, DNSKEY: 48 })[t]!;

function roundTrip(v: CacheValue, name: string): CacheValue {
  const buf = encodeValue(v);
  const back = decodeValue(buf, name);
  // Encoding the decoded value again gives the same bytes: nothing was lost or invented.
  assert.ok(encodeValue(back).equals(buf));
  return back;
}

test('cache_codec: RRsets of many types round-trip with rank, status, TTL and expiry', () => {
  const cases: CacheValue[] = [
    rrset([{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }, { name: 'www.example.com', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.2' }], { signatures: [sig('A')], status: 'secure' }),
    rrset([{ name: 'www.example.com', type: 'AAAA', class: 'IN', ttl: 60, data: '2001:db8::1' }], { rank: Rank.GLUE, status: 'insecure' }),
    rrset([{ name: 'example.com', type: 'NS', class: 'IN', ttl: 86400, data: 'ns1.example.com' }], { rank: Rank.NONAUTH_AUTHORITY }),
    rrset([{ name: 'alias.example.com', type: 'CNAME', class: 'IN', ttl: 60, data: 'www.example.com' }], { status: 'indeterminate' }),
    rrset([{ name: 'example.com', type: 'MX', class: 'IN', ttl: 60, data: { preference: 10, exchange: 'mail.example.com' } }]),
    rrset([{ name: 'example.com', type: 'TXT', class: 'IN', ttl: 60, data: [Buffer.from('v=spf1 -all'), Buffer.from('')] }]),
    rrset([{ name: 'example.com', type: 'DS', class: 'IN', ttl: 60, data: { keyTag: 1, algorithm: 13, digestType: 2, digest: Buffer.alloc(32, 7) } }]),
    rrset([{ name: '.', type: 'NS', class: 'IN', ttl: 518400, data: 'a.root-servers.net' }]),
  ];
  for (const v of cases) {
    const back = roundTrip(v, v.kind === 'rrset' ? v.rrset.name : '');
    assert.ok(back.kind === 'rrset' && v.kind === 'rrset');
    assert.equal(back.rrset.rank, v.rrset.rank);
    assert.equal(back.rrset.status, v.rrset.status);
    assert.equal(back.rrset.expiresAt, exp);
    assert.equal(back.ttl, 300);
    assert.equal(back.rrset.records.length, v.rrset.records.length);
    assert.equal(back.rrset.signatures.length, v.rrset.signatures.length);
  }
});

test('cache_codec: negative answers keep their SOA and NSEC/NSEC3 proofs', () => {
  const nsec: RR = { name: 'a.example.com', type: 'NSEC', class: 'IN', ttl: 60, data: { nextDomain: 'c.example.com', rrtypes: ['A', 'RRSIG', 'NSEC'] } };
  const nsec3: RR = { name: 'abc.example.com', type: 'NSEC3', class: 'IN', ttl: 60, data: { algorithm: 1, flags: 0, iterations: 0, salt: Buffer.alloc(0), nextDomain: Buffer.alloc(20, 1), rrtypes: ['A'] } };
  for (const kind of ['nxdomain', 'nodata'] as const) {
    const v: CacheValue = { kind: 'negative', ttl: 60, negative: { name: 'b.example.com', type: kind === 'nodata' ? 28 : 0, kind, authority: [soa, sig('SOA'), nsec, nsec3], expiresAt: exp, status: 'secure' } };
    const back = roundTrip(v, 'b.example.com');
    assert.ok(back.kind === 'negative');
    assert.equal(back.negative.kind, kind);
    assert.equal(back.negative.type, kind === 'nodata' ? 28 : 0);
    assert.deepEqual(back.negative.authority.map((r) => r.type), ['SOA', 'RRSIG', 'NSEC', 'NSEC3']);
    assert.equal((back.negative.authority[0]!.data as { minimum: number }).minimum, 60);
  }
});

test('cache_codec: bogus data cannot be encoded', () => {
  assert.throws(() => encodeValue(rrset([{ name: 'x', type: 'A', class: 'IN', ttl: 1, data: '192.0.2.1' }], { status: 'bogus' })), /bogus/);
});

test('cache_codec: garbage is a CorruptValueError, never a crash or a wrong answer', () => {
  const good = encodeValue(rrset([{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }], { signatures: [sig('A')] }));
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const bad: [string, Buffer, string?][] = [
    ['empty', Buffer.alloc(0)],
    ['short header', good.subarray(0, HEADER_BYTES - 1)],
    ['wrong version', mutate((b) => (b[Offset.version] = 9))],
    ['unknown kind', mutate((b) => (b[Offset.kind] = 7))],
    ['rank out of range', mutate((b) => (b[Offset.rank] = 0))],
    ['bogus/unknown status', mutate((b) => (b[Offset.status] = 4))],
    ['truncated record', good.subarray(0, good.length - 3)],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])])],
    ['more records than bytes', mutate((b) => b.writeUInt16BE(5, Offset.count))],
    ['wrong type in header', mutate((b) => b.writeUInt16BE(28, Offset.type))],
    ['text', Buffer.from('hello, world: not a cache value at all')],
  ];
  for (const [what, buf] of bad) assert.throws(() => decodeValue(buf, 'www.example.com'), CorruptValueError, what);
  assert.throws(() => decodeValue(good, 'other.example.com'), CorruptValueError, 'a value under a foreign owner');
  // Random bytes with a valid-looking header: thousands of shapes, all rejected or decoded, never thrown otherwise.
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    for (let j = 0; j < 1 + (i % 6); j++) b[HEADER_BYTES + (rand() % (b.length - HEADER_BYTES))] = rand();
    try {
      decodeValue(b, 'www.example.com');
    } catch (err) {
      assert.ok(err instanceof CorruptValueError, String(err));
    }
  }
});
