// The memory budget (config/memory.ts): shares, the split over workers, expert overrides
// checked against the budget, and the sizes the composed caches get from it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig } from '../../src/config/load.ts';
import { MEMORY_SHARES, MEMORY_TIERS, planMemory } from '../../src/config/memory.ts';

const MIB = 1024 * 1024;

test('shares of each mode add up to the whole budget', () => {
  for (const mode of ['embedded', 'redis'] as const) {
    const sum = MEMORY_TIERS.reduce((s, t) => s + MEMORY_SHARES[mode][t], 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `${mode}: ${sum}`);
  }
});

test('embedded: no decoded record tier; the tiers add up to the budget', () => {
  const plan = planMemory(64, 1, false, {});
  assert.equal(plan.tiers.records, 0);
  assert.ok(plan.tiers.embeddedStore > plan.tiers.hotAnswers);
  const sum = MEMORY_TIERS.reduce((s, t) => s + plan.tiers[t], 0);
  assert.ok(sum <= 64 * MIB && sum > 64 * MIB - 16, `sum ${sum}`);
});

test('redis: no embedded store, a decoded tier', () => {
  const plan = planMemory(64, 1, true, {});
  assert.equal(plan.tiers.embeddedStore, 0);
  assert.ok(plan.tiers.records > 0);
});

test('the budget is per host: each worker gets its part', () => {
  const one = planMemory(256, 1, false, {});
  const four = planMemory(256, 4, false, {});
  assert.equal(four.processBytes, one.processBytes / 4);
  assert.equal(four.tiers.hotAnswers, Math.floor(one.tiers.hotAnswers / 4));
  assert.throws(() => planMemory(8, 4, false, {}), (e: Error) => e instanceof ConfigError && /memory\.budgetMiB/.test(e.message));
});

test('an override takes its bytes, the other tiers share the rest', () => {
  const plan = planMemory(64, 1, false, { hotAnswers: 8 * MIB });
  assert.equal(plan.tiers.hotAnswers, 8 * MIB);
  assert.deepEqual(plan.overridden, ['hotAnswers']);
  const sum = MEMORY_TIERS.reduce((s, t) => s + plan.tiers[t], 0);
  assert.ok(sum <= 64 * MIB);
  // An override for a tier the mode does not have is ignored (no embedded store with Redis)…
  assert.equal(planMemory(64, 1, true, { embeddedStore: 8 * MIB }).tiers.embeddedStore, 0);
  // …but a decoded tier without Redis may be asked for, to measure what it buys.
  assert.equal(planMemory(64, 1, false, { records: 8 * MIB }).tiers.records, 8 * MIB);
});

test('overrides larger than the budget are refused, naming the key', () => {
  assert.throws(() => loadConfig({ fileConfig: { sharedCache: { hotAnswersMaxBytes: 100 * MIB } } }), (e: Error) => /sharedCache\.hotAnswersMaxBytes/.test(e.message) && /memory\.budgetMiB/.test(e.message));
  // Raising the budget makes the same override fit.
  const c = loadConfig({ fileConfig: { sharedCache: { hotAnswersMaxBytes: 100 * MIB }, memory: { budgetMiB: 200 } } });
  assert.equal(c.hotAnswersMaxBytes, 100 * MIB);
});

test('--memory-budget sizes the caches the stack is built with', () => {
  const c = loadConfig({ overrides: { memoryBudget: '128' } });
  assert.equal(c.memory.budgetBytes, 128 * MIB);
  assert.equal(c.hotAnswersMaxBytes, c.memory.tiers.hotAnswers);
  assert.equal(c.sharedCache.memoryMaxBytes, c.memory.tiers.embeddedStore);
  assert.equal(c.sharedCache.hotMaxBytes, 0);
  assert.throws(() => loadConfig({ overrides: { memoryBudget: 'lots' } }), /--memory-budget/);
  assert.throws(() => loadConfig({ fileConfig: { memory: { budgetMiB: 1 } } }), /memory\.budgetMiB/);
});
