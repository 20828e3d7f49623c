// Differential test: andns (the real `andns serve` process) and Unbound resolve the same names
// of the same simulated internet; rcodes and answer RRsets must agree. Also reports the
// upstream queries each needed (counted at the simulated servers). On the signed internet both
// validate from its root DS, and the AD bit must agree too. Unbound only queries port 53, so
// each case runs in a network namespace of its own: the host's port 53 is never touched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { unboundAvailable } from '../peers/unbound.ts';
import { requireNetns, runInNetns } from '../peers/netns.ts';
import type { DiffResult } from './diff_unbound-scenario.ts';

const SCENARIO = join(import.meta.dirname, 'diff_unbound-scenario.js');

function prerequisites(t: { skip(message: string): void }): boolean {
  if (!unboundAvailable()) {
    if (process.env['CI']) throw new Error('unbound is required in CI (apt-get install unbound)');
    t.skip('unbound is not installed (apt-get install unbound)');
    return false;
  }
  return requireNetns(t);
}

for (const qmin of [true, false]) {
test(`diff_unbound: andns and Unbound agree on rcode and answers (QNAME minimisation ${qmin ? 'on' : 'off'})`, { timeout: 180_000 }, async (t) => {
  if (!prerequisites(t)) return;
  const r = await runInNetns<DiffResult>(SCENARIO, [qmin ? 'plain-qmin' : 'plain-no-qmin'], 175_000, t.signal);
  for (const line of r.diagnostics) t.diagnostic(line);
  assert.deepEqual(r.differences, [], `${r.differences.length} of ${r.names} names differ`);
  assert.ok(r.names >= 300);
});
}

test('diff_unbound: on the signed internet andns and Unbound agree on rcode, AD bit and answers for every DNSSEC case', { timeout: 240_000 }, async (t) => {
  if (!prerequisites(t)) return;
  const r = await runInNetns<DiffResult>(SCENARIO, ['signed'], 235_000, t.signal);
  for (const line of r.diagnostics) t.diagnostic(line);
  assert.deepEqual(r.differences, [], `${r.differences.length} of ${r.names} names differ`);
  assert.ok(r.adAndns > 100 && r.servfailAndns > 10);
});
