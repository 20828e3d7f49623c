// Server cookies: SipHash-2-4 against the reference vectors, the RFC 9018 Appendix A cookies
// byte for byte (IPv4, IPv6, a rolled secret), and the RFC 7873 §5.2 statuses and lengths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../../src/policy/address.ts';
import { CookieStatus, locateCookie, OPT_COOKIE, ServerCookies } from '../../src/policy/cookies.ts';
import { siphash24 } from '../../src/policy/siphash.ts';
import { rawQuery } from './server-packets.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('SipHash-2-4 matches the reference implementation (key 00..0f, input 00..n-1)', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const expected = ['310e0edd47db6f72', 'fd67dc93c539f874'];
  expected.forEach((want, n) => {
    const out = Buffer.alloc(8);
    siphash24(key, Uint8Array.from({ length: n }, (_, i) => i), n, out, 0);
    assert.equal(out.toString('hex'), want, `input of ${n} bytes`);
  });
});

/** A query carrying a COOKIE option with `data`. */
function withCookie(data: Buffer): Buffer {
  const q = rawQuery({ name: 'example.com', edns: {} });
  const option = Buffer.alloc(4 + data.length);
  option.writeUInt16BE(OPT_COOKIE, 0);
  option.writeUInt16BE(data.length, 2);
  data.copy(option, 4);
  q.writeUInt16BE(option.length, q.length - 2); // OPT rdlength
  return Buffer.concat([q, option]);
}
const QUESTION_END = 12 + 13 + 4; // example.com

function inspect(secret: string, previous: string | undefined, cookie: string, client: string, now: number) {
  const cookies = new ServerCookies({ current: hex(secret), previous: previous ? hex(previous) : undefined });
  const words = new Uint32Array(4);
  const family = parseAddress(client, words) as 4 | 6;
  const status = cookies.inspect(withCookie(hex(cookie)), QUESTION_END, family, words, now);
  return { status, reply: cookies.option.subarray(4).toString('hex') };
}

test('RFC 9018 A.1: a client cookie alone gets the server cookie of the example', () => {
  const r = inspect('e5e973e5a6b2a43f48e7dc849e37bfcf', undefined, '2464c4abcf10c957', '198.51.100.100', 1559731985);
  assert.equal(r.status, CookieStatus.CLIENT_ONLY);
  assert.equal(r.reply, '2464c4abcf10c957010000005cf79f111f8130c3eee29480');
});

test('RFC 9018 A.2: the cookie returned 40 minutes later is valid and renewed', () => {
  const r = inspect('e5e973e5a6b2a43f48e7dc849e37bfcf', undefined, '2464c4abcf10c957010000005cf79f111f8130c3eee29480', '198.51.100.100', 1559734385);
  assert.equal(r.status, CookieStatus.VALID);
  assert.equal(r.reply, '2464c4abcf10c957010000005cf7a871d4a564a1442aca77');
});

test('RFC 9018 A.3: reserved octets the client sent are hashed as sent; the fresh cookie zeroes them', () => {
  const cookie = 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5'; // stamped 1559727985
  const fresh = inspect('e5e973e5a6b2a43f48e7dc849e37bfcf', undefined, cookie, '203.0.113.203', 1559727985 + 60);
  assert.equal(fresh.status, CookieStatus.VALID, 'valid within its hour');
  // The example answers 1 h 52 min after the stamp: past the hour, not accepted, but renewed as shown.
  const r = inspect('e5e973e5a6b2a43f48e7dc849e37bfcf', undefined, cookie, '203.0.113.203', 1559734700);
  assert.equal(r.status, CookieStatus.BAD);
  assert.equal(r.reply, 'fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e');
  const elsewhere = inspect('e5e973e5a6b2a43f48e7dc849e37bfcf', undefined, cookie, '203.0.113.204', 1559727985 + 60);
  assert.equal(elsewhere.status, CookieStatus.BAD, 'the same cookie from another address is not ours');
});

test('RFC 9018 A.4: an IPv6 client after a rotation: the previous secret still verifies, the new one signs', () => {
  const cookie = '22681ab97d52c298010000005cf7c57926556bd0934c72f8';
  const client = '2001:db8:220:1:59de:d0f4:8769:82b8';
  const rotated = inspect('445536bcd2513298075a5d379663c962', 'dd3bdf9344b678b185a6f5cb60fca715', cookie, client, 1559741961);
  assert.equal(rotated.status, CookieStatus.VALID);
  assert.equal(rotated.reply, '22681ab97d52c298010000005cf7c609a6bb79d16625507a');
  const forgotten = inspect('445536bcd2513298075a5d379663c962', undefined, cookie, client, 1559741961);
  assert.equal(forgotten.status, CookieStatus.BAD, 'without the previous secret the old cookie is not ours');
});

test('RFC 9018 §4.3: a cookie older than an hour or more than 5 minutes ahead is not accepted', () => {
  const cookie = '2464c4abcf10c957010000005cf79f111f8130c3eee29480'; // stamped 1559731985
  const ip = '198.51.100.100';
  const secret = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
  assert.equal(inspect(secret, undefined, cookie, ip, 1559731985 + 3600).status, CookieStatus.VALID);
  assert.equal(inspect(secret, undefined, cookie, ip, 1559731985 + 3601).status, CookieStatus.BAD);
  assert.equal(inspect(secret, undefined, cookie, ip, 1559731985 - 300).status, CookieStatus.VALID);
  assert.equal(inspect(secret, undefined, cookie, ip, 1559731985 - 301).status, CookieStatus.BAD);
});

test('RFC 7873 §5.2.2: COOKIE lengths other than 8 or 16..40 are malformed; no option is NONE', () => {
  for (const [length, status] of [[0, CookieStatus.MALFORMED], [7, CookieStatus.MALFORMED], [8, CookieStatus.CLIENT_ONLY], [9, CookieStatus.MALFORMED], [15, CookieStatus.MALFORMED], [16, CookieStatus.CLIENT_ONLY], [40, CookieStatus.CLIENT_ONLY], [41, CookieStatus.MALFORMED]] as const) {
    assert.equal(locateCookie(withCookie(Buffer.alloc(length, 7)), QUESTION_END), status, `${length} octets`);
  }
  assert.equal(locateCookie(rawQuery({ name: 'example.com', edns: {} }), QUESTION_END), CookieStatus.NONE);
  assert.equal(locateCookie(rawQuery({ name: 'example.com' }), QUESTION_END), CookieStatus.NONE);
  // An option that claims more bytes than its record holds: no cookie (the parser judges the message).
  const broken = withCookie(Buffer.alloc(8));
  broken.writeUInt16BE(200, broken.length - 10);
  assert.equal(locateCookie(broken, QUESTION_END), CookieStatus.NONE);
});

test('a server cookie of another format (not 16 bytes, version ≠ 1) is BAD, never VALID', () => {
  const secret = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
  assert.equal(inspect(secret, undefined, '2464c4abcf10c957' + '00'.repeat(8), '198.51.100.100', 1559731985).status, CookieStatus.BAD);
  assert.equal(inspect(secret, undefined, '2464c4abcf10c957020000005cf79f111f8130c3eee29480', '198.51.100.100', 1559731985).status, CookieStatus.BAD);
});
