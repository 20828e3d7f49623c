// Tests for the cluster scenario's parts (round robin, hit threshold, repeatable --server, its table) and the profile summary.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli } from '../../loadtest/args.ts';
import { clusterMarkdown, clusterVerdict } from '../../loadtest/bench/cluster-summary.ts';
import type { ClusterOutcome, ClusterRow } from '../../loadtest/bench/cluster.ts';
import type { RunResult } from '../../loadtest/engine/result.ts';
import { summarizeProfile } from '../../loadtest/profile-summary.ts';
import { Recorder } from '../../loadtest/stats/recorder.ts';
import { RoundRobinTransport } from '../../loadtest/transport/round-robin.ts';
import type { Transport } from '../../loadtest/transport/transport.ts';

/** A transport that records what it was sent and refuses once `room` queries are outstanding. */
function fake(room: number): Transport & { got: number[]; closed: boolean; expired: number } {
  const t = {
    got: [] as number[],
    closed: false,
    expired: 0,
    stray: 1,
    get outstanding() {
      return t.got.length;
    },
    send(q: number) {
      if (t.got.length >= room) return false;
      t.got.push(q);
      return true;
    },
    expire() {
      t.expired++;
    },
    async close() {
      t.closed = true;
    },
  };
  return t;
}

test('round robin: query k goes to server k mod N; a full server passes its turn on', async () => {
  const [a, b, c] = [fake(100), fake(100), fake(1)];
  const rr = new RoundRobinTransport([a, b, c]);
  for (let q = 0; q < 7; q++) assert.ok(rr.send(q, 0));
  assert.deepEqual(a.got, [0, 3, 5]);
  assert.deepEqual(b.got, [1, 4, 6]);
  assert.deepEqual(c.got, [2]); // full after one: its turns went to the next server
  assert.equal(rr.outstanding, 7);
  assert.equal(rr.stray, 3);
  rr.expire(0);
  await rr.close();
  assert.ok([a, b, c].every((t) => t.expired === 1 && t.closed));
});

test('round robin: unsent only when every server is full', () => {
  const rr = new RoundRobinTransport([fake(1), fake(1)]);
  assert.ok(rr.send(0, 0) && rr.send(1, 0));
  assert.equal(rr.send(2, 0), false);
  assert.throws(() => new RoundRobinTransport([]), /no servers/);
});

test('hit threshold: answers faster than it are counted, per run and per second', () => {
  const r = new Recorder(10);
  r.onAnswer(0, 2, 0, false);
  r.onAnswer(0, 9.9, 0, false);
  r.onAnswer(0, 25, 0, false);
  assert.equal(r.closeSecond(1).fast, 2);
  r.onAnswer(0, 1, 0, false);
  assert.equal(r.closeSecond(2).fast, 1);
  assert.equal(r.fast, 3);
  const none = new Recorder();
  none.onAnswer(0, 0, 0, false);
  assert.equal(none.fast, 0);
  assert.equal(none.closeSecond(1).fast, undefined); // no threshold: no field in the timeline
});

test('--server is repeatable: the first is the run\'s server, the others follow in turn', () => {
  const o = parseCli(['--server', '127.0.0.1:5301', '--server', '127.0.0.2:5302', '--queries', 'q', '--hit-under-ms', '10']);
  assert.equal(o.run.host, '127.0.0.1');
  assert.deepEqual(o.run.alsoServers, [{ host: '127.0.0.2', port: 5302 }]);
  assert.equal(o.run.hitUnderMs, 10);
  assert.equal(parseCli(['--server', '127.0.0.1:1', '--queries', 'q']).run.alsoServers, undefined);
  assert.throws(() => parseCli(['--server', '127.0.0.1:1', '--queries', 'q', '--hit-under-ms', '0']), /--hit-under-ms/);
});

test('cluster table: ratios to one front-end and the ≤ 1.1× verdict', () => {
  const row = (kind: ClusterRow['kind'], frontEnds: number, upstreamQueries: number, upstreamVsOne?: number): ClusterRow => ({
    kind, frontEnds, upstreamQueries, ...(upstreamVsOne ? { upstreamVsOne } : {}), hitRatio: 0.9, p50Ms: 0.1, p99Ms: 2, p99SteadyMs: 1,
    run: { totals: { timeouts: 0 } } as RunResult,
  });
  const o: ClusterOutcome = {
    settings: { frontEnds: [1, 4], rate: 1000, durationS: 1, rttMs: 20, zipfS: 1, nxShare: 0 },
    rows: [row('andns shared (Redis)', 1, 1000), row('andns shared (Redis)', 4, 1050, 1.05), row('andns independent', 4, 3900, 3.9)],
    errors: [],
  };
  assert.match(clusterVerdict(o)!, /1\.05× .* met/);
  const md = clusterMarkdown(o);
  assert.equal(md.split('\n').length, 5);
  assert.match(md, /\| andns independent \| 4 \| 3,900 \| 3\.9 \| 90\.0 % \|/);
  assert.equal(clusterVerdict({ ...o, rows: o.rows.slice(0, 1) }), undefined);
});

test('profile summary: self time per function and area, idle apart', () => {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
  const s = summarizeProfile({
    nodes: [
      { id: 1, callFrame: frame('(idle)') },
      { id: 2, callFrame: frame('doSend', 'node:dgram') },
      { id: 3, callFrame: frame('reply', 'file:///x/dist/src/server/hot-answers.js') },
      { id: 4, callFrame: frame('(garbage collector)') },
    ],
    samples: [1, 2, 2, 3, 4, 1],
    timeDeltas: [100, 30, 30, 30, 10, 100],
  });
  assert.equal(s.idlePercent, 66.7);
  assert.deepEqual(s.functions.map((f) => [f.name, f.percent]), [['doSend node:dgram:1', 60], ['reply dist/src/server/hot-answers.js:1', 30], ['(garbage collector)', 10]]);
  assert.deepEqual(s.areas.map((a) => a.name), ['node core (JS)', 'andns (src/)', '(garbage collector)']);
});
