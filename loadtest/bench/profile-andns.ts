// `node dist/loadtest/bench/profile-andns.js`: andns under node --cpu-prof on the bench's workloads, summarised.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeProfile, type Profile } from '../profile-summary.ts';
import { andnsTarget } from './andns.ts';
import { CLIENT_CPU, startBenchEnv } from './env.ts';
import { runGenerator } from './generator.ts';
import { warmCache } from './warm.ts';

const USAGE = `node dist/loadtest/bench/profile-andns.js --phase hit|rate|cold [--duration 10] [--rate 10000] [--rtt 20] [--out DIR]
  hit:  warm cache, closed loop 128 outstanding over 8 sockets (the saturation scenario)
  rate: warm cache, open loop at --rate (the fixed-rate scenario), with --trace-gc in the output
  cold: never-seen names (Zipf workload, all cold) 10 at a time with --rtt ms upstream`;

/**
 * Same stage as the bench (simulated internet on port 53, andns pinned to core 1, the generator
 * on core 0), one phase per run so the profile holds that phase's costs alone; prints the
 * top self-time functions. The .cpuprofile stays in --out for a flame graph viewer.
 */
/**
 * --trace-gc lines ("[pid:isolate]  1234 ms: Scavenge … MB, pooled: 0 MB, 1.2 / 0.0 ms …"),
 * counted over the measured run only. Their clock starts with the isolate, a few tens of ms
 * after the spawn: close enough to place a 10 s run.
 */
function gcPauses(logFile: string, runFromMs: number, elapsedS: number): string {
  const events = [...readFileSync(logFile, 'utf8').matchAll(/\s(\d+) ms: (Scavenge|Mark-Compact|Mark-sweep)[^\n]*?MB, ([\d.]+) \/ [\d.]+ ms/g)].map((m) => ({ at: Number(m[1]), kind: m[2]!, ms: Number(m[3]) }));
  const inRun = events.filter((e) => e.at >= runFromMs && e.at <= runFromMs + elapsedS * 1000);
  const pauses = inRun.map((e) => e.ms).sort((a, b) => a - b);
  const sum = pauses.reduce((a, b) => a + b, 0);
  return `GC in the last ${elapsedS} s: ${inRun.filter((e) => e.kind === 'Scavenge').length} scavenges, ${inRun.filter((e) => e.kind !== 'Scavenge').length} mark-compacts; pauses median ${pauses[pauses.length >> 1] ?? 0} ms, max ${pauses.at(-1) ?? 0} ms, total ${sum.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { phase: { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' }, rtt: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } });
  const phase = values.phase;
  if (values.help || !phase || !['hit', 'rate', 'cold'].includes(phase)) return void console.log(USAGE);
  const durationS = Number(values.duration ?? 10);
  const env = await startBenchEnv({ simSeed: 1, simZones: 300, ...(values.out ? { outDir: values.out } : {}), ...(phase === 'cold' ? { delayMs: Number(values.rtt ?? 20) } : {}) });
  const profDir = join(env.workDir, `prof-${phase}`);
  const nodeFlags = ['--cpu-prof', '--cpu-prof-dir', profDir, ...(phase === 'rate' ? ['--trace-gc'] : [])];
  try {
    const logFile = join(env.workDir, `andns-${phase}.log`);
    const spawnedAt = Date.now();
    const t = await andnsTarget({ nodeFlags, logFile }).start(env.ctx);
    const server = ['--server', `${t.udp.host}:${t.udp.port}`, '--pid', t.pids().join(','), '--duration', String(durationS), '--channels', '8'];
    try {
      if (phase !== 'cold') await warmCache(t.udp, env.hotSpecs);
      const load =
        phase === 'hit' ? ['--queries', env.hotFile, '--mode', 'closed', '--concurrency', '128']
        : phase === 'rate' ? ['--queries', env.hotFile, '--mode', 'open', '--rate', String(values.rate ?? 10_000)]
        : ['--zipf', '1', '--cold', '1', '--sim-zones', '300', '--mode', 'closed', '--concurrency', '10', '--max-queries', '300', '--timeout', '10000'];
      const { result } = await runGenerator([...server, ...load, '--label', `andns ${phase}`], join(env.workDir, `profile-${phase}.json`), CLIENT_CPU, durationS);
      if (phase === 'rate') console.log(gcPauses(logFile, Date.parse(result.startedAt) - spawnedAt, result.elapsedS));
      console.log(`${phase}: ${result.qps} q/s at ${result.server?.meanCpuPercent} % CPU; mean ${result.latency.meanMs} p50 ${result.latency.p50Ms} p99 ${result.latency.p99Ms} p99.9 ${result.latency.p999Ms} ms`);
    } finally {
      await t.stop();
    }
  } finally {
    await env.close();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${profDir}`);
  const s = summarizeProfile(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile, 12);
  console.log(`${join(profDir, file)}: idle ${s.idlePercent} %; of the busy time:`);
  for (const l of [...s.areas, ...s.functions]) console.log(`  ${l.percent.toFixed(1).padStart(5)} %  ${l.name}`);
}

main().catch((err: Error) => {
  console.error(`profile-andns: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
