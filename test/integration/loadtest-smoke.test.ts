// Smoke test of the load generator: ~1 s runs in both loop modes against a simulated root server on real sockets.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runLoad, type RunConfig } from '../../loadtest/engine/run.ts';
import type { RunResult } from '../../loadtest/engine/result.ts';
import { renderReport } from '../../loadtest/report/html.ts';
import { latencyOverTime } from '../../loadtest/report/charts.ts';
import { writePng } from '../../loadtest/report/png.ts';
import { parseQueryFile } from '../../loadtest/workload/query-file.ts';
import { fileWorkload } from '../../loadtest/workload/workload.ts';
import { generateInternet, ROOT_ADDRESSES } from '../sim/internet.ts';
import { serveNetwork } from '../sim/socket-host.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../loadtest/cli.js', import.meta.url));

/**
 * The root server answers these itself: an authoritative A (NOERROR, AA), a referral for a
 * TLD (NOERROR), and a name under a TLD that does not exist (NXDOMAIN). No resolver needed.
 */
const QUERIES = 'a.root-servers.net A\ncom NS\nno-such-tld-xyz A\n';

async function withRootServer(fn: (host: string, port: number) => Promise<void>): Promise<void> {
  const internet = generateInternet({ seed: 3, zones: 10 });
  const host = await serveNetwork(internet.network);
  try {
    await fn(ROOT_ADDRESSES[0]!, host.port);
  } finally {
    await host.close();
  }
}

function config(host: string, port: number, over: Partial<RunConfig>): RunConfig {
  return {
    label: 'smoke', host, port, transport: 'udp', mode: 'closed', rate: 1000, concurrency: 20, durationS: 1, maxQueries: 0,
    timeoutMs: 2000, channels: 2, insecure: false, doh: { path: '/dns-query', method: 'POST', scheme: 'https' }, pids: [process.pid], progress: false, ...over,
  };
}

/** Every query answered; rcodes in the file's proportions (2 NOERROR : 1 NXDOMAIN). */
function assertClean(r: RunResult): void {
  const t = r.totals;
  assert.ok(t.sent > 0);
  assert.equal(t.answered, t.sent, JSON.stringify(t));
  assert.equal(t.timeouts + t.failures + t.unsent + t.stray, 0, JSON.stringify(t));
  assert.equal((t.rcodes.NOERROR ?? 0) + (t.rcodes.NXDOMAIN ?? 0), t.sent);
  assert.ok(Math.abs((t.rcodes.NXDOMAIN ?? 0) - t.sent / 3) <= 1, JSON.stringify(t.rcodes));
  assert.equal(r.latency.count, t.answered);
  assert.ok(r.latency.p50Ms <= r.latency.p99Ms && r.latency.p99Ms <= r.latency.maxMs);
  assert.ok(r.qps > 0);
}

test('closed loop over UDP and TCP: every query answered, with the expected rcodes', async () => {
  await withRootServer(async (host, port) => {
    const workload = fileWorkload(parseQueryFile(QUERIES), 'smoke');
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await runLoad(config(host, port, { transport, durationS: transport === 'udp' ? 1 : 0.5 }), workload);
      assertClean(r);
      assert.equal(r.config.concurrency, 20);
      assert.ok(r.timeline.length >= (transport === 'udp' ? 1 : 0));
      assert.ok(r.server && r.server.maxRssMb > 0, 'the given PID (this process) is sampled');
    }
  });
});

test('open loop: sends the scheduled number of queries, and max-queries stops early', async () => {
  await withRootServer(async (host, port) => {
    const workload = fileWorkload(parseQueryFile(QUERIES), 'smoke');
    // A modest rate and a long timeout: the generator and the server share this process, and
    // on a busy machine a 2,000 q/s burst can overrun the socket buffer (lost, not late).
    const r = await runLoad(config(host, port, { mode: 'open', rate: 500, durationS: 1, timeoutMs: 10_000 }), workload);
    assertClean(r);
    assert.ok(Math.abs(r.totals.sent - 500) <= 2, `sent ${r.totals.sent}`);
    assert.equal(r.config.rate, 500);
    const capped = await runLoad(config(host, port, { mode: 'open', rate: 500, durationS: 20, maxQueries: 100, timeoutMs: 10_000 }), workload);
    assert.equal(capped.totals.sent, 100);
    // The schedule would run 20 s; stopping at 100 queries ends it in well under that.
    assert.ok(capped.elapsedS < 15, `stopped after ${capped.elapsedS} s`);
});
});

test('the CLI writes a JSON result, and the report renders it to HTML and PNG', async () => {
  await withRootServer(async (host, port) => {
    const dir = mkdtempSync(join(tmpdir(), 'loadtest-smoke-'));
    try {
      writeFileSync(join(dir, 'q.txt'), QUERIES);
      const out = join(dir, 'r.json');
      const { stdout } = await run(process.execPath, [CLI, '--server', `${host}:${port}`, '--mode', 'closed', '--concurrency', '10', '--duration', '1', '--queries', join(dir, 'q.txt'), '--out', out, '--label', 'cli run', '--quiet']);
      assert.equal(stdout, '');
      const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      assert.equal(r.schema, 'andns-loadtest/1');
      assert.equal(r.label, 'cli run');
      assertClean(r);
      assert.ok(r.spectrum.length > 0 && typeof r.histogram === 'string');
      assert.ok(r.machine.cpus > 0);
      const html = renderReport({ title: 'smoke', sections: [{ title: 'runs', runs: [r] }] });
      assert.match(html, /<svg/);
      assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no scripts, nothing fetched');
      await writePng(latencyOverTime([r]), join(dir, 'chart.png'));
      assert.deepEqual([...readFileSync(join(dir, 'chart.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
      await assert.rejects(run(process.execPath, [CLI, '--server', '192.0.2.1:53', '--queries', join(dir, 'q.txt'), '--duration', '1']), /only loopback/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('round robin over two servers: each gets half the queries; --hit-under-ms counts the fast answers', async () => {
  const internet = generateInternet({ seed: 3, zones: 10 });
  const host = await serveNetwork(internet.network);
  try {
    const [a, b] = [ROOT_ADDRESSES[0]!, ROOT_ADDRESSES[1]!];
    const workload = fileWorkload(parseQueryFile(QUERIES), 'root queries');
    const r = await runLoad(config(a, host.port, { alsoServers: [{ host: b, port: host.port }], hitUnderMs: 60_000, maxQueries: 200, durationS: 1 }), workload);
    assertClean(r);
    assert.equal(r.config.server, `${a}:${host.port},${b}:${host.port}`);
    assert.equal(internet.network.get(a)!.queries, 100);
    assert.equal(internet.network.get(b)!.queries, 100);
    assert.equal(r.totals.fastAnswers, r.totals.answered); // every answer is under a minute
  } finally {
    await host.close();
  }
});
