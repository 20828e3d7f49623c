// `npm run bench`: the simulated internet, each resolver in turn, the scenarios, then JSON + HTML report + PNG.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, type RunResult } from '../engine/result.ts';
import { latencyOverTime } from '../report/charts.ts';
import { renderReport, type ReportSection } from '../report/html.ts';
import { writePng } from '../report/png.ts';
import { andnsTarget } from './andns.ts';
import { clusterScenario, type ClusterOutcome } from './cluster.ts';
import { clusterHtml, clusterMarkdown, clusterVerdict } from './cluster-summary.ts';
import { SERVER_CPU, CLIENT_CPU, startBenchEnv, type BenchEnv } from './env.ts';
import { cacheHit, coldResolution, dohThroughput, type BenchSettings } from './scenarios.ts';
import { summarize, summaryHtml, summaryMarkdown, type TargetOutcome } from './summary.ts';
import type { RunningTarget, Target } from './target.ts';
import { unboundTarget } from './unbound.ts';

/** Every target the bench knows; Unbound first, as the base of every ratio. */
const TARGETS: Record<string, () => Target> = {
  unbound: () => unboundTarget(),
  andns: () => andnsTarget(),
  'andns-2': () => andnsTarget({ workers: 2 }),
};

const USAGE = `npm run bench -- [--duration 10] [--rate 10000] [--concurrency 128] [--cold-names 200]
  [--cold-concurrency 10] [--rtt 20] [--targets unbound,andns,andns-2] [--out DIR] [--quick]
  [--cluster-rate 2000] [--front-ends 1,2,4] [--skip-cluster]`;

