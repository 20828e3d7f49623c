// The in-process RRset cache: ranks, TTL countdown and caps, negative answers, bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RR } from '../../src/dns/message.ts';
import { MemoryRecordCache, Rank, withRemainingTtl } from '../../src/cache/record-cache.ts';
import { defaultCacheOptions } from '../../src/cache/options.ts';
import { ManualClock } from '../../src/util/clock.ts';

const a = (name: string, ip: string, ttl = 300): RR => ({ name, type: 'A', class: 'IN', ttl, data: ip });
const soa: RR = { name: 'example.com', type: 'SOA', class: 'IN', ttl: 600, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } };

function setup(over = {}) {
  const clock = new ManualClock();
  return { clock, cache: new MemoryRecordCache({ ...defaultCacheOptions, ...over }, clock) };
}

test('an RRset expires at an absolute time and its TTL counts down', async () => {
  const { clock, cache } = setup();
  await cache.putRRset({ name: 'a.example.com', type: 1, records: [a('a.example.com', '192.0.2.1', 100)], signatures: [] }, Rank.AUTH_ANSWER);
  clock.advance(40_000);
  const hit = await cache.getRRset('a.example.com', 1);
  assert.ok(hit);
  assert.equal(withRemainingTtl(hit.records, hit.expiresAt, clock.now())[0]!.ttl, 60);
  clock.advance(60_000);
  assert.equal(await cache.getRRset('a.example.com', 1), undefined);
});

test('lower-ranked data never replaces higher-ranked unexpired data', async () => {
  const { cache } = setup();
  await cache.putRRset({ name: 'ns.example.com', type: 1, records: [a('ns.example.com', '192.0.2.1')], signatures: [] }, Rank.AUTH_ANSWER);
  await cache.putRRset({ name: 'ns.example.com', type: 1, records: [a('ns.example.com', '203.0.113.66')], signatures: [] }, Rank.GLUE);
  assert.equal((await cache.getRRset('ns.example.com', 1))!.records[0]!.data, '192.0.2.1');
  await cache.putRRset({ name: 'ns.example.com', type: 1, records: [a('ns.example.com', '192.0.2.2')], signatures: [] }, Rank.AUTH_ANSWER);
  assert.equal((await cache.getRRset('ns.example.com', 1))!.records[0]!.data, '192.0.2.2');
});

test('TTL caps apply; TTL 0 is not stored', async () => {
  const { clock, cache } = setup({ maxTtl: 50 });
  await cache.putRRset({ name: 'x', type: 1, records: [a('x', '192.0.2.1', 1000)], signatures: [] }, Rank.AUTH_ANSWER);
  clock.advance(51_000);
  assert.equal(await cache.getRRset('x', 1), undefined);
  await cache.putRRset({ name: 'y', type: 1, records: [a('y', '192.0.2.1', 0)], signatures: [] }, Rank.AUTH_ANSWER);
  assert.equal(await cache.getRRset('y', 1), undefined);
});

test('NXDOMAIN covers the name and everything below it (RFC 8020); NODATA only its type', async () => {
  const { cache } = setup();
  await cache.putNegative({ name: 'gone.example.com', type: 1, kind: 'nxdomain', authority: [soa] }, 60);
  assert.equal((await cache.getNegative('gone.example.com', 28))?.kind, 'nxdomain');
  assert.equal((await cache.getNegative('a.b.gone.example.com', 1))?.kind, 'nxdomain');
  assert.equal(await cache.getNegative('example.com', 1), undefined);
  await cache.putNegative({ name: 'www.example.com', type: 28, kind: 'nodata', authority: [soa] }, 60);
  assert.equal((await cache.getNegative('www.example.com', 28))?.kind, 'nodata');
  assert.equal(await cache.getNegative('www.example.com', 1), undefined);
});

test('the cache is bounded: the least recently used entry goes first', async () => {
  const { cache } = setup({ maxEntries: 2 });
  const put = (n: string) => cache.putRRset({ name: n, type: 1, records: [a(n, '192.0.2.1')], signatures: [] }, Rank.AUTH_ANSWER);
  await put('one');
  await put('two');
  await cache.getRRset('one', 1);
  await put('three');
  assert.ok(await cache.getRRset('one', 1));
  assert.equal(await cache.getRRset('two', 1), undefined);
  assert.equal(cache.size, 2);
});
