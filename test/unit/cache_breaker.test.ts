// The circuit breaker on a fake clock: opens after consecutive failures, fails fast while open,
// probes one call at a time when half-open, backs off on failed probes (jittered), ramps traffic
// back after a success; and NodeHealth, one such circuit per Redis master.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakerOpenError, CircuitBreaker, type BreakerState } from '../../src/shared-cache/breaker.ts';
import { NodeHealth } from '../../src/shared-cache/node-health.ts';
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

test('cache_breaker: open times are jittered within ±jitter, so front-ends do not probe in step', async () => {
  const clock = new ManualClock();
  const seen = new Set<number>();
  for (const r of [0, 0.5, 0.999]) {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 100, maxOpenMs: 100, jitter: 0.2 }, clock, () => {}, () => r);
    await assert.rejects(breaker.run(fail));
    let waited = 0;
    while (breaker.state === 'open') {
      clock.advance(1);
      waited++;
    }
    assert.ok(waited >= 80 && waited <= 120, `open for ${waited} ms`);
    seen.add(waited);
  }
  assert.equal(seen.size, 3, 'different random draws, different open times');
});

test('cache_breaker: after recovery the share of calls let through ramps from 10 % to all', async () => {
  const clock = new ManualClock();
  let draw = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 100, maxOpenMs: 100, rampMs: 1000 }, clock, () => {}, () => draw);
  await assert.rejects(breaker.run(fail));
  clock.advance(100);
  assert.equal(await breaker.run(ok), 'ok', 'the probe');
  assert.equal(breaker.state, 'ramping');
  const admitted = (d: number): boolean => {
    draw = d;
    return !breaker.refuses();
  };
  assert.equal(admitted(0.05), true, '10 % pass at once');
  assert.equal(admitted(0.5), false);
  clock.advance(500);
  assert.equal(admitted(0.5), true, 'past half the ramp, over half pass');
  assert.equal(admitted(0.6), false);
  await assert.rejects(breaker.run(ok), BreakerOpenError, 'a refused call never runs');
  clock.advance(500);
  assert.equal(breaker.state, 'closed');
  assert.equal(admitted(0.999), true);
});

test('cache_breaker: a failure while ramping counts, and the threshold opens the circuit again', async () => {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 100, maxOpenMs: 100, rampMs: 1000 }, clock, () => {}, () => 0);
  for (let i = 0; i < 2; i++) await assert.rejects(breaker.run(fail));
  clock.advance(100);
  await breaker.run(ok);
  await assert.rejects(breaker.run(fail));
  assert.equal(breaker.state, 'ramping');
  await assert.rejects(breaker.run(fail));
  assert.equal(breaker.state, 'open');
});

test('cache_breaker: probeSoon brings an open circuit\'s probe forward, never back', async () => {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, maxOpenMs: 1000 }, clock, () => {}, () => 0.5);
  await assert.rejects(breaker.run(fail));
  breaker.probeSoon(200);
  clock.advance(99);
  assert.equal(breaker.state, 'open');
  clock.advance(1);
  assert.equal(breaker.state, 'half-open');
  breaker.probeSoon(5000);
  assert.equal(breaker.state, 'half-open');
});

test('cache_breaker: NodeHealth keeps one circuit per master: one dead node leaves the others closed', async () => {
  const clock = new ManualClock();
  const health = new NodeHealth({ failureThreshold: 2, openMs: 100, maxOpenMs: 100 }, clock);
  for (let i = 0; i < 2; i++) await assert.rejects(health.of('127.0.0.1:7001').run(fail));
  // Successes on another master do not close the dead one's circuit (the old single breaker did).
  for (let i = 0; i < 10; i++) assert.equal(await health.of('127.0.0.1:7002').run(ok), 'ok');
  assert.equal(health.of('127.0.0.1:7001').state, 'open');
  assert.equal(health.of('127.0.0.1:7002').state, 'closed');
  assert.equal(health.state, 'degraded');
  await assert.rejects(health.of('127.0.0.1:7001').run(ok), BreakerOpenError);
  // The dead master was replaced: its circuit is forgotten with it.
  health.retain(new Set(['127.0.0.1:7002', '127.0.0.1:7004']));
  assert.deepEqual(health.nodes().map((n) => n.node), ['127.0.0.1:7002']);
  assert.equal(health.state, 'healthy');
  for (let i = 0; i < 2; i++) await assert.rejects(health.of('127.0.0.1:7002').run(fail));
  assert.equal(health.state, 'down');
});

test('cache_breaker: a late success of a call started before the circuit opened does not close it', async () => {
  const { breaker, changes } = setup();
  let succeedLate!: (v: string) => void;
  const late = breaker.run(() => new Promise<string>((r) => (succeedLate = r)));
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  succeedLate('late');
  assert.equal(await late, 'late');
  assert.equal(breaker.state, 'open', 'only a probe closes an open circuit');
  assert.deepEqual(changes, ['open']);
});

test('cache_breaker: failed probes are not reported as new transitions', async () => {
  const { clock, breaker, changes } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail));
  for (let i = 0; i < 3; i++) {
    clock.advance(1000);
    await assert.rejects(breaker.run(fail));
  }
  assert.deepEqual(changes, ['open']);
});
