// The hot wire-format tier: a hit gives the same bytes the slow path encodes, with the client's
// ID and question case, TTLs counted down from absolute expiry; bounded; flushable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { RR } from '../../src/dns/message.ts';
import { peekQuery, type QueryView } from '../../src/dns/wire.ts';
import { HotAnswers, hotKey } from '../../src/server/hot-answers.ts';
import { encodeReply } from '../../src/server/reply.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { rawQuery } from './server-packets.ts';

const answer: RR[] = [
  { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 600, data: 'web.example.net' },
  { name: 'web.example.net', type: 'A', class: 'IN', ttl: 120, data: '192.0.2.7' },
];
const soa: RR = { name: 'example.net', type: 'SOA', class: 'IN', ttl: 60, data: { mname: 'ns.example.net', rname: 'h.example.net', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 60 } };

function view(buf: Buffer): QueryView {
  const r = peekQuery(buf);
  assert.ok(r.ok);
  return r.query;
}

const opts = { maxBytes: 1 << 20, maxAgeMs: 3_600_000 };

test('a hit is byte-identical to the slow path and keeps the client ID and 0x20 case', () => {
  const clock = new ManualClock();
  const hot = new HotAnswers(opts, clock);
  for (const edns of [undefined, { udpSize: 1232, dnssecOk: false }]) {
    const first = rawQuery({ id: 1, name: 'www.example.com', ...(edns ? { edns } : {}) });
    hot.store(hotKey(view(first)), 0, 0, answer, []);
    const client = rawQuery({ id: 0xbeef, name: 'wWw.ExAmple.cOm', ...(edns ? { edns } : {}) });
    const v = view(client);
    const hit = hot.reply(client, v, hotKey(v), 65_535);
    assert.ok(hit);
    const slow = encodeReply(client, v, { rcode: 0, answer, authority: [], ede: undefined }, 65_535);
    assert.deepEqual(hit, slow);
    assert.equal(hit.readUInt16BE(0), 0xbeef);
    assert.equal(dnsPacket.decode(hit).questions![0]!.name, 'wWw.ExAmple.cOm');
  }
});

test('TTLs count down from absolute expiry; the entry ends with its shortest TTL', () => {
  const clock = new ManualClock();
  const hot = new HotAnswers(opts, clock);
  const q = rawQuery({ name: 'www.example.com' });
  const key = hotKey(view(q));
  hot.store(key, 0, 0, answer, []);
  clock.advance(100_500);
  const reply = dnsPacket.decode(hot.reply(q, view(q), key, 65_535)!);
  assert.deepEqual(reply.answers!.map((a) => (a as { ttl: number }).ttl), [500, 20]);
  clock.advance(20_000);
  assert.equal(hot.reply(q, view(q), key, 65_535), undefined);
});

test('negative answers keep their rcode and SOA; an answer too big for the client is a miss', () => {
  const clock = new ManualClock();
  const hot = new HotAnswers(opts, clock);
  const q = rawQuery({ name: 'nope.example.net' });
  const key = hotKey(view(q));
  hot.store(key, 3, 0, [], [soa]);
  const reply = dnsPacket.decode(hot.reply(q, view(q), key, 512)!);
  assert.equal((reply as { rcode?: string }).rcode, 'NXDOMAIN');
  assert.equal(reply.authorities![0]!.type, 'SOA');
  assert.equal(hot.reply(q, view(q), key, 40), undefined);
});

test('the tier is bounded in bytes, least recently used first; flush drops a name or a subtree', () => {
  const clock = new ManualClock();
  const hot = new HotAnswers({ maxBytes: 900, maxAgeMs: 60_000 }, clock);
  const keyOf = (name: string) => hotKey(view(rawQuery({ name })));
  for (const n of ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com']) {
    hot.store(keyOf(n), 0, 0, [{ name: n, type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }], []);
  }
  assert.ok(hot.size < 4, `bounded: ${hot.size} entries`);
  const q = rawQuery({ name: 'd.example.com' });
  assert.ok(hot.reply(q, view(q), keyOf('d.example.com'), 512), 'the newest stays');
  assert.equal(hot.flush('d.example.com'), 1);
  hot.store(keyOf('x.sub.example.org'), 0, 0, [{ name: 'x.sub.example.org', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }], []);
  assert.equal(hot.flush('example.org', true), 1);
});

test('maxAge caps how long an entry is served without looking at the shared tier again', () => {
  const clock = new ManualClock();
  const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 5_000 }, clock);
  const q = rawQuery({ name: 'www.example.com' });
  const key = hotKey(view(q));
  hot.store(key, 0, 0, answer, []);
  clock.advance(4_000);
  assert.ok(hot.reply(q, view(q), key, 65_535));
  clock.advance(1_001);
  assert.equal(hot.reply(q, view(q), key, 65_535), undefined);
});
