// Proves the generator out-runs what it measures: dnsperf and andns-loadtest against the same Unbound, same load.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runDnsperf, type DnsperfResult } from './bench/dnsperf.ts';
import { CLIENT_CPU, startBenchEnv } from './bench/env.ts';
import { runGenerator, type GeneratorRun } from './bench/generator.ts';
import { unboundTarget } from './bench/unbound.ts';
import { warmCache } from './bench/warm.ts';
import { ProcSampler } from './stats/procstat.ts';

/**
 * Unbound (1 thread) pinned to core 1, each client pinned to core 0, the cache-hit workload
 * (every ordinary name of the simulated internet, warmed first), closed loop with 128
 * outstanding queries over 8 sockets — dnsperf's flags from PERFORMANCE.md. Rounds alternate
 * the two tools so that drift on a shared VM hits both alike.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string' }, rounds: { type: 'string' }, out: { type: 'string' }, 'sim-zones': { type: 'string' } } });
  const durationS = Number(values.duration ?? 10);
  const rounds = Number(values.rounds ?? 1);
  const env = await startBenchEnv({ simSeed: 1, simZones: Number(values['sim-zones'] ?? 300), ...(values.out ? { outDir: values.out } : {}) });
  const unbound = await unboundTarget().start(env.ctx);
  const rows: { tool: string; round: number; qps: number; bestSecond: number; clientCpu: number; unboundCpu: number; command: string; lost: number }[] = [];
  try {
    const warm = await warmCache(unbound.udp, env.hotSpecs);
    console.log(`unbound warmed with ${env.hotSpecs.length} names (${warm.qps} q/s while resolving); pid ${unbound.pids().join(',')}`);
    for (let round = 1; round <= rounds; round++) {
      const sampler = new ProcSampler(unbound.pids());
      const dp: DnsperfResult = await runDnsperf({ ...unbound.udp, queriesFile: env.hotFile, durationS, clients: 8, outstanding: 128, cpu: CLIENT_CPU });
      sampler.sample();
      rows.push({ tool: 'dnsperf', round, qps: Math.round(dp.qps), bestSecond: Math.max(0, ...dp.perSecond), clientCpu: dp.cpuPercent, unboundCpu: sampler.summary().meanCpuPercent, command: dp.command, lost: dp.lost });
      const ours: GeneratorRun = await runGenerator(
        ['--server', `${unbound.udp.host}:${unbound.udp.port}`, '--transport', 'udp', '--mode', 'closed', '--concurrency', '128', '--channels', '8', '--duration', String(durationS), '--queries', env.hotFile, '--pid', String(unbound.pids()[0]), '--label', `andns-loadtest round ${round}`],
        join(env.workDir, `andns-loadtest-${round}.json`),
        CLIENT_CPU,
        durationS,
      );
      const t = ours.result.totals;
      rows.push({ tool: 'andns-loadtest', round, qps: ours.result.qps, bestSecond: Math.max(0, ...ours.result.timeline.filter((b) => b.t === Math.round(b.t)).map((b) => b.answered)), clientCpu: ours.result.client.cpuPercent, unboundCpu: ours.result.server?.meanCpuPercent ?? 0, command: `taskset -c ${CLIENT_CPU} ${ours.command}`, lost: t.timeouts + t.failures + t.unsent });
      console.log(`round ${round}: dnsperf ${rows.at(-2)!.qps} q/s (unbound ${rows.at(-2)!.unboundCpu}% cpu), andns-loadtest ${ours.result.qps} q/s (unbound ${ours.result.server?.meanCpuPercent}% cpu, generator ${ours.result.client.cpuPercent}% cpu, p99 ${ours.result.latency.p99Ms} ms)`);
    }
  } finally {
    await unbound.stop();
    await env.close();
  }
  const median = (tool: string): number => {
    const q = rows.filter((r) => r.tool === tool).map((r) => r.qps).sort((a, b) => a - b);
    return q[Math.floor(q.length / 2)] ?? 0;
  };
  const best = (tool: string): number => Math.max(0, ...rows.filter((r) => r.tool === tool).map((r) => r.bestSecond));
  const summary = {
    dnsperfQps: median('dnsperf'),
    generatorQps: median('andns-loadtest'),
    ratio: Math.round((median('andns-loadtest') / median('dnsperf')) * 100) / 100,
    dnsperfBestSecond: best('dnsperf'),
    generatorBestSecond: best('andns-loadtest'),
    bestSecondRatio: Math.round((best('andns-loadtest') / Math.max(1, best('dnsperf'))) * 100) / 100,
    rows,
  };
  writeFileSync(join(env.workDir, 'compare-dnsperf.json'), `${JSON.stringify(summary, null, 1)}\n`);
  console.log('\n| client | round | queries/s | best second | client CPU | Unbound CPU | lost |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.tool} | ${r.round} | ${r.qps} | ${r.bestSecond} | ${r.clientCpu}% | ${r.unboundCpu}% | ${r.lost} |`);
  console.log(`\ncommands:\n  ${rows.slice(0, 2).map((r) => r.command).join('\n  ')}`);
  console.log(`\nmedian q/s: andns-loadtest / dnsperf = ${summary.ratio}; best second: ${summary.bestSecondRatio}   (results in ${env.workDir})`);
}

main().catch((err: Error) => {
  console.error(`compare-dnsperf: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
