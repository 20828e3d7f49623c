// Response-rate limiting and client limits: address parsing, the bounded bucket table, RRL
// verdicts with slip, and the pipeline applying them on the hot path and the slow path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inPrefixes, parseAddress, parsePrefix } from '../../src/policy/address.ts';
import { TokenTable } from '../../src/policy/buckets.ts';
import { OPT_COOKIE } from '../../src/policy/cookies.ts';
import { ExposureGuard } from '../../src/policy/guard.ts';
import { defaultRateLimit, type RateLimitOptions } from '../../src/policy/options.ts';
import { classify, Kind, ResponseRateLimiter, Verdict } from '../../src/policy/rrl.ts';
import { policyCounters } from '../../src/policy/stats.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { HotAnswers } from '../../src/server/hot-answers.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { questionEndOf, rawQuery, readReply } from './server-packets.ts';

const QEND = questionEndOf('www.example.com');

test('addresses read as numbers: IPv4, IPv6 with ::, zone index, embedded and mapped IPv4', () => {
  const w = new Uint32Array(4);
  assert.equal(parseAddress('192.0.2.77', w), 4);
  assert.equal(w[0], 0xc000024d);
  assert.equal(parseAddress('2001:db8::1', w), 6);
  assert.deepEqual([...w], [0x20010db8, 0, 0, 1]);
  assert.equal(parseAddress('fe80::1:2%eth0', w), 6);
  assert.deepEqual([...w], [0xfe800000, 0, 0, 0x00010002]);
  assert.equal(parseAddress('::ffff:198.51.100.7', w), 4);
  assert.equal(w[0], 0xc6336407);
  assert.equal(parseAddress('::1', w), 6);
  assert.deepEqual([...w], [0, 0, 0, 1]);
  assert.equal(parseAddress('64:ff9b::192.0.2.1', w), 6);
  assert.deepEqual([...w], [0x0064ff9b, 0, 0, 0xc0000201]);
  for (const bad of ['', '1.2.3', '1.2.3.256', '1.2.3.4.5', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', ':1', '1:']) {
    assert.equal(parseAddress(bad, w), 0, bad);
  }
  const exempt = ['127.0.0.0/8', '::1/128', '2001:db8:1::/48'].map((p) => parsePrefix(p)!);
  const at = (a: string): boolean => inPrefixes(parseAddress(a, w) as 4 | 6, w, exempt);
  assert.equal(at('127.9.9.9'), true);
  assert.equal(at('128.0.0.1'), false);
  assert.equal(at('::1'), true);
  assert.equal(at('::2'), false);
  assert.equal(at('2001:db8:1:ffff::5'), true);
  assert.equal(at('2001:db8:2::5'), false);
  assert.equal(parsePrefix('10.0.0.0/33'), undefined);
  assert.equal(parsePrefix('nonsense'), undefined);
});

test('the bucket table is bounded: more keys than room evict the least recently used', () => {
  const table = new TokenTable(64);
  assert.equal(table.capacity, 64);
  for (let i = 0; i < 1000; i++) table.slot(i, 0, 0, 1, 5, i);
  assert.ok(table.evictions >= 1000 - 64, `${table.evictions} evictions`);
  // A key that is in the table keeps its slot and its tokens.
  const s = table.slot(5000, 0, 0, 1, 2, 2000);
  assert.equal(table.take(s, 1, 2, 2000), true);
  assert.equal(table.take(table.slot(5000, 0, 0, 1, 2, 2000), 1, 2, 2000), true);
  assert.equal(table.take(table.slot(5000, 0, 0, 1, 2, 2000), 1, 2, 2000), false, 'two tokens, then none');
  assert.equal(table.take(table.slot(5000, 0, 0, 1, 2, 3000), 1, 2, 3000), true, 'one second refills one');
});

function options(over: Partial<RateLimitOptions> = {}): RateLimitOptions {
  return { ...defaultRateLimit, exempt: [], ...over };
}

/** A reply header with `rcode` and `ancount`, and the question of `name`. */
function replyFor(name: string, rcode: number, ancount: number): Buffer {
  const r = rawQuery({ name });
  r.writeUInt16BE(0x8180 | rcode, 2);
  r.writeUInt16BE(ancount, 6);
  return r;
}

test('responses are classified as BIND RRL does: answer, NODATA, NXDOMAIN, error', () => {
  assert.equal(classify(replyFor('a.example', 0, 1)), Kind.ANSWER);
  assert.equal(classify(replyFor('a.example', 0, 0)), Kind.NODATA);
  assert.equal(classify(replyFor('a.example', 3, 0)), Kind.NXDOMAIN);
  assert.equal(classify(replyFor('a.example', 2, 0)), Kind.ERROR);
  assert.equal(classify(replyFor('a.example', 5, 0)), Kind.ERROR);
});

test('RRL: a /24 gets `rate` identical answers a second; the excess is dropped except every slip-th', () => {
  const rrl = new ResponseRateLimiter(options({ responsesPerSecond: 5, slip: 2 }), new TokenTable(1024));
  const w = new Uint32Array(4);
  const verdicts: number[] = [];
  for (let i = 0; i < 15; i++) {
    parseAddress(`198.51.100.${i}`, w); // all in one /24
    verdicts.push(rrl.judge(replyFor('www.example', 0, 1), 4, w, 1000));
  }
  assert.deepEqual(verdicts.slice(0, 5), Array(5).fill(Verdict.SEND));
  assert.deepEqual(verdicts.slice(5), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2].map((v) => (v === 1 ? Verdict.DROP : Verdict.SLIP)));
  // Another /24, another question, another kind: buckets of their own.
  parseAddress('198.51.101.1', w);
  assert.equal(rrl.judge(replyFor('www.example', 0, 1), 4, w, 1000), Verdict.SEND);
  parseAddress('198.51.100.1', w);
  assert.equal(rrl.judge(replyFor('other.example', 0, 1), 4, w, 1000), Verdict.SEND);
  assert.equal(rrl.judge(replyFor('www.example', 3, 0), 4, w, 1000), Verdict.SEND);
  // A second later the bucket has refilled by `rate`.
  assert.equal(rrl.judge(replyFor('www.example', 0, 1), 4, w, 2000), Verdict.SEND);
});