async function withTarget<T>(env: BenchEnv, target: Target, fn: (t: RunningTarget) => Promise<T>): Promise<T> {
  const running = await target.start(env.ctx);
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' }, rate: { type: 'string' }, concurrency: { type: 'string' }, 'cold-names': { type: 'string' },
      'cold-concurrency': { type: 'string' }, rtt: { type: 'string' }, targets: { type: 'string' }, out: { type: 'string' },
      quick: { type: 'boolean' }, help: { type: 'boolean' },
      'cluster-rate': { type: 'string' }, 'front-ends': { type: 'string' }, 'skip-cluster': { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const quick = values.quick ?? false;
  const s: BenchSettings = {
    durationS: Number(values.duration ?? (quick ? 3 : 10)),
    rate: Number(values.rate ?? 10_000),
    concurrency: Number(values.concurrency ?? 128),
    coldNames: Number(values['cold-names'] ?? (quick ? 50 : 200)),
    coldConcurrency: Number(values['cold-concurrency'] ?? 10),
    rttMs: Number(values.rtt ?? 20),
  };
  for (const [k, v] of Object.entries(s)) if (!(v > 0)) throw new Error(`--${k}: must be a positive number, got ${v}`);
  const clusterRate = Number(values['cluster-rate'] ?? 2000);
  const frontEnds = (values['front-ends'] ?? '1,2,4').split(',').map(Number);
  if (!(clusterRate > 0)) throw new Error(`--cluster-rate: must be a positive number, got ${values['cluster-rate']}`);
  if (!frontEnds.every((n) => Number.isInteger(n) && n > 0) || frontEnds[0] !== 1) throw new Error(`--front-ends ${values['front-ends']}: positive integers, starting with 1 (the base of the ratios)`);
  const names = (values.targets ?? Object.keys(TARGETS).join(',')).split(',');
  for (const n of names) if (!TARGETS[n]) throw new Error(`--targets: unknown target ${n} (known: ${Object.keys(TARGETS).join(', ')})`);

  const env = await startBenchEnv({ simSeed: 1, simZones: Math.max(300, s.coldNames + 50), ...(values.out ? { outDir: values.out } : {}) });
  console.log(`bench: simulated internet on 127.53.x.y:53 (${env.sim.internet.network.servers().length} servers), ${env.hotSpecs.length} cache-hit names; resolver on core ${SERVER_CPU}, generator on core ${CLIENT_CPU}; results in ${env.workDir}`);
  const outcomes: TargetOutcome[] = [];
  let cluster: ClusterOutcome | undefined;
  try {
    for (const name of names) {
      const target = TARGETS[name]!();
      const o: TargetOutcome = { target: target.name, errors: [] };
      outcomes.push(o);
      const why = target.unavailable();
      if (why) {
        o.errors.push(`skipped: ${why}`);
        console.log(`${target.name}: skipped (${why})`);
        continue;
      }
      try {
        const hit = await withTarget(env, target, async (t) => {
          const h = await cacheHit(env, t, s);
          // The cache is warm now: DoH reuses it (targets without DoH skip this).
          o.doh = await dohThroughput(env, t, s);
          if (!t.doh) o.errors.push('DoH: not served by this target yet');
          return h;
        });
        Object.assign(o, hit);
        for (const d of o.doh ?? []) console.log(`${d.label}: ${d.qps} req/s, p99 ${d.latency.p99Ms} ms`);
        console.log(`${target.name}: cache hit ${hit.saturation.qps} q/s at ${hit.saturation.server?.meanCpuPercent}% CPU; at ${s.rate} q/s p50 ${hit.fixedRate.latency.p50Ms} p99 ${hit.fixedRate.latency.p99Ms} p99.9 ${hit.fixedRate.latency.p999Ms} ms`);
      } catch (err) {
        o.errors.push(`cache hit: ${(err as Error).message}`);
        console.log(`${target.name}: cache hit failed: ${(err as Error).message}`);
      }
      try {
        o.cold = await withTarget(env, target, (t) => coldResolution(env, t, s));
        const l = o.cold.run.latency;
        console.log(`${target.name}: cold ${o.cold.names} names at ${s.rttMs} ms RTT: mean ${l.meanMs} p50 ${l.p50Ms} p99 ${l.p99Ms} ms, ${o.cold.upstreamPerName} upstream queries per name, rcodes ${JSON.stringify(o.cold.run.totals.rcodes)}`);
      } catch (err) {
        o.errors.push(`cold: ${(err as Error).message}`);
        console.log(`${target.name}: cold resolution failed: ${(err as Error).message}`);
      }
    }
    if (!values['skip-cluster']) {
      cluster = await clusterScenario(env, { frontEnds, rate: clusterRate, durationS: s.durationS, rttMs: s.rttMs, zipfS: 1, nxShare: 0.05 });
    }
  } finally {
    await env.close();
  }

  const rows = summarize(outcomes);
  const runs = (pick: (o: TargetOutcome) => RunResult | undefined): RunResult[] => outcomes.flatMap((o) => (pick(o) ? [pick(o)!] : []));
  const sections: ReportSection[] = [
    { title: 'Cache hit at saturation', note: `Closed loop, ${s.concurrency} outstanding over 8 UDP sockets, ${s.durationS} s, every ordinary name of the simulated internet (warmed first). The resolver's CPU is its own process time (softirq work on loopback is not in it).`, runs: runs((o) => o.saturation) },
    { title: `Cache hit at a fixed ${s.rate} q/s`, note: 'Open loop: latency from each query\'s intended send time, so stalls are not hidden (no coordinated omission).', runs: runs((o) => o.fixedRate) },
    { title: 'DoH (HTTP/2, POST) on a warm cache', note: 'Closed loop over one HTTP/2 connection (100 streams) and over eight (400 streams), through undici.', runs: outcomes.flatMap((o) => o.doh ?? []) },
    { title: `Cold resolution at ${s.rttMs} ms RTT`, note: `${s.coldNames} never-seen names on a freshly started resolver, ${s.coldConcurrency} at a time; the delay is added by the simulated authoritative servers themselves (no netem here).`, runs: runs((o) => o.cold?.run) },
    ...clusterSections(cluster),
  ];
  const title = 'andns beside Unbound on the simulated internet';
  const reportFile = join(env.workDir, 'report.html');
  const pngFile = join(env.workDir, 'latency.png');
  writeFileSync(reportFile, renderReport({ title, sections, baseLabel: 'unbound', summaryHtml: summaryHtml(rows), notes: [`Settings: ${JSON.stringify(s)}.`] }));
  writeFileSync(join(env.workDir, 'bench.json'), `${JSON.stringify({ schema: 'andns-bench/1', at: new Date().toISOString(), machine: describeMachine(), settings: s, summary: rows, outcomes, ...(cluster ? { cluster } : {}) }, null, 1)}\n`);
  await writePng(latencyOverTime(sections[1]!.runs, `Cache-hit latency at ${s.rate} q/s (open loop)`), pngFile);
  if (cluster) console.log(`\n${clusterMarkdown(cluster)}\n${clusterVerdict(cluster) ?? ''}`);
  console.log(`\n${summaryMarkdown(rows)}\n\nwrote ${reportFile}, ${pngFile} and bench.json`);
}

/** The cluster table first, then one section per front-end count (shared, independent andns, Unbound side by side). */
function clusterSections(c: ClusterOutcome | undefined): ReportSection[] {
  if (!c) return [];
  const head: ReportSection = {
    title: 'Cluster: front-ends sharing one Redis Cluster vs independent resolvers',
    note: `One Zipf(${c.settings.zipfS}) workload (${c.settings.nxShare * 100} % NXDOMAIN), open loop at ${c.settings.rate} q/s for ${c.settings.durationS} s, sent round-robin over N front-ends (all pinned to the server core; Redis unpinned), ${c.settings.rttMs} ms added in front of every simulated server. Upstream queries are counted at the simulated servers; an answer faster than ${c.settings.rttMs / 2} ms counts as a cache hit (no miss can be that fast).`,
    html: clusterHtml(c),
    runs: [],
  };
  return [head, ...c.settings.frontEnds.map((n) => ({ title: `Cluster, ${n} front-end${n > 1 ? 's' : ''}`, runs: c.rows.filter((r) => r.frontEnds === n).map((r) => r.run) }))];
}

main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
