// The SharedStore contract on the embedded memory store, plus its byte bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { systemClock } from '../../src/util/clock.ts';
import { LRU_SLOT_BYTES } from '../../src/util/lru.ts';
import { storeContract, uniqueKeys } from '../harness/store-contract.ts';

const shared = new MemoryStore({ maxBytes: 8 * 1024 * 1024 }, systemClock);
storeContract('memory store', async () => ({ store: shared, keys: uniqueKeys('mem') }));

test('memory store: bounded in bytes, least recently used out first', async () => {
  // Each entry: 100 value bytes, the entry's overhead (96), its 17-character key and the LRU slot.
  const room = 3 * (100 + 96 + 17 + LRU_SLOT_BYTES);
  const store = new MemoryStore({ maxBytes: room }, systemClock);
  const far = Date.now() + 60_000;
  const put = (k: string) => store.set(k, Buffer.alloc(100), { expireAtMs: far });
  await put('key-0000000000001');
  await put('key-0000000000002');
  await put('key-0000000000003');
  await store.mget(['key-0000000000001']);
  await put('key-0000000000004');
  const got = await store.mget(['key-0000000000001', 'key-0000000000002', 'key-0000000000003', 'key-0000000000004']);
  assert.deepEqual(got.map((b) => b !== null), [true, false, true, true]);
  assert.ok(store.usedBytes <= room);
  assert.throws(() => new MemoryStore({ maxBytes: 0 }, systemClock), /maxBytes/);
});
