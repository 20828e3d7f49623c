// Flushes: scopes, messages from the wire checked, and every "process" dropping what it holds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { parseScope, scopeCovers } from '../../src/shared-cache/flush.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { smallWorld } from '../sim/small-world.ts';
import { openFrontEnd, question } from '../harness/frontends.ts';
import { until } from '../harness/store-contract.ts';

test('cache_flush: scopes cover what they say', () => {
  assert.ok(scopeCovers({ kind: 'all' }, 'x.example', 1));
  assert.ok(scopeCovers({ kind: 'name', name: 'example.com' }, 'example.com', 28));
  assert.ok(!scopeCovers({ kind: 'name', name: 'example.com' }, 'www.example.com', 1));
  assert.ok(scopeCovers({ kind: 'type', name: 'example.com', type: 1 }, 'example.com', 1));
  assert.ok(scopeCovers({ kind: 'type', name: 'example.com', type: 1 }, 'example.com', 0), 'an NXDOMAIN at the name');
  assert.ok(!scopeCovers({ kind: 'type', name: 'example.com', type: 1 }, 'example.com', 28));
  assert.ok(scopeCovers({ kind: 'subtree', name: 'example.com' }, 'a.b.example.com', 1));
  assert.ok(!scopeCovers({ kind: 'subtree', name: 'example.com' }, 'notexample.com', 1));
});

test('cache_flush: messages from the channel are checked field by field', () => {
  assert.deepEqual(parseScope('{"kind":"subtree","name":"Example.COM."}'), { kind: 'subtree', name: 'example.com' });
  assert.deepEqual(parseScope('{"kind":"type","name":"a","type":28}'), { kind: 'type', name: 'a', type: 28 });
  for (const bad of ['', 'null', '[]', '{"kind":"name"}', '{"kind":"type","name":"a","type":70000}', '{"kind":"drop","name":"a"}', '{"kind":"name","name":""}']) {
    assert.equal(parseScope(bad), undefined, bad);
  }
});

test('cache_flush: keys escape braces in owner names so a label cannot end the hash tag', () => {
  const k = new KeySpace('p:');
  assert.equal(k.rrset('www.example.com', 1), 'p:{www.example.com.}|1|1');
  assert.equal(k.nxdomain('.'), 'p:{.}|nx|1');
  assert.equal(k.rrset('a}b{c.example', 1), 'p:{a\\125b\\123c.example.}|1|1');
  assert.deepEqual(k.subtreeGlobs('example.com'), ['p:{example.com.}|*', 'p:{*.example.com.}|*']);
  assert.equal(new KeySpace('a*b:').allGlob(), 'a\\*b:*');
  assert.throws(() => new KeySpace('x{y}:'), /prefix/);
});

test('cache_flush: by name, by type and by subtree, every front-end goes upstream again', async (t) => {
  const w = smallWorld();
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ maxBytes: 1 << 24 }, clock);
  const fronts = [await openFrontEnd({ net: w.net, clock, store, keyPrefix: 'f:' }, t), await openFrontEnd({ net: w.net, clock, store, keyPrefix: 'f:' }, t)];
  const heard: number[] = [0, 0];
  for (const [i, f] of fronts.entries()) await f.shared.flusher.onFlush(() => heard[i]!++);
  const ask = async (i: number, name: string, type = 1) => fronts[i]!.resolve(question(name, type));
  const example = () => w.server('ns1.example.com').queries;
  await ask(0, 'www.example.com');
  await ask(1, 'www.example.com');
  await ask(1, 'only-a.example.com');
  const base = example();

  await fronts[0]!.shared.flusher.flush({ kind: 'type', name: 'www.example.com', type: 1 });
  await until(() => heard[1]! >= 1);
  await ask(1, 'www.example.com');
  assert.equal(example(), base + 1);
  await ask(1, 'only-a.example.com');
  assert.equal(example(), base + 1, 'other names stay');

  await fronts[1]!.shared.flusher.flush({ kind: 'subtree', name: 'example.com' });
  await until(() => heard[0]! >= 3);
  const com = w.server('ns.com').queries;
  await ask(0, 'only-a.example.com');
  assert.equal(w.server('ns.com').queries, com + 1, 'the delegation went too');

  const deleted = await fronts[0]!.shared.flusher.flush({ kind: 'all' });
  assert.ok(deleted > 0);
  assert.equal(fronts[0]!.shared.cache.hotSize, 0);
});
