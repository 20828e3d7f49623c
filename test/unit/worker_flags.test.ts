// Workers get a small V8 young generation unless the operator chose one (README, Memory).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerNodeFlags, YOUNG_SEMI_SPACE_MIB } from '../../src/cli/workers.ts';

test('a worker gets --max-semi-space-size unless node was given one', () => {
  assert.deepEqual(workerNodeFlags(['--enable-source-maps']), ['--enable-source-maps', `--max-semi-space-size=${YOUNG_SEMI_SPACE_MIB}`]);
  assert.deepEqual(workerNodeFlags(['--max-semi-space-size=8']), ['--max-semi-space-size=8']);
  assert.deepEqual(workerNodeFlags([], '--max-semi-space-size=16 --trace-gc'), []);
});
