// Per-zone fairness: past the in-flight cap a query to the zone waits for a slot instead of
// failing; only what does not fit in the queue fails, and that local overload never enters the
// zone failure cache (RFC 9520 is about the zone's servers, not about us).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { Budget, WorkLimitExceeded } from '../../src/resolver/budget.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import type { ClientQuestion } from '../../src/resolver/resolution.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import type { ExchangeRequest, UpstreamTransport } from '../../src/resolver/upstream.ts';
import { ZoneGate } from '../../src/resolver/zone-gate.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { smallWorld } from '../sim/small-world.ts';

test('the zone gate: the cap holds, the excess waits in order, beyond the queue it fails and marks the budget', async () => {
  const clock = new ManualClock();
  const gate = new ZoneGate(2, 1);
  const budget = (): Budget => new Budget(defaultLimits, clock);
  await gate.enter('example.com', budget());
  await gate.enter('example.com', budget());
  assert.equal(gate.inFlight('example.com'), 2);
  let third = false;
  const waiting = gate.enter('example.com', budget()).then(() => (third = true));
  const b = budget();
  await assert.rejects(gate.enter('example.com', b), (err) => err instanceof WorkLimitExceeded && err.limit === 'zone-inflight');
  assert.equal(b.overloaded, true, 'the failed query knows it was local overload');
  await gate.enter('other.example', budget());
  assert.equal(gate.inFlight('other.example'), 1, 'another zone has its own slots');
  await Promise.resolve();
  assert.equal(third, false);
  gate.leave('example.com');
  await waiting;
  assert.equal(third, true, 'the waiter got the slot handed over');
  assert.equal(gate.inFlight('example.com'), 2);
  gate.leave('example.com');
  gate.leave('example.com');
  assert.equal(gate.inFlight('example.com'), 0);
});

/** Holds every exchange to `held` until released, so queries pile up at the zone's servers. */
class HeldTransport implements UpstreamTransport {
  private readonly inner: MemoryTransport;
  private readonly held: string;
  readonly waiting: (() => void)[] = [];
  hold = true;
  constructor(inner: MemoryTransport, held: string) {
    this.inner = inner;
    this.held = held;
  }
  async exchange(req: ExchangeRequest): Promise<Buffer> {
    if (this.hold && req.address === this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.inner.exchange(req);
  }
}

const q = (qname: string): ClientQuestion => ({ qname, qtype: 1, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });

test('a zone at its cap queues queries and fails only the excess; the overload is not cached as the zone failing', async () => {
  const w = smallWorld();
  const transport = new HeldTransport(new MemoryTransport(w.net), '127.53.2.1'); // ns1.example.com
  const resolver = new Resolver({
    transport,
    cache: memoryRecordCache(w.clock),
    clock: w.clock,
    options: { ...w.options, limits: { ...w.options.limits, maxInflightPerZone: 1 } },
    log: silentLogger,
  });
  transport.hold = false;
  await resolver.resolve(q('only-a.example.com')); // root and com delegations cached
  transport.hold = true;
  const names = ['www.example.com', 'alias.example.com', 'deep.ent.example.com'];
  const pending = names.map((n) => resolver.resolve(q(n)));
  for (let i = 0; i < 20 && transport.waiting.length === 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(transport.waiting.length, 1, 'one exchange in flight to the zone: the cap');
  transport.hold = false;
  for (const release of transport.waiting.splice(0)) release();
  const results = await Promise.all(pending);
  const kinds = results.map((r) => r.kind);
  assert.deepEqual(kinds.filter((k) => k === 'answer').length, 2, `one query waited its turn and was answered: ${kinds}`);
  const failed = results.find((r) => r.kind === 'servfail');
  assert.ok(failed && failed.kind === 'servfail' && /zone-inflight/.test(failed.ede?.text ?? ''), 'only the excess beyond the queue failed');
  // The overload left no failure behind: the next query to the zone is answered, not a cached SERVFAIL.
  const next = await resolver.resolve(q('thequickbrownfoxjumpsoverthelazydog.example.com'));
  assert.equal(next.kind, 'answer', JSON.stringify(next));
});
