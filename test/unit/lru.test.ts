// The bounded LRU (src/util/lru.ts): order, bounds in bytes and entries, flush, and a property
// test against a plain reference model.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Lru, LRU_SLOT_BYTES } from '../../src/util/lru.ts';

const cost = (key: string, bytes: number): number => bytes + key.length + LRU_SLOT_BYTES;

test('get refreshes an entry: the least recently used goes first', () => {
  const lru = new Lru<number>({ maxEntries: 3 });
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1);
  lru.set('d', 4); // b is the oldest now
  assert.equal(lru.has('b'), false);
  assert.deepEqual([...keys(lru)], ['d', 'a', 'c']);
  assert.equal(lru.oldest(), 'c');
  assert.equal(lru.evictions, 1);
});

test('peek does not refresh', () => {
  const lru = new Lru<number>({ maxEntries: 2 });
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.peek('a'), 1);
  lru.set('c', 3);
  assert.equal(lru.has('a'), false);
});

test('a byte bound counts key, value bytes and the slot, and evicts down to it', () => {
  const evicted: string[] = [];
  const lru = new Lru<string>({ maxBytes: cost('k1', 100) * 2, onEvict: (k) => evicted.push(k) });
  lru.set('k1', 'x', 100);
  lru.set('k2', 'y', 100);
  assert.equal(lru.byteSize, cost('k1', 100) * 2);
  lru.set('k3', 'z', 100);
  assert.deepEqual(evicted, ['k1']);
  assert.equal(lru.byteSize, cost('k2', 100) + cost('k3', 100));
  // Larger than the whole bound: refused, nothing else evicted.
  assert.equal(lru.set('big', 'w', 10_000), false);
  assert.equal(lru.size, 2);
  assert.deepEqual(evicted, ['k1']);
});

test('replacing a value re-counts its bytes and does not count as an eviction', () => {
  const evicted: string[] = [];
  const lru = new Lru<number>({ onEvict: (k) => evicted.push(k) });
  lru.set('a', 1, 10);
  lru.set('a', 2, 30);
  assert.equal(lru.byteSize, cost('a', 30));
  assert.equal(lru.get('a'), 2);
  assert.deepEqual(evicted, []);
  assert.equal(lru.evictions, 0);
});

test('setLimits lowers the bound and evicts at once', () => {
  const lru = new Lru<number>();
  for (let i = 0; i < 100; i++) lru.set(`k${i}`, i, 100);
  lru.setLimits({ maxEntries: 10 });
  assert.equal(lru.size, 10);
  assert.equal(lru.has('k99'), true);
  assert.equal(lru.has('k89'), false);
  lru.setLimits({ maxBytes: cost('k99', 100) * 3 });
  assert.equal(lru.size, 3);
  assert.equal(lru.evictions, 97);
});

test('deleteWhere drops what the test accepts and keeps the order of the rest', () => {
  const lru = new Lru<number>();
  for (let i = 0; i < 10; i++) lru.set(`k${i}`, i, 1);
  assert.equal(lru.deleteWhere((_, v) => v % 2 === 0), 5);
  assert.deepEqual([...keys(lru)], ['k9', 'k7', 'k5', 'k3', 'k1']);
  assert.equal(lru.byteSize, [9, 7, 5, 3, 1].reduce((s, i) => s + cost(`k${i}`, 1), 0));
});

test('clear empties it and it works afterwards', () => {
  const lru = new Lru<number>({ maxEntries: 2 });
  lru.set('a', 1, 5);
  lru.clear();
  assert.equal(lru.size, 0);
  assert.equal(lru.byteSize, 0);
  assert.equal(lru.get('a'), undefined);
  lru.set('b', 2);
  lru.set('c', 3);
  lru.set('d', 4);
  assert.deepEqual([...keys(lru)], ['d', 'c']);
});

test('bad limits are refused with the name of the limit', () => {
  assert.throws(() => new Lru({ maxBytes: -1 }), /maxBytes/);
  assert.throws(() => new Lru({ maxEntries: Number.NaN }), /maxEntries/);
});

test('zero bounds keep nothing', () => {
  assert.equal(new Lru({ maxEntries: 0 }).set('a', 1), false);
  assert.equal(new Lru({ maxBytes: 0 }).set('a', 1), false);
});

/** The reference: an array from most to least recently used, evicting from the end. */
class Model {
  items: { key: string; value: number; cost: number }[] = [];
  readonly maxBytes: number;
  readonly maxEntries: number;
  constructor(maxBytes: number, maxEntries: number) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
  }
  bytes(): number {
    return this.items.reduce((s, e) => s + e.cost, 0);
  }
  get(key: string): number | undefined {
    const i = this.items.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const [e] = this.items.splice(i, 1);
    this.items.unshift(e!);
    return e!.value;
  }
  set(key: string, value: number, bytes: number): boolean {
    this.delete(key);
    const c = cost(key, bytes);
    if (c > this.maxBytes || this.maxEntries < 1) return false;
    this.items.unshift({ key, value, cost: c });
    while (this.bytes() > this.maxBytes || this.items.length > this.maxEntries) this.items.pop();
    return true;
  }
  delete(key: string): boolean {
    const i = this.items.findIndex((e) => e.key === key);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), bytes: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
);

test('property: any sequence of operations matches the reference model and stays within bounds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 30 }), fc.array(op, { maxLength: 300 }), (maxBytes, maxEntries, ops) => {
      const lru = new Lru<number>({ maxBytes, maxEntries });
      const model = new Model(maxBytes, maxEntries);
      let value = 0;
      for (const o of ops) {
        const key = `k${o.key}`;
        if (o.kind === 'set') {
          value++;
          assert.equal(lru.set(key, value, o.bytes), model.set(key, value, o.bytes));
        } else if (o.kind === 'get') {
          assert.equal(lru.get(key), model.get(key));
        } else {
          assert.equal(lru.delete(key), model.delete(key));
        }
        assert.ok(lru.byteSize <= maxBytes && lru.size <= maxEntries);
      }
      assert.deepEqual([...keys(lru)], model.items.map((e) => e.key));
      assert.equal(lru.byteSize, model.bytes());
      assert.equal(lru.oldest(), model.items.at(-1)?.key);
    }),
    { numRuns: 300 },
  );
});

function keys<V>(lru: Lru<V>): string[] {
  const out: string[] = [];
  lru.forEach((_, k) => out.push(k));
  return out;
}