test('RRL: NXDOMAIN counts per prefix alone (a random-subdomain flood shares one bucket); IPv6 per /56', () => {
  const rrl = new ResponseRateLimiter(options({ nxdomainsPerSecond: 3, slip: 0 }), new TokenTable(1024));
  const w = new Uint32Array(4);
  parseAddress('2001:db8:0:aa00::1', w);
  const sent = [0, 1, 2, 3, 4].map((i) => rrl.judge(replyFor(`r${i}.example`, 3, 0), 6, w, 0));
  assert.deepEqual(sent, [Verdict.SEND, Verdict.SEND, Verdict.SEND, Verdict.DROP, Verdict.DROP]);
  parseAddress('2001:db8:0:aaff::9', w); // same /56
  assert.equal(rrl.judge(replyFor('r9.example', 3, 0), 6, w, 0), Verdict.DROP);
  parseAddress('2001:db8:0:ab00::1', w); // next /56
  assert.equal(rrl.judge(replyFor('r9.example', 3, 0), 6, w, 0), Verdict.SEND);
});

const answer: Resolution = { kind: 'answer', answer: [{ name: 'www.example.com', type: 'TXT', class: 'IN', ttl: 300, data: ['x'.repeat(200), 'y'.repeat(200), 'z'.repeat(200)] }], authority: [] };

function setup(over: Partial<RateLimitOptions> = {}, cookies = { enabled: true, requireOverUdp: false }, resolve?: () => Promise<Resolution>) {
  const clock = new ManualClock();
  let calls = 0;
  const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 60_000 }, clock);
  const guard = new ExposureGuard({ rateLimit: options(over), cookies: { ...cookies, secret: Buffer.alloc(16, 1), previousSecret: undefined } });
  const pipeline = createPipeline({
    resolve: resolve ?? (async () => {
      calls++;
      return answer;
    }),
    log: silentLogger,
    hot,
    guard,
    clock,
  });
  return { pipeline, clock, guard, calls: () => calls };
}

const big = (id = 1): Buffer => rawQuery({ id, name: 'www.example.com', qtype: 16, edns: { dnssecOk: true } });

