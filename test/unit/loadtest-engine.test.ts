// Tests for the load engine's clockwork: the open-loop schedule and the in-flight ID table.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InflightTable } from '../../loadtest/engine/inflight.ts';
import { OpenLoopSchedule } from '../../loadtest/engine/schedule.ts';

test('open loop: query k is due at start + k/rate, computed without drift', () => {
  const s = new OpenLoopSchedule(1000, 3, 10_000_000);
  assert.equal(s.intendedMs(0), 1000);
  assert.equal(s.intendedMs(3), 2000);
  assert.equal(s.intendedMs(3_000_000), 1000 + 1_000_000_000);
});

test('open loop: how many are due depends only on the clock, not on what was sent', () => {
  const s = new OpenLoopSchedule(0, 1000, 50);
  assert.equal(s.dueBy(-1), 0);
  assert.equal(s.dueBy(0), 1); // query 0 is due at the start
  assert.equal(s.dueBy(0.999), 1);
  assert.equal(s.dueBy(1), 2);
  assert.equal(s.dueBy(10.5), 11);
  // A stalled sender catching up finds every missed query due at once (they keep their intended times).
  assert.equal(s.dueBy(40), 41);
  assert.equal(s.dueBy(1e6), 50); // never more than the total
  assert.equal(s.waitFor(11, 10.5), 0.5);
  assert.ok(s.waitFor(5, 10.5) < 0);
});

test('open loop: a rate that is not positive is refused', () => {
  assert.throws(() => new OpenLoopSchedule(0, 0, 1), /rate must be/);
  assert.throws(() => new OpenLoopSchedule(0, Number.NaN, 1), /rate must be/);
});

test('inflight: IDs per channel, completion returns the intended time, unknown IDs are NaN', () => {
  const t = new InflightTable(2, 1000);
  const a = t.begin(0, 7, 5.5, 6);
  const b = t.begin(1, 8, 6.5, 7);
  assert.equal(a, 0);
  assert.equal(b, 0); // each channel has its own ID space
  assert.equal(t.outstanding, 2);
  assert.equal(t.queryAt(0, a), 7);
  assert.equal(t.complete(0, a), 5.5);
  assert.ok(Number.isNaN(t.complete(0, a)), 'a duplicate reply matches nothing');
  assert.equal(t.outstanding, 1);
});

test('inflight: freed IDs are reused last, so a late reply rarely meets a new query', () => {
  const t = new InflightTable(1, 1000);
  const first = t.begin(0, 1, 0, 0);
  t.complete(0, first);
  const next = t.begin(0, 1, 0, 0);
  assert.notEqual(next, first);
});

test('inflight: timeouts expire in send order, and an answered query never times out', () => {
  const t = new InflightTable(1, 100);
  const ids = [0, 1, 2, 3].map((k) => t.begin(0, k, k * 10, k * 10));
  t.complete(0, ids[1]!);
  assert.equal(t.expire(105), 1); // query 0 (deadline 100)
  assert.equal(t.expire(125), 1); // query 1 was answered; query 2 (deadline 120) expires
  assert.equal(t.outstanding, 1);
  assert.equal(t.expire(1000), 1);
  assert.equal(t.outstanding, 0);
});

test('inflight: a reused slot is not expired by the deadline of its previous query', () => {
  const t = new InflightTable(1, 100);
  const ids: number[] = [];
  for (let i = 0; i < 65536; i++) ids.push(t.begin(0, i, 0, 0));
  assert.equal(t.begin(0, 0, 0, 0), -1, 'all 65536 IDs in flight');
  t.complete(0, ids[0]!);
  const again = t.begin(0, 99, 50, 50); // same ID, later deadline (150)
  assert.equal(again, ids[0]);
  assert.equal(t.expire(120), 65535); // every other one, not the reused slot
  assert.equal(t.queryAt(0, again), 99);
  assert.equal(t.expire(151), 1);
});

test('inflight: failing a channel frees all of its queries', () => {
  const t = new InflightTable(2, 100);
  for (let i = 0; i < 5; i++) t.begin(0, i, 0, 0);
  t.begin(1, 9, 0, 0);
  assert.equal(t.failChannel(0), 5);
  assert.equal(t.outstanding, 1);
  assert.equal(t.expire(1000), 1);
});
