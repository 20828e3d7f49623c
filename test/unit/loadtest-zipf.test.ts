// Tests for the load generator's workloads: the Zipf sampler, query encoding and the generated mixes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../loadtest/workload/random.ts';
import { parseQueryFile, formatQueryFile } from '../../loadtest/workload/query-file.ts';
import { nameToWire, QueryTable } from '../../loadtest/workload/query-table.ts';
import { ZipfSampler } from '../../loadtest/workload/zipf.ts';
import { zipfWorkload } from '../../loadtest/workload/zipf-workload.ts';
import { decodeMessage } from '../../src/dns/message.ts';

test('zipf: probabilities follow 1/k^s and sum to 1', () => {
  const z = new ZipfSampler(1000, 1);
  let sum = 0;
  for (let k = 0; k < 1000; k++) sum += z.probability(k);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  assert.ok(Math.abs(z.probability(0) / z.probability(1) - 2) < 1e-9);
  assert.ok(Math.abs(z.probability(0) / z.probability(9) - 10) < 1e-9);
});

test('zipf: s = 0 is uniform, and ranks stay in range at the edges of [0, 1)', () => {
  const z = new ZipfSampler(4, 0);
  assert.deepEqual([0, 0.24, 0.25, 0.5, 0.99999].map((u) => z.rank(u)), [0, 0, 1, 2, 3]);
  assert.equal(new ZipfSampler(1, 1.2).rank(0.999999), 0);
});

test('zipf: sampled frequencies match the distribution (hot head, long tail)', () => {
  const z = new ZipfSampler(500, 1.1);
  const random = seededRandom(42);
  const counts = new Array<number>(500).fill(0);
  const n = 200_000;
  for (let i = 0; i < n; i++) counts[z.rank(random())]!++;
  for (const k of [0, 1, 4, 49]) {
    const expected = z.probability(k) * n;
    assert.ok(Math.abs(counts[k]! - expected) < 4 * Math.sqrt(expected) + 5, `rank ${k}: ${counts[k]} vs ${expected.toFixed(0)}`);
  }
  const head = counts.slice(0, 10).reduce((a, b) => a + b, 0) / n;
  assert.ok(head > 0.4 && head < 0.6, `top 10 of 500 names take ${head}`);
});

test('zipf: bad parameters are refused with the parameter named', () => {
  assert.throws(() => new ZipfSampler(0, 1), /n must be/);
  assert.throws(() => new ZipfSampler(10, -1), /s must be/);
});

test('query table: queries are encoded once, with RD, and decode back', () => {
  const t = new QueryTable([{ name: 'www.Example.com.', type: 'AAAA' }, { name: 'example.net', type: 'TYPE65' }], { ednsUdpSize: 1232, dnssecOk: true });
  const q = decodeMessage(t.query(0, 0xbeef));
  assert.equal(q.id, 0xbeef);
  assert.equal(q.flags! & 0x0100, 0x0100);
  assert.equal(q.questions![0]!.name, 'www.Example.com');
  assert.equal(q.questions![0]!.type, 'AAAA');
  const opt = q.additionals!.find((a) => a.type === 'OPT') as { udpPayloadSize: number; flags: number } | undefined;
  assert.equal(opt?.udpPayloadSize, 1232);
  assert.equal(opt!.flags & 0x8000, 0x8000);
  assert.equal(t.questionEnd[0], 12 + 'www.Example.com'.length + 2 + 4);
  assert.equal(decodeMessage(t.query(1)).additionals!.length, 1);
  assert.equal(new QueryTable([{ name: 'a.b', type: 'A' }]).length[0], 12 + 5 + 4);
});

test('query table: names that cannot be encoded are refused by name', () => {
  assert.throws(() => nameToWire(`${'x'.repeat(64)}.com`), /label length 64/);
  assert.throws(() => nameToWire('a..b'), /label length 0/);
  assert.throws(() => new QueryTable([{ name: 'a.com', type: 'BOGUS' }]), /unknown type "BOGUS"/);
  assert.deepEqual([...nameToWire('.')], [0]);
});

test('query file: dnsperf format, comments, default type A, errors name the line', () => {
  const specs = parseQueryFile('# comment\nwww.example.com A\n\nexample.com mx\n; other\nfoo.test\n');
  assert.deepEqual(specs, [
    { name: 'www.example.com', type: 'A' },
    { name: 'example.com', type: 'MX' },
    { name: 'foo.test', type: 'A' },
  ]);
  assert.deepEqual(parseQueryFile(formatQueryFile(specs)), specs);
  assert.throws(() => parseQueryFile('a A\nb A extra\n', 'q.txt'), /q\.txt:2/);
  assert.throws(() => parseQueryFile('# nothing\n'), /no queries/);
});

test('zipf workload: deterministic, shares respected, cold names unique and never catalogued', () => {
  const o = { seed: 7, simSeed: 1, simZones: 40, s: 1, length: 20_000, coldShare: 0.1, nxShare: 0.2 };
  const a = zipfWorkload(o);
  const b = zipfWorkload(o);
  assert.deepEqual(a.sequence, b.sequence);
  assert.deepEqual(a.table.arena, b.table.arena);
  const names = [...a.sequence].map((i) => a.table.specs[i]!.name);
  const cold = names.filter((n) => /^[a-z0-9]{12}\./.test(n));
  assert.ok(Math.abs(cold.length / o.length - 0.1) < 0.015, `cold share ${cold.length / o.length}`);
  assert.equal(new Set(cold).size, cold.length);
  const nx = names.filter((n) => /^nx\d+\./.test(n));
  assert.ok(Math.abs(nx.length / o.length - 0.2) < 0.02, `nx share ${nx.length / o.length}`);
  const other = zipfWorkload({ ...o, seed: 8 });
  assert.notDeepEqual(other.sequence, a.sequence);
  assert.throws(() => zipfWorkload({ ...o, coldShare: 0.7, nxShare: 0.5 }), /exceeds 1/);
});
