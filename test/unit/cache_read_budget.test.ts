// The read budget of the Redis store's batcher: a read not back within it is a miss for its
// reader (StoreBudgetError), and the values that come later reach the reader's `late` callback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadBatcher, type BatchResult } from '../../src/shared-cache/read-batcher.ts';
import { StoreBudgetError } from '../../src/shared-cache/store.ts';

test('cache_read_budget: a slow batch rejects its readers at the budget; the late values still arrive', async () => {
  let answer!: (r: BatchResult) => void;
  let sent: string[] = [];
  const batcher = new ReadBatcher((keys) => {
    sent = keys;
    return new Promise((resolve) => (answer = resolve));
  }, 5);
  const late: (Buffer | null)[][] = [];
  const one = batcher.read(['a', 'b'], (v) => late.push(v));
  const two = batcher.read(['b', 'c']);
  await assert.rejects(one, StoreBudgetError);
  await assert.rejects(two, StoreBudgetError);
  assert.deepEqual(sent, ['a', 'b', 'c'], 'one batch of unique keys');
  assert.equal(batcher.overBudget, 1);
  answer(new Map<string, Buffer | null | Error>([['a', Buffer.from('A')], ['b', null], ['c', Buffer.from('C')]]));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(late, [[Buffer.from('A'), null]], 'the reader that asked for late values got them');
});

test('cache_read_budget: a batch back in time resolves as before, errors per key reject only their readers', async () => {
  const batcher = new ReadBatcher(async () => new Map<string, Buffer | null | Error>([['a', Buffer.from('A')], ['b', new Error('node down')]]), 1000);
  const [ok, bad] = await Promise.allSettled([batcher.read(['a']), batcher.read(['b'])]);
  assert.deepEqual(ok, { status: 'fulfilled', value: [Buffer.from('A')] });
  assert.equal(bad.status, 'rejected');
  assert.equal(batcher.overBudget, 0);
});
