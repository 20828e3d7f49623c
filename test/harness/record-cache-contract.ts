// The two-level RecordCache contract, run on every SharedStore: TTLs, ranks (also between two
// processes sharing the store), negative answers and RFC 8020, caps, garbage, hot-tier ageing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RR } from '../../src/dns/message.ts';
import { Rank, withRemainingTtl, type RRset } from '../../src/cache/record-cache.ts';
import { defaultCacheOptions, type CacheOptions } from '../../src/cache/options.ts';
import { SharedRecordCache } from '../../src/shared-cache/shared-record-cache.ts';
import type { KeySpace } from '../../src/shared-cache/keys.ts';
import type { SharedStore } from '../../src/shared-cache/store.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { uniqueKeys } from './store-contract.ts';

export interface Shared {
  store: SharedStore;
  keys: KeySpace;
  /** Starts at the wall clock: Redis expires keys on its own (real) clock. */
  clock: ManualClock;
  /** Another process's view of the same store: its own hot map, same store and clock. */
  process(over?: Partial<CacheOptions>): SharedRecordCache;
}

const a = (name: string, ip: string, ttl = 300): RR => ({ name, type: 'A', class: 'IN', ttl, data: ip });
const set = (name: string, ip: string, ttl = 300, type = 1): RRset => ({ name, type, records: [a(name, ip, ttl)], signatures: [] });
const soa: RR = { name: 'example.com', type: 'SOA', class: 'IN', ttl: 600, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } };

