// The circuit breaker on a fake clock: opens after consecutive failures, fails fast while open,
// probes one call at a time when half-open, backs off on failed probes, closes on success.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakerOpenError, CircuitBreaker, type BreakerState } from '../../src/shared-cache/breaker.ts';
import { ManualClock } from '../../src/util/clock.ts';

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('redis down'));

function setup() {
  const clock = new ManualClock();
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 100, maxOpenMs: 350 }, clock, (s) => changes.push(s));
  return { clock, breaker, changes };
}

test('cache_breaker: opens after the threshold of consecutive failures; a success resets the count', async () => {
  const { breaker, changes } = setup();
  await assert.rejects(breaker.run(fail));
  await assert.rejects(breaker.run(fail));
  assert.equal(await breaker.run(ok), 'ok');
  await assert.rejects(breaker.run(fail));
  await assert.rejects(breaker.run(fail));
  assert.equal(breaker.state, 'closed');
  await assert.rejects(breaker.run(fail), /redis down/);
  assert.equal(breaker.state, 'open');
  assert.deepEqual(changes, ['open']);
  assert.equal(breaker.trips, 1);
});

test('cache_breaker: while open, calls fail fast without running', async () => {
  const { breaker } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  let ran = false;
  await assert.rejects(breaker.run(async () => (ran = true)), BreakerOpenError);
  assert.equal(ran, false);
});

test('cache_breaker: half-open lets one probe through; success closes the circuit', async () => {
  const { clock, breaker, changes } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  clock.advance(100);
  assert.equal(breaker.state, 'half-open');
  let release!: () => void;
  const probe = breaker.run(() => new Promise<string>((r) => (release = () => r('probe'))));
  await assert.rejects(breaker.run(ok), BreakerOpenError, 'only one probe at a time');
  release();
  assert.equal(await probe, 'probe');
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(changes, ['open', 'closed']);
  assert.equal(await breaker.run(ok), 'ok');
});

test('cache_breaker: failed probes double the open time up to the ceiling, and recovery resets it', async () => {
  const { clock, breaker } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  const waits: number[] = [];
  for (let round = 0; round < 4; round++) {
    let waited = 0;
    while (breaker.state === 'open') {
      clock.advance(10);
      waited += 10;
    }
    waits.push(waited);
    await assert.rejects(breaker.run(fail), /redis down/);
  }
  assert.deepEqual(waits, [100, 200, 350, 350]);
  clock.advance(350);
  await breaker.run(ok);
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  clock.advance(90);
  assert.equal(breaker.state, 'open');
  clock.advance(10);
  assert.equal(breaker.state, 'half-open', 'back to the first open time after closing');
});

test('cache_breaker: failures of calls started before the circuit opened do not extend it', async () => {
  const { clock, breaker } = setup();
  let rejectLate!: (e: Error) => void;
  const late = breaker.run(() => new Promise((_, rej) => (rejectLate = rej)));
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  clock.advance(100);
  rejectLate(new Error('late'));
  await assert.rejects(late);
  assert.equal(breaker.state, 'half-open');
});