test('the hot path limits a spoofable source to rate + slips: far fewer bytes out than in', async () => {
  const s = setup({ responsesPerSecond: 10, slip: 2, clientQueriesPerSecond: 0 });
  const slippedBefore = policyCounters.rrl[Kind.ANSWER * 2 + 1]!;
  const droppedBefore = policyCounters.rrl[Kind.ANSWER * 2]!;
  assert.ok(await s.pipeline.handle(big(), 1232, 0, '203.0.113.9'));
  let bytesIn = 0;
  let bytesOut = 0;
  let full = 0;
  let truncated = 0;
  for (let i = 0; i < 1000; i++) {
    s.clock.advance(1); // 1000 queries a second
    const q = big(i);
    bytesIn += q.length;
    const r = s.pipeline.fromHot(q, 1232, `203.0.113.${i % 250}`);
    assert.notEqual(r, undefined, 'every query is a hit');
    if (!r) continue;
    bytesOut += r.length;
    const v = readReply(r);
    if (v.tc) {
      truncated++;
      assert.equal(v.ancount, 0);
    } else full++;
  }
  assert.ok(full <= 20, `${full} full answers in one second at a rate of 10`);
  assert.ok(truncated >= 450 && truncated <= 500, `${truncated} slips`);
  assert.ok(bytesOut / bytesIn < 3, `amplification ${(bytesOut / bytesIn).toFixed(2)}`);
  assert.equal(s.calls(), 1);
  assert.equal(policyCounters.rrl[Kind.ANSWER * 2 + 1]! - slippedBefore, truncated, 'slips counted (metrics)');
  assert.equal(policyCounters.rrl[Kind.ANSWER * 2]! - droppedBefore, 1000 - full - truncated, 'drops counted');
});

test('exempt sources (loopback by default) and TCP are never response-rate limited', async () => {
  const s = setup({ responsesPerSecond: 1, clientQueriesPerSecond: 0, exempt: [parsePrefix('127.0.0.0/8')!] });
  await s.pipeline.handle(big(), 1232, 0, '127.0.0.1');
  for (let i = 0; i < 50; i++) {
    const loop = s.pipeline.fromHot(big(i), 1232, '127.0.0.1');
    assert.ok(loop && !readReply(loop).tc);
    const tcp = s.pipeline.fromHot(big(i), null, '198.51.100.1');
    assert.ok(tcp && !readReply(tcp).tc);
  }
});

/** `query` with a COOKIE option carrying `data`. */
function withCookie(query: Buffer, data: Buffer): Buffer {
  const option = Buffer.alloc(4 + data.length);
  option.writeUInt16BE(OPT_COOKIE, 0);
  option.writeUInt16BE(data.length, 2);
  data.copy(option, 4);
  const q = Buffer.from(query);
  q.writeUInt16BE(option.length, q.length - 2);
  return Buffer.concat([q, option]);
}

/** The COOKIE option data at the end of a reply (its last option). */
function replyCookie(reply: Buffer): Buffer {
  const data = reply.subarray(reply.length - 24);
  assert.equal(reply.readUInt16BE(reply.length - 28), OPT_COOKIE, 'the reply ends with a COOKIE option');
  return data;
}

test('a client with a valid server cookie is exempt from RRL; one without gets BADCOOKIE slips, then proves itself', async () => {
  const s = setup({ responsesPerSecond: 2, slip: 1, clientQueriesPerSecond: 0 });
  const client = Buffer.from('0102030405060708', 'hex');
  const first = await s.pipeline.handle(withCookie(big(), client), 1232, 0, '198.51.100.20');
  assert.ok(first);
  const cookie = replyCookie(first);
  assert.deepEqual(cookie.subarray(0, 8), client, 'client cookie echoed');
  assert.equal(cookie[8], 1, 'RFC 9018 version 1');
  // Without a valid server cookie the client is limited; its slip is BADCOOKIE with a fresh cookie.
  let badCookies = 0;
  for (let i = 0; i < 10; i++) {
    const r = s.pipeline.fromHot(withCookie(big(i), client), 1232, '198.51.100.20');
    assert.ok(r);
    const v = readReply(r, QEND);
    if (v.rcode === 7 && v.opt?.extendedRcode === 1) {
      badCookies++;
      assert.equal(v.ancount, 0);
      assert.deepEqual(replyCookie(r).subarray(0, 8), client);
    }
  }
  assert.ok(badCookies >= 8, `${badCookies} BADCOOKIE slips`);
  // With the server cookie it got, every answer goes out in full.
  for (let i = 0; i < 50; i++) {
    const r = s.pipeline.fromHot(withCookie(big(i), cookie), 1232, '198.51.100.20');
    assert.ok(r);
    const v = readReply(r);
    assert.equal(v.rcode, 0);
    assert.equal(v.ancount, 1);
  }
  // The same cookie from another address proves nothing.
  const stolen = s.pipeline.fromHot(withCookie(big(), cookie), 1232, '198.51.100.21');
  assert.ok(stolen);
});

