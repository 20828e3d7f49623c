// The SharedStore and two-level RecordCache contracts on a real Redis Cluster (six nodes), plus
// what only Redis has: the slot function agrees with the server, reads of one turn are one batch.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisClusterStore } from '../../src/shared-cache/redis-store.ts';
import { redisOptions } from '../../src/shared-cache/options.ts';
import { keySlot } from '../../src/shared-cache/slot.ts';
import { silentLogger } from '../../src/util/log.ts';
import { command } from '../harness/resp.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.ts';
import { storeContract, uniqueKeys } from '../harness/store-contract.ts';
import { recordCacheContract } from '../harness/record-cache-contract.ts';

const skip = redisMissing();
if (skip) console.log(`# skipping Redis Cluster store tests: ${skip}`);
let cluster: RedisCluster;
let store: RedisClusterStore;
const relaxed = { readBudgetMs: 2000, commandTimeoutMs: 2000 };

before(async () => {
  if (skip) return;
  cluster = await startRedisCluster();
  // The contract is about values, not deadlines: generous ones, so a busy machine cannot fail it
  // (the read budget and per-node health have their own tests).
  store = new RedisClusterStore(redisOptions(cluster.seeds.slice(0, 2), relaxed), silentLogger);
  await store.ready();
});
after(async () => {
  await store?.close();
  await cluster?.stop();
});

storeContract('redis cluster store', async () => ({ store, keys: uniqueKeys('redis') }), skip);
recordCacheContract('record cache on redis cluster', () => store, skip);

test('redis: keySlot agrees with CLUSTER KEYSLOT, hash tags included', { skip: skip ?? false }, async () => {
  const keys = uniqueKeys('slot');
  for (const k of [keys.rrset('example.com', 1), keys.nxdomain('example.com'), 'plain', 'a{}b', '{x}y{z}', keys.rrset('ünïcode.example', 1), keys.rrset('we{ird}.example', 1)]) {
    assert.equal(keySlot(k), await command(cluster.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', k]), k);
  }
  assert.equal(keySlot(keys.rrset('example.com', 1)), keySlot(keys.rrset('example.com', 28)));
  assert.equal(keySlot(keys.nxdomain('example.com')), keySlot(keys.rrset('example.com', 5)));
});

test('redis: the reads of one event-loop turn go out as one batch', { skip: skip ?? false }, async () => {
  const keys = uniqueKeys('batch');
  const batcher = (store as unknown as { batcher: { batches: number } }).batcher;
  const before = batcher.batches;
  await Promise.all(Array.from({ length: 40 }, (_, i) => store.mget([keys.rrset(`n${i}.example`, 1), keys.rrset(`n${i}.example`, 28)])));
  assert.equal(batcher.batches - before, 1);
});

test('redis: seed URLs are checked and carry ACL credentials and TLS', { skip: skip ?? false }, async () => {
  const { parseSeeds } = await import('../../src/shared-cache/redis-options.ts');
  assert.deepEqual(parseSeeds(['rediss://andns:s%40cret@10.0.0.1:7000', 'rediss://andns:s%40cret@[::1]:7001']), {
    nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }],
    username: 'andns',
    password: 's@cret',
    tls: true,
  });
  assert.throws(() => parseSeeds(['http://x:1']), /redis:\/\//);
  assert.throws(() => parseSeeds(['redis://a:1', 'rediss://a:2']), /mix/);
  assert.throws(() => parseSeeds(['redis://u:p@a:1', 'redis://a:2']), /credentials/);
  assert.throws(() => parseSeeds([]), /at least one/);
});

test('redis: an ACL user limited to its key prefix works through redis://user:password@ seeds; a wrong password never connects', { skip: skip ?? false }, async () => {
  const { KeySpace } = await import('../../src/shared-cache/keys.ts');
  for (const node of cluster.nodes) {
    assert.equal(await command(node.port, ['ACL', 'SETUSER', 'andns', 'reset', 'on', '>s3cret', '~acl:*', '&*', '+@all']), 'OK');
  }
  const seeds = cluster.seeds.map((u) => u.replace('redis://', 'redis://andns:s3cret@'));
  const acl = new RedisClusterStore(redisOptions(seeds, relaxed), silentLogger);
  try {
    await acl.ready();
    const keys = new KeySpace('acl:');
    await acl.set(keys.rrset('x.example', 1), Buffer.from('v'), { expireAtMs: Date.now() + 10_000 });
    assert.equal((await acl.mget([keys.rrset('x.example', 1)]))[0]?.toString(), 'v');
    await assert.rejects(acl.set('other:{x}', Buffer.from('v'), { expireAtMs: Date.now() + 10_000 }), /NOPERM|no permissions/i, 'outside its prefix');
  } finally {
    await acl.close();
  }
  const wrong = new RedisClusterStore(redisOptions(cluster.seeds.map((u) => u.replace('redis://', 'redis://andns:wrong@'))), silentLogger);
  try {
    await assert.rejects(wrong.ready(1000));
    await assert.rejects(wrong.mget(['acl:{x.example.}|1|1']));
  } finally {
    await wrong.close();
  }
});
