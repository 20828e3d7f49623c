// allowFrom: prefixes to numeric ranges, the allocation-free address reader, defaults, proxies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { Acl, DEFAULT_ALLOW_FROM, isLoopback, parsePrefix } from '../../src/policy/acl.ts';
import { parseAddress } from '../../src/policy/address.ts';
import { clientAddress } from '../../src/doh/client.ts';

test('the default list allows loopback, RFC 1918, RFC 6598, ULA and link-local, and nothing else', () => {
  const acl = Acl.from(DEFAULT_ALLOW_FROM);
  for (const a of ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '100.127.255.255', '169.254.3.4', '::1', 'fd00::53', 'fc00::1', 'fe80::1%eth0', '::ffff:10.0.0.1']) {
    assert.equal(acl.allows(a), true, a);
  }
  for (const a of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '2001:db8::1', '::2', '::', 'fe00::1', '::ffff:8.8.8.8', '', 'not-an-address', '1.2.3', '1.2.3.4.5', '256.1.1.1']) {
    assert.equal(acl.allows(a), false, a);
  }
  assert.equal(acl.allowsEveryone, false);
});

test('0.0.0.0/0 and ::/0 allow everyone of their family and are reported as open', () => {
  const v4 = Acl.from(['0.0.0.0/0']);
  assert.equal(v4.allows('203.0.113.9'), true);
  assert.equal(v4.allows('2001:db8::1'), false);
  assert.equal(v4.allowsEveryone, true);
  assert.equal(Acl.from(['::/0']).allows('2001:db8::1'), true);
});

test('bad prefixes are rejected', () => {
  for (const t of ['10.0.0.0/33', '::/129', '10.0.0/8', '1::2::3/64', 'fe80::1%eth0/64', '::ffff:1.2.3.4/128', '10.0.0.0/', '10.0.0.0/-1', 'x']) {
    assert.equal(parsePrefix(t), undefined, t);
  }
  assert.throws(() => Acl.from(['10.0.0.0/8', 'nope']), /"nope" is not an address prefix/);
  assert.equal(isLoopback('127.0.0.53'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('0.0.0.0'), false);
  assert.equal(isLoopback('::'), false);
});

/** node:net's BlockList is the reference: it parses every address itself. */
function reference(prefixes: string[]): BlockList {
  const list = new BlockList();
  for (const p of prefixes) {
    const [a, bits] = p.split('/');
    const family = isIP(a!) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(a!, Number(bits), family);
  }
  return list;
}

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
/** Compressed forms too: zero runs that `::` must expand back. */
const v6z = fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 }).map((g) => {
  const full = g.map((x) => x.toString(16)).join(':');
  return full.replace(/(^|:)0(:0)+(:|$)/, '::');
});

test('fuzz: allows() agrees with node:net BlockList on random prefixes and addresses', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.tuple(v4, fc.nat(32)).map(([a, b]) => `${a}/${b}`), fc.tuple(v6z, fc.nat(128)).map(([a, b]) => `${a}/${b}`)), { maxLength: 6 }),
      fc.array(fc.oneof(v4, v6, v6z), { minLength: 1, maxLength: 10 }),
      (all, addresses) => {
        // A prefix inside the IPv4-mapped space is refused at load (its own test below).
        const prefixes = all.filter((p) => !(/^::ffff:/i.test(p) && Number(p.split('/')[1]) >= 96));
        const acl = Acl.from(prefixes);
        // BlockList mixes the families (::/0 matches IPv4 too): one list per family as reference.
        const ref4 = reference(prefixes.filter((p) => isIP(p.split('/')[0]!) === 4));
        const ref6 = reference(prefixes.filter((p) => isIP(p.split('/')[0]!) === 6));
        for (const a of addresses) {
          // andns reads IPv4-mapped IPv6 as IPv4 (acl.ts); compare on unmapped text only.
          if (/^(::ffff:|0:0:0:0:0:ffff:)/i.test(a)) continue;
          const six = isIP(a) === 6;
          assert.equal(acl.allows(a), (six ? ref6 : ref4).check(a, six ? 'ipv6' : 'ipv4'), `${a} vs ${prefixes.join(',')}`);
        }
      },
    ),
    { numRuns: 2_000 },
  );
});

test('IPv4-mapped prefixes: inside the mapped space refused (clients there read as IPv4), shorter ones are IPv6', () => {
  assert.throws(() => Acl.from(['::ffff:0:0/96']), /::ffff:0:0\/96/);
  assert.throws(() => Acl.from(['::ffff:a00:0/104']), /not an address prefix/);
  const all = Acl.from(['::ffff:0:0/0']);
  assert.equal(all.allows('::'), true);
  assert.equal(all.allows('2001:db8::1'), true);
  assert.equal(all.allows('10.0.0.1'), false, 'an IPv6 /0 admits no IPv4 client');
  const low = Acl.from(['::ffff:0:0/80']);
  assert.equal(low.allows('::1'), true);
  assert.equal(low.allows('1::'), false);
});

test('fuzz: the reader accepts exactly what node:net calls an address', () => {
  const out = new Uint32Array(4);
  fc.assert(
    fc.property(fc.oneof(v4, v6z, fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.'), maxLength: 45 })), (text) => {
      assert.equal(parseAddress(text, out) !== 0, isIP(text) !== 0, text);
    }),
    { numRuns: 5_000 },
  );
});

test('DoH behind a proxy: headers count only from a trusted proxy, read from the right', () => {
  const proxies = Acl.from(['127.0.0.1/32', '10.9.0.0/16']);
  // Not trusted: the header is the client's own word.
  assert.equal(clientAddress('203.0.113.5', undefined, '10.0.0.1', proxies), '203.0.113.5');
  assert.equal(clientAddress('203.0.113.5', undefined, '10.0.0.1', undefined), '203.0.113.5');
  // Trusted: the rightmost entry that is not a trusted proxy.
  assert.equal(clientAddress('127.0.0.1', undefined, '198.51.100.7', proxies), '198.51.100.7');
  assert.equal(clientAddress('127.0.0.1', undefined, '10.0.0.1, 198.51.100.7, 10.9.1.1', proxies), '198.51.100.7');
  assert.equal(clientAddress('127.0.0.1', 'for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"', '8.8.8.8', proxies), '2001:db8::1');
  assert.equal(clientAddress('127.0.0.1', 'For="192.0.2.43:47011"', undefined, proxies), '192.0.2.43');
  assert.equal(clientAddress('127.0.0.1', 'for=unknown', undefined, proxies), 'unknown');
  assert.equal(clientAddress('127.0.0.1', undefined, undefined, proxies), '127.0.0.1');
  assert.equal(Acl.from(DEFAULT_ALLOW_FROM).allows('unknown'), false);
});