test('RFC 7873 §5.2.2: a COOKIE option of a bad length is FORMERR on every path', async () => {
  const s = setup();
  await s.pipeline.handle(big(), 1232, 0, '198.51.100.1');
  const bad = withCookie(big(), Buffer.alloc(12));
  assert.equal(s.pipeline.fromHot(bad, 1232, '198.51.100.1'), undefined, 'the hot path leaves it to the slow path');
  const r = await s.pipeline.handle(bad, 1232, 0, '198.51.100.1');
  assert.equal(readReply(r!).rcode, 1);
  const tcp = await s.pipeline.handle(bad, null, 0, '198.51.100.1');
  assert.equal(readReply(tcp!).rcode, 1);
});

test('requireOverUdp: a UDP query without a valid server cookie gets BADCOOKIE; TCP is answered', async () => {
  const s = setup({}, { enabled: true, requireOverUdp: true });
  const client = Buffer.from('1112131415161718', 'hex');
  const udp = await s.pipeline.handle(withCookie(big(), client), 1232, 0, '198.51.100.1');
  const v = readReply(udp!, QEND);
  assert.equal(v.rcode | (v.opt!.extendedRcode << 4), 23);
  assert.equal(s.calls(), 0, 'nothing was resolved');
  const cookie = replyCookie(udp!);
  const again = await s.pipeline.handle(withCookie(big(), cookie), 1232, 0, '198.51.100.1');
  assert.equal(readReply(again!).ancount, 1);
  const tcp = await s.pipeline.handle(withCookie(big(), client), null, 0, '198.51.100.1');
  assert.equal(readReply(tcp!).ancount, 1);
});

test('client query rate: UDP over it is dropped, TCP over it is REFUSED', async () => {
  const s = setup({ clientQueriesPerSecond: 3, responsesPerSecond: 0, nodataPerSecond: 0, nxdomainsPerSecond: 0, errorsPerSecond: 0 });
  const udp = [];
  for (let i = 0; i < 5; i++) udp.push(await s.pipeline.handle(big(i), 1232, 0, '192.0.2.1'));
  assert.equal(udp.filter((r) => r !== undefined).length, 3);
  const tcp = await s.pipeline.handle(big(), null, 0, '192.0.2.1');
  assert.equal(readReply(tcp!).rcode, 5);
  const other = await s.pipeline.handle(big(), null, 0, '192.0.2.2');
  assert.equal(readReply(other!).rcode, 0, 'another client has its own rate');
});

test('client in-flight cap: the excess of one client is refused while others resolve', async () => {
  const waiting: (() => void)[] = [];
  const s = setup({ clientMaxInFlight: 2, clientQueriesPerSecond: 0 }, undefined, () => new Promise<Resolution>((resolve) => waiting.push(() => resolve(answer))));
  const first = [1, 2].map((i) => s.pipeline.handle(rawQuery({ id: i, name: `n${i}.example.com` }), null, 0, '192.0.2.1'));
  const third = await s.pipeline.handle(rawQuery({ id: 3, name: 'n3.example.com' }), null, 0, '192.0.2.1');
  assert.equal(readReply(third!).rcode, 5, 'the third in flight is refused');
  const dropped = await s.pipeline.handle(rawQuery({ id: 4, name: 'n4.example.com' }), 1232, 0, '192.0.2.1');
  assert.equal(dropped, undefined, 'over UDP it is dropped');
  const other = s.pipeline.handle(rawQuery({ id: 5, name: 'n5.example.com' }), null, 0, '192.0.2.99');
  assert.equal(waiting.length, 3, 'another client resolves');
  for (const w of waiting) w();
  for (const r of [...(await Promise.all(first)), await other]) assert.equal(readReply(r!).rcode, 0);
  assert.equal(s.guard.clients.clientsInFlight, 0, 'every count went back');
});