export function recordCacheContract(label: string, store: () => SharedStore, skip?: string): void {
  const setup = (): Shared => {
    const s = store();
    const keys = uniqueKeys('rc');
    const clock = new ManualClock(Date.now());
    return {
      store: s,
      keys,
      clock,
      process: (over = {}) =>
        new SharedRecordCache({
          store: s, keys, clock, caps: { ...defaultCacheOptions, ...over }, log: silentLogger,
          options: { hotMaxBytes: 1 << 20, hotMaxAgeMs: 2000, staleWindowMs: 60_000, prefetchPercent: 0 },
        }),
    };
  };
  const it = (name: string, fn: (s: Shared) => Promise<void>) => test(`${label}: ${name}`, { skip: skip ?? false }, () => fn(setup()));

  it('an RRset written by one process is read by another, with the same absolute expiry', async (s) => {
    const one = s.process();
    const two = s.process();
    await one.putRRset({ ...set('www.example.com', '192.0.2.1', 100), signatures: [] }, Rank.AUTH_ANSWER);
    s.clock.advance(40_000);
    const hit = await two.getRRset('www.example.com', 1);
    assert.ok(hit);
    assert.equal(two.stats.storeHits, 1);
    assert.equal(withRemainingTtl(hit.records, hit.expiresAt, s.clock.now())[0]!.ttl, 60);
    s.clock.advance(60_000);
    assert.equal(await two.getRRset('www.example.com', 1), undefined);
    assert.equal(await one.getRRset('www.example.com', 1), undefined);
  });

  it('lower-ranked data never replaces higher-ranked unexpired data, even from another process', async (s) => {
    const one = s.process();
    const two = s.process();
    await one.putRRset(set('ns.example.com', '192.0.2.1'), Rank.AUTH_ANSWER);
    await two.putRRset(set('ns.example.com', '203.0.113.66'), Rank.GLUE);
    assert.equal(two.stats.writesKept, 1, 'the store refused it atomically');
    assert.equal((await two.getRRset('ns.example.com', 1))!.records[0]!.data, '192.0.2.1');
    assert.equal((await s.process().getRRset('ns.example.com', 1))!.records[0]!.data, '192.0.2.1');
    await two.putRRset(set('ns.example.com', '192.0.2.2'), Rank.AUTH_ANSWER);
    assert.equal((await s.process().getRRset('ns.example.com', 1))!.records[0]!.data, '192.0.2.2');
    s.clock.advance(301_000);
    await two.putRRset(set('ns.example.com', '192.0.2.3'), Rank.GLUE);
    assert.equal((await s.process().getRRset('ns.example.com', 1))!.rank, Rank.GLUE, 'expired data loses to anything');
  });

  it('answer(): an answer-rank RRset, else NODATA/NXDOMAIN, else a CNAME; glue is never an answer', async (s) => {
    const c = s.process();
    await c.putRRset(set('glue.example.com', '192.0.2.1'), Rank.GLUE);
    assert.equal(await c.answer('glue.example.com', 1), undefined);
    await c.putRRset({ name: 'alias.example.com', type: 5, records: [{ name: 'alias.example.com', type: 'CNAME', class: 'IN', ttl: 60, data: 'www.example.com' }], signatures: [] }, Rank.AUTH_ANSWER);
    assert.equal((await s.process().answer('alias.example.com', 1))?.kind, 'cname');
    assert.equal((await s.process().answer('alias.example.com', 5))?.kind, 'rrset');
    await c.putRRset(set('www.example.com', '192.0.2.1'), Rank.NONAUTH_ANSWER);
    const found = await s.process().answer('www.example.com', 1);
    assert.ok(found?.kind === 'rrset' && found.rrset.records[0]!.data === '192.0.2.1');
  });

  it('NXDOMAIN covers the name and everything below it (RFC 8020); NODATA only its type', async (s) => {
    const c = s.process();
    await c.putNegative({ name: 'gone.example.com', type: 1, kind: 'nxdomain', authority: [soa] }, 60);
    const other = s.process();
    assert.equal((await other.getNegative('gone.example.com', 28))?.kind, 'nxdomain');
    const below = await other.answer('a.b.gone.example.com', 1);
    assert.ok(below?.kind === 'negative' && below.negative.kind === 'nxdomain' && below.negative.name === 'gone.example.com');
    assert.equal((below.negative.authority[0]!.data as { minimum: number }).minimum, 60);
    assert.equal(await other.getNegative('example.com', 1), undefined);
    await c.putNegative({ name: 'www.example.com', type: 28, kind: 'nodata', authority: [soa] }, 60);
    assert.equal((await other.getNegative('www.example.com', 28))?.kind, 'nodata');
    assert.equal(await other.getNegative('www.example.com', 1), undefined);
    assert.equal((await other.answer('www.example.com', 28))?.kind, 'negative');
  });

  it('a negative answer never hides answer-rank data; new answers end a NODATA', async (s) => {
    const c = s.process();
    await c.putRRset(set('both.example.com', '192.0.2.1'), Rank.AUTH_ANSWER);
    await c.putNegative({ name: 'both.example.com', type: 1, kind: 'nodata', authority: [soa] }, 60);
    assert.equal((await s.process().answer('both.example.com', 1))?.kind, 'rrset');
    await c.putNegative({ name: 'later.example.com', type: 1, kind: 'nodata', authority: [soa] }, 60);
    await c.putRRset(set('later.example.com', '192.0.2.5'), Rank.AUTH_ANSWER);
    assert.equal((await s.process().answer('later.example.com', 1))?.kind, 'rrset');
  });

  it('TTL caps apply; TTL 0 and bogus data are never stored', async (s) => {
    const c = s.process({ maxTtl: 50, maxNegativeTtl: 10 });
    await c.putRRset(set('long.example.com', '192.0.2.1', 1000), Rank.AUTH_ANSWER);
    await c.putNegative({ name: 'neg.example.com', type: 1, kind: 'nodata', authority: [soa] }, 3600);
    await c.putRRset(set('zero.example.com', '192.0.2.1', 0), Rank.AUTH_ANSWER);
    await c.putRRset({ ...set('bogus.example.com', '192.0.2.1'), status: 'bogus' }, Rank.AUTH_ANSWER);
    await c.putNegative({ name: 'bogus.example.com', type: 28, kind: 'nodata', authority: [soa], status: 'bogus' }, 60);
    const raw = await s.store.mget([s.keys.rrset('zero.example.com', 1), s.keys.rrset('bogus.example.com', 1), s.keys.rrset('bogus.example.com', 28)]);
    assert.deepEqual(raw, [null, null, null]);
    s.clock.advance(11_000);
    assert.equal(await s.process().getNegative('neg.example.com', 1), undefined);
    assert.ok(await s.process().getRRset('long.example.com', 1));
    s.clock.advance(40_000);
    assert.equal(await s.process().getRRset('long.example.com', 1), undefined);
  });

  it('DNSSEC status survives the store', async (s) => {
    await s.process().putRRset({ ...set('signed.example.com', '192.0.2.1'), status: 'secure' }, Rank.AUTH_ANSWER);
    assert.equal((await s.process().getRRset('signed.example.com', 1))?.status, 'secure');
  });

  it('garbage written into a key is a miss, counted, and the next write replaces it', async (s) => {
    const k = s.keys.rrset('junk.example.com', 1);
    await s.store.set(k, Buffer.from('\x01\x01\x06\x00 certainly not a cache value'), { expireAtMs: Date.now() + 60_000 });
    const c = s.process();
    assert.equal(await c.getRRset('junk.example.com', 1), undefined);
    assert.equal(await c.answer('junk.example.com', 1), undefined);
    assert.ok(c.stats.corrupt >= 1);
    await c.putRRset(set('junk.example.com', '192.0.2.1'), Rank.GLUE);
    assert.ok(await s.process().getRRset('junk.example.com', 1));
  });

  it('the hot tier serves at most hotMaxAgeMs past its last look at the store', async (s) => {
    const one = s.process();
    await one.putRRset(set('hot.example.com', '192.0.2.1'), Rank.AUTH_ANSWER);
    assert.ok(await one.getRRset('hot.example.com', 1));
    await s.store.del([s.keys.rrset('hot.example.com', 1)]); // gone cluster-wide, unannounced
    s.clock.advance(1000);
    assert.ok(await one.getRRset('hot.example.com', 1), 'still within the age cap');
    s.clock.advance(1000);
    assert.equal(await one.getRRset('hot.example.com', 1), undefined, 'looked again and it is gone');
  });

  it('expired data stays in the store for the stale window but is a miss', async (s) => {
    const c = s.process();
    await c.putRRset(set('stale.example.com', '192.0.2.1', 1), Rank.AUTH_ANSWER);
    s.clock.advance(2000);
    assert.equal(await s.process().getRRset('stale.example.com', 1), undefined);
    assert.ok((await s.store.mget([s.keys.rrset('stale.example.com', 1)]))[0], 'kept for serve-stale');
  });

  it('a stale read (serve-stale) returns expired data the store keeps, with its status; a fresh read does not', async (s) => {
    const c = s.process();
    await c.putRRset({ ...set('old.example.com', '192.0.2.1', 1), status: 'secure' }, Rank.AUTH_ANSWER);
    await c.putNegative({ name: 'gone.example.com', type: 1, kind: 'nxdomain', authority: [soa], status: 'insecure' }, 1);
    s.clock.advance(2000);
    const other = s.process();
    assert.equal(await other.answer('old.example.com', 1), undefined);
    const stale = await other.answer('old.example.com', 1, { stale: true });
    assert.ok(stale?.kind === 'rrset' && stale.rrset.expiresAt <= s.clock.now() && stale.rrset.status === 'secure' && stale.ttl === 1);
    const nx = await other.answer('gone.example.com', 1, { stale: true });
    assert.ok(nx?.kind === 'negative' && nx.negative.kind === 'nxdomain' && nx.negative.status === 'insecure');
    assert.equal(await other.answer('old.example.com', 1), undefined, 'the stale read left nothing fresh behind');
  });
}
