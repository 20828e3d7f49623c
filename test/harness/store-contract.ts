// The SharedStore contract: every store (memory, Redis Cluster) runs these same tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeValue, type CacheValue } from '../../src/shared-cache/codec.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { Rank, type Rank as RankT } from '../../src/cache/record-cache.ts';
import type { SharedStore } from '../../src/shared-cache/store.ts';

export interface StoreUnderTest {
  store: SharedStore;
  /** A key space no other test uses (stores may be shared between tests). */
  keys: KeySpace;
}

let serial = 0;
/** A fresh, unique prefix per test, so tests sharing one Redis never see each other's keys. */
export function uniqueKeys(label: string): KeySpace {
  return new KeySpace(`t${process.pid}-${label}-${++serial}:`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function value(rank: RankT, expiresAt: number, ip = '192.0.2.1', negative = false): Buffer {
  const v: CacheValue = negative
    ? { kind: 'negative', ttl: 60, negative: { name: 'a.example', type: 1, kind: 'nodata', authority: [], expiresAt } }
    : { kind: 'rrset', ttl: 60, rrset: { name: 'a.example', type: 1, rank, expiresAt, signatures: [], records: [{ name: 'a.example', type: 'A', class: 'IN', ttl: 60, data: ip }] } };
  return encodeValue(v);
}

/** Runs the contract; `open` gives a store (and a unique key space) per test. */
export function storeContract(label: string, open: () => Promise<StoreUnderTest>, skip?: string): void {
  const it = (name: string, fn: (s: StoreUnderTest) => Promise<void>) =>
    test(`${label}: ${name}`, { skip: skip ?? false }, async () => fn(await open()));

  it('mget returns values in order, null where absent; values are binary-exact', async ({ store, keys }) => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const far = Date.now() + 60_000;
    await store.set(keys.rrset('a.example', 1), bytes, { expireAtMs: far });
    await store.set(keys.rrset('b.example', 1), Buffer.from('b'), { expireAtMs: far });
    const got = await store.mget([keys.rrset('b.example', 1), keys.rrset('nope.example', 1), keys.rrset('a.example', 1)]);
    assert.deepEqual(got.map((b) => b?.toString('hex') ?? null), ['62', null, bytes.toString('hex')]);
    assert.deepEqual(await store.mget([]), []);
  });

  it('concurrent reads of many names (many slots) each get their own values', async ({ store, keys }) => {
    const far = Date.now() + 60_000;
    const names = Array.from({ length: 50 }, (_, i) => `n${i}.example`);
    await Promise.all(names.map((n) => store.set(keys.rrset(n, 1), Buffer.from(n), { expireAtMs: far })));
    const reads = await Promise.all(names.map((n) => store.mget([keys.rrset(n, 1), keys.nxdomain(n), keys.rrset(n, 5)])));
    reads.forEach((r, i) => assert.deepEqual(r.map((b) => b?.toString() ?? null), [names[i], null, null]));
  });

  it('a key lives until its absolute expiry, then is gone', async ({ store, keys }) => {
    const k = keys.rrset('short.example', 1);
    await store.set(k, Buffer.from('x'), { expireAtMs: Date.now() + 150 });
    assert.ok((await store.mget([k]))[0]);
    await sleep(300);
    assert.equal((await store.mget([k]))[0], null);
    await store.set(k, Buffer.from('x'), { expireAtMs: Date.now() - 1 });
    assert.equal((await store.mget([k]))[0], null, 'an expiry in the past stores nothing');
  });

  it('setRanked keeps higher-ranked unexpired values, replaces lower, equal, expired and garbage', async ({ store, keys }) => {
    const now = Date.now();
    const k = keys.rrset('ranked.example', 1);
    const opts = { expireAtMs: now + 60_000, nowMs: now };
    assert.equal(await store.setRanked(k, value(Rank.AUTH_ANSWER, now + 30_000, '192.0.2.1'), opts), null);
    const kept = await store.setRanked(k, value(Rank.GLUE, now + 30_000, '203.0.113.66'), opts);
    assert.ok(kept && kept.equals(value(Rank.AUTH_ANSWER, now + 30_000, '192.0.2.1')), 'lower rank refused, existing returned');
    assert.equal(await store.setRanked(k, value(Rank.AUTH_ANSWER, now + 30_000, '192.0.2.2'), opts), null, 'equal rank replaces');
    assert.ok(await store.setRanked(k, value(Rank.NONAUTH_ANSWER, now + 30_000, '192.0.2.3', true), opts), 'NODATA never hides an answer');
    // Judged at a later "now", the old value has expired: anything replaces it.
    assert.equal(await store.setRanked(k, value(Rank.GLUE, now + 90_000), { expireAtMs: now + 90_000, nowMs: now + 40_000 }), null);
    await store.set(k, Buffer.from('garbage'), { expireAtMs: now + 60_000 });
    assert.equal(await store.setRanked(k, value(Rank.GLUE, now + 30_000), opts), null, 'garbage never outranks');
    const g = keys.rrset('glue.example', 1);
    await store.setRanked(g, value(Rank.GLUE, now + 30_000), opts);
    assert.equal(await store.setRanked(g, value(Rank.NONAUTH_ANSWER, now + 30_000, '192.0.2.9', true), opts), null, 'NODATA replaces glue');
    assert.ok(await store.setRanked(g, value(Rank.ADDITIONAL, now + 30_000), opts), 'glue does not replace a NODATA');
  });

  it('del and deleteMatching remove by key, owner, subtree and prefix only', async ({ store, keys }) => {
    const far = Date.now() + 60_000;
    const other = uniqueKeys('other');
    const names = ['example.com', 'www.example.com', 'a.b.example.com', 'notexample.com', 'com'];
    for (const n of names) {
      await store.set(keys.rrset(n, 1), Buffer.from(n), { expireAtMs: far });
      await store.set(keys.rrset(n, 28), Buffer.from(n), { expireAtMs: far });
      await store.set(other.rrset(n, 1), Buffer.from(n), { expireAtMs: far });
    }
    const present = async (ks: KeySpace, type = 1) => (await store.mget(names.map((n) => ks.rrset(n, type)))).map((b) => b !== null);
    assert.equal(await store.del([keys.rrset('com', 28), keys.rrset('absent.com', 1)]), 1);
    assert.equal(await store.deleteMatching(keys.nameGlob('www.example.com')), 2);
    assert.deepEqual(await present(keys), [true, false, true, true, true]);
    assert.equal(await store.deleteMatching(keys.subtreeGlobs('example.com')[0]!) + (await store.deleteMatching(keys.subtreeGlobs('example.com')[1]!)), 4);
    assert.deepEqual(await present(keys), [false, false, false, true, true]);
    assert.equal(await store.deleteMatching(keys.allGlob()), 3);
    assert.deepEqual(await present(keys), [false, false, false, false, false]);
    assert.deepEqual(await present(other), [true, true, true, true, true], 'another prefix is untouched');
    await store.deleteMatching(other.allGlob());
  });

  it('a lease is held by one caller at a time, released only by its token, and expires', async ({ store, keys }) => {
    const k = keys.lease({ qname: 'lease.example', qtype: 1, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });
    const token = await store.lease(k, 5000);
    assert.ok(token);
    assert.equal(await store.lease(k, 5000), null);
    assert.equal(await store.release(k, 'not-the-token'), false);
    assert.equal(await store.release(k, token), true);
    assert.equal(await store.release(k, token), false);
    const again = await store.lease(k, 100);
    assert.ok(again && again !== token, 'a fresh token each time');
    await sleep(250);
    assert.ok(await store.lease(k, 100), 'an expired lease can be taken');
  });

  it('publish reaches every subscriber of the channel, and no longer after unsubscribe', async ({ store, keys }) => {
    const channel = keys.flushChannel;
    const a: string[] = [];
    const b: string[] = [];
    const offA = await store.subscribe(channel, (m) => a.push(m));
    const offB = await store.subscribe(channel, (m) => b.push(m));
    await store.subscribe(keys.leaseChannel, () => assert.fail('wrong channel'));
    await store.publish(channel, 'one');
    await until(() => a.length === 1 && b.length === 1);
    await offA();
    await store.publish(channel, 'two');
    await until(() => b.length === 2);
    await sleep(30);
    assert.deepEqual(a, ['one']);
    assert.deepEqual(b, ['one', 'two']);
    await offB();
  });
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
