// No two identical upstream questions in flight (issue 10): concurrent client queries and their
// sub-queries (NS addresses, DNSKEY) that need the same question of the same zone share one
// exchange. Counted at the simulated servers, as a trace would show it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Internet } from '../sim/internet.ts';
import { signedSetup, question } from './val_setup.ts';

/**
 * Questions asked more than once, server-independent: (zone served, qname lower-cased, qtype).
 * Over UDP only: a truncated reply's TCP retry is the same exchange.
 */
function repeated(internet: Internet): string[] {
  const counts = new Map<string, number>();
  for (const s of internet.network.servers()) {
    const zones = s.zones.map((z) => z.apex).sort().join(',');
    for (const q of s.log.filter((e) => e.protocol === 'udp')) {
      const k = `${zones} ${q.qname.toLowerCase()}/${q.qtype}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

test('iter_inflight: a burst of cold names in shared zones asks each question once', async () => {
  const { internet, resolver } = signedSetup();
  // Every www name at once: they share the root, the TLDs, their keys and glue-less NS hosts.
  // Ordinary zones only: faulty servers (lame, dead, slow) make a retry at another server legitimate.
  const names = internet.catalogue.filter((e) => e.type === 'A' && e.name.startsWith('www.') && (e.tags.includes('glue') || e.tags.includes('glueless')) && e.rcode === 'NOERROR' && e.dnssec?.status !== 'bogus');
  assert.ok(names.length > 30);
  const results = await Promise.all(names.map((e) => resolver.resolve(question(e.name, 1))));
  assert.deepEqual(results.filter((r) => r.kind !== 'answer').map((r) => JSON.stringify(r).slice(0, 200)), []);
  assert.deepEqual(repeated(internet), []);
});

test('iter_inflight: the same name asked by many clients at once costs one resolution upstream', async () => {
  const { internet, resolver } = signedSetup();
  const name = internet.catalogue.find((e) => e.type === 'A' && e.name.startsWith('www.') && e.dnssec?.status === 'secure')!.name;
  // Different flags (DO, CD) keep the client questions apart; their upstream questions are the same.
  const qs = [question(name, 1), question(name, 1, { dnssecOk: true }), question(name, 1, { checkingDisabled: true }), question(name.toUpperCase(), 1)];
  const results = await Promise.all(qs.map((q) => resolver.resolve(q)));
  assert.deepEqual(results.map((r) => r.kind), ['answer', 'answer', 'answer', 'answer']);
  assert.deepEqual(repeated(internet), []);
});

test('iter_inflight: two resolutions whose glue-less NS names sit in each other\'s zones end, not wait on each other', async () => {
  const { internet, resolver } = signedSetup();
  // loop-a.net is served by a name in loop-b.example and the other way round (internet-special.ts).
  const loops = internet.catalogue.filter((e) => /^www\.loop-[ab]\./.test(e.name));
  assert.equal(loops.length, 2);
  // Many at once, so that each resolution leads one side of the cycle and would join the other.
  const results = await Promise.all([...loops, ...loops, ...loops].map((e) => resolver.resolve(question(e.name, 1))));
  assert.deepEqual(new Set(results.map((r) => r.kind)), new Set(['servfail']));
});
