// Failure mode: one Redis master stalls (SIGSTOP: its sockets stay open, nothing answers). Only
// its own slots are affected: names stored on the other masters are still shared between
// front-ends (counted: no upstream query), and names on the stalled master's slots are still
// answered (from resolution). Then it resumes and its slots are shared again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keySlot } from '../../src/shared-cache/slot.ts';
import { redisMissing, startRedisCluster } from '../harness/redis-cluster.ts';
import { internetFrontEnds, question } from '../harness/frontends.ts';
import { until } from '../harness/store-contract.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping Redis stalled-master test: ${skip}`);

test('cache_stalled_master: a stalled master costs only its own slots; every query is answered', { skip }, async (t) => {
  // A node timeout longer than the test's stall: no fail-over, the master just hangs.
  const cluster = await startRedisCluster(t, { nodeTimeoutMs: 30_000 });
  // Sharing is counted: a read budget with slack for a busy machine, still far below the stall.
  const { fronts, names, queries } = await internetFrontEnds(t, cluster.seeds, 2, {}, { readBudgetMs: 200 });
  const [one, two] = [fronts[0]!, fronts[1]!];
  const keys = one.shared.keys;
  const owner = new Map<string, number>();
  for (const n of names) owner.set(n, await cluster.masterOf(keySlot(keys.rrset(n, 1))));
  const victim = owner.get(names[0]!)!;
  const onVictim = names.filter((n) => owner.get(n) === victim);
  const elsewhere = names.filter((n) => owner.get(n) !== victim);
  assert.ok(onVictim.length >= 5 && elsewhere.length >= 10, `${onVictim.length} names on the victim, ${elsewhere.length} elsewhere`);

  cluster.pause(victim);
  t.after(() => cluster.resume(victim));
  let answered = 0;
  let asked = 0;
  let shared = 0;
  // Names elsewhere: one resolves, the other answers from Redis alone (no upstream query).
  for (const n of elsewhere) {
    asked += 2;
    if ((await one.resolve(question(n))).kind === 'answer') answered++;
    const before = queries();
    if ((await two.resolve(question(n))).kind === 'answer') answered++;
    if (queries() === before) shared++;
  }
  // Names on the stalled master: answered all the same, by resolution.
  for (const [i, n] of onVictim.entries()) {
    asked++;
    if ((await fronts[i % 2]!.resolve(question(n))).kind === 'answer') answered++;
  }
  assert.equal(answered, asked, 'every query answered while a master is stalled');
  assert.equal(shared, elsewhere.length, 'every name stored on a healthy master was shared');
  const states = new Map(one.shared.health!.nodes().map((s) => [s.node, s.state]));
  const victimAddress = `127.0.0.1:${cluster.nodes[victim]!.port}`;
  assert.notEqual(states.get(victimAddress), 'closed', 'the stalled master\'s circuit opened');
  for (const [node, state] of states) if (node !== victimAddress) assert.equal(state, 'closed', `${node} stays closed`);

  cluster.resume(victim);
  // Its slots are shared again once its circuit has probed and ramped back: AAAA of its names
  // (keys in the same slot, never asked before, so neither front-end holds them in memory).
  const types = [28, 16, 15, 13, 99, 33, 44, 35];
  let k = 0;
  await until(async () => {
    const q = question(onVictim[k % onVictim.length]!, types[Math.floor(k / onVictim.length) % types.length]);
    k++;
    await one.resolve(q);
    const before = queries();
    await two.resolve(q);
    return queries() === before;
  }, 15_000);
});
