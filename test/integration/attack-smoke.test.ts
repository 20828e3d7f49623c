// Smoke test of the attack suite (loadtest/attack): a few attacks at tiny scale against a real
// andns process, checking that every figure the README table needs is measured and bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICK } from '../../loadtest/attack/plan.ts';
import { markdown, targets } from '../../loadtest/attack/report.ts';
import { compareMarkdown } from '../../loadtest/attack/compare.ts';
import { startStage } from '../../loadtest/attack/stage.ts';
import { runSuite } from '../../loadtest/attack/suite.ts';
import { TRANSPORTS } from '../../loadtest/attack/probes.ts';
import { fuzzPacket, parses } from '../../loadtest/attack/attacks/fuzz.ts';

test('attack suite, quick: floods, slow-drip, rapid reset, fuzz, amplification and the outsider check all measure', async () => {
  const stage = await startStage({ zones: 8 });
  try {
    const r = await runSuite(stage, { scale: QUICK, only: ['udp-garbage', 'tcp-slow-drip', 'h2-rapid-reset', 'fuzz', 'amplification', 'open-resolver'] });
    for (const t of TRANSPORTS) {
      assert.ok(r.baseline[t].sent > 0, `${t}: probes sent`);
      assert.equal(r.baseline[t].ok, r.baseline[t].sent, `${t}: at rest every probe is answered ${JSON.stringify(r.baseline[t])}`);
    }
    assert.deepEqual(r.attacks.map((a) => a.id), ['udp-garbage', 'tcp-slow-drip', 'h2-rapid-reset', 'fuzz']);
    for (const a of r.attacks) {
      assert.ok(!('error' in a.report), `${a.id}: ${JSON.stringify(a.report)}`);
      assert.ok(a.report.sent > 0, `${a.id} sent something`);
      for (const t of TRANSPORTS) assert.ok(a.during[t].sent > 0 && a.after[t].sent > 0, `${a.id}: ${t} probed during and after`);
      assert.ok(a.rssMaxMb > 0);
    }
    const byId = Object.fromEntries(r.attacks.map((a) => [a.id, a.report])) as Record<string, { sent: number; counters: Record<string, number> }>;
    assert.ok(byId['udp-garbage']!.sent <= QUICK.udpPackets, 'bounded in count');
    assert.ok(byId['fuzz']!.sent <= QUICK.fuzzPackets);
    assert.ok(byId['tcp-slow-drip']!.counters.established! > 0 && byId['tcp-slow-drip']!.counters.connects! <= QUICK.connections * 20);
    assert.ok(byId['h2-rapid-reset']!.sent <= QUICK.resetStreams);
    assert.ok(r.amplification.length >= 3);
    for (const a of r.amplification) {
      assert.ok(a.replies > 0 && a.bytesReceived > 0, `${a.name} ${a.type}: ${JSON.stringify(a)}`);
      assert.equal(a.factor, Math.round((a.bytesReceived / a.bytesSent) * 100) / 100);
    }
    assert.deepEqual(r.outsider.map((c) => c.transport), TRANSPORTS);
    for (const c of r.outsider) assert.ok(c.sent > 0, `${c.transport}: the outsider sent queries`);
    assert.equal(r.crashes, 0, 'andns survived');
    const md = markdown(r);
    assert.match(md, /\| target \| figure \| met \|/);
    assert.match(md, /UDP garbage flood/);
    // Every target the run can judge is judged, and before/after tables line up by target.
    assert.ok(targets(r).length >= 5, JSON.stringify(targets(r)));
    const both = compareMarkdown(r, r);
    for (const t of targets(r)) assert.ok(both.includes(`| ${t.target} | ${t.figure} | ${t.figure} |`), t.target);
  } finally {
    await stage.close();
  }
});

test('fuzzed packets are deterministic per seed, and the reply check tells DNS from junk', () => {
  const stream = (seed: number) => {
    let x = seed;
    return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  };
  const a = Array.from({ length: 50 }, ((r) => () => fuzzPacket(r))(stream(1)));
  const b = Array.from({ length: 50 }, ((r) => () => fuzzPacket(r))(stream(1)));
  assert.deepEqual(a, b);
  const reply = Buffer.from('abcd81800001000000000000' + '03777777076578616d706c6500' + '00010001', 'hex');
  assert.equal(parses(reply), true);
  assert.equal(parses(Buffer.from('abcd01000001000000000000', 'hex')), false, 'QR=0 is not a reply');
  assert.equal(parses(Buffer.from('abcd8180000100000000000003777777', 'hex')), false, 'a truncated question');
});
