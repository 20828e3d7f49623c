// The Redis fault benchmark (npm run bench:faults): a real six-node Redis Cluster, two
// `andns serve --redis` front-ends on the simulated internet (loopback sockets only) under a
// fixed-rate mix of cached and uncached names, and scripted faults — master SIGKILL, a master
// SIGSTOPped for 5 s, one node slow (paused 50 ms of every 200 ms), every node down and back.
// Per second: answered, SERVFAIL, timed out, p50/p99, upstream queries; per phase a summary,
// and the same front-ends without Redis as the baseline (throughput closed-loop, CPU per query).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuTicks } from '../stats/procstat.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../../test/harness/redis-cluster.ts';
import { simOnSockets, startAndns, type AndnsProcess } from '../../test/harness/andns-processes.ts';
import dnsPacket from 'dns-packet';
import { FaultLoad, percentile, type Second } from './load.ts';

const usage = `npm run bench:faults -- [--rate 2000] [--timeout-ms 1000] [--node-timeout-ms 5000] [--json FILE]`;

interface Row extends Omit<Second, 'latencies'> {
  t: number;
  phase: string;
  p50: number;
  p99: number;
  upstream: number;
}

const afters: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => void afters.push(fn) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += cpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ 100
}

/** The question and Extended DNS Error (RFC 8914: code and text) of a SERVFAIL reply. */
function whyServfail(reply: Buffer): string {
  try {
    const d = dnsPacket.decode(reply) as dnsPacket.DecodedPacket;
    const opt = (d.additionals ?? []).find((r) => r.type === 'OPT') as { options?: { code: number; data?: Buffer }[] } | undefined;
    const ede = opt?.options?.find((o) => o.code === 15)?.data;
    return `${d.questions?.[0]?.name ?? '?'} EDE ${ede && ede.length >= 2 ? `${ede.readUInt16BE(0)} ${ede.subarray(2).toString('utf8')}` : 'none'}`;
  } catch {
    return 'undecodable';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, 'timeout-ms': { type: 'string' }, 'node-timeout-ms': { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return console.log(usage);
  const rate = Number(values.rate ?? 2000);
  const timeoutMs = Number(values['timeout-ms'] ?? 1000);
  const nodeTimeoutMs = Number(values['node-timeout-ms'] ?? 5000);
  if (!(rate > 0 && timeoutMs > 0 && nodeTimeoutMs > 0)) throw new Error(`bad arguments; ${usage}`);
  const why = redisMissing();
  if (why) throw new Error(why);

  const sim = await simOnSockets(t, 42, 150);
  const cluster = await startRedisCluster(t, { nodeTimeoutMs });
  // The mix: 90 % from 500 names asked again and again (cached), 10 % names never asked before
  // (resolved: one NXDOMAIN from the authoritative server each).
  const hot = sim.names.slice(0, 500);
  let fresh = 0;
  const pick = (): string => (Math.random() < 0.9 ? hot[Math.floor(Math.random() * hot.length)]! : `u${fresh++}.${hot[fresh % hot.length]!}`);
  const rows: Row[] = [];
  const servfails: string[] = [];
  const summaries: string[] = [];
  let clock = 0;

  /** Runs `seconds` at the fixed rate, with `during(second)` called at the start of each. */
  async function phase(name: string, procs: AndnsProcess[], seconds: number, during: (s: number) => Promise<void> | void = () => {}): Promise<void> {
    const load = new FaultLoad(procs.map((p) => p.port), pick, timeoutMs);
    const pids = procs.map((p) => p.child.pid!);
    const cpu0 = cpuMs(pids);
    const seconds_: { s: Second; upstream: number; t: number }[] = [];
    let upstream = sim.queries();
    for (let s = 0; s < seconds; s++) {
      await during(s);
      const start = Date.now();
      for (let tick = 0; tick < 10; tick++) {
        load.send(Math.round(rate / 10));
        await sleep(Math.max(0, start + (tick + 1) * 100 - Date.now()));
      }
      const now = sim.queries();
      seconds_.push({ s: load.rotate(), upstream: now - upstream, t: clock++ });
      upstream = now;
    }
    await sleep(timeoutMs + 100); // the last second's replies or timeouts
    const cpu = cpuMs(pids) - cpu0;
    for (const m of load.servfailSamples.slice(0, 3)) servfails.push(`${name}: ${whyServfail(m)}`);
    load.close();
    let answered = 0;
    let sent = 0;
    let worst = 0;
    for (const { s, upstream: up, t: at } of seconds_) {
      const sorted = s.latencies.sort((a, b) => a - b);
      const row = { t: at, phase: name, sent: s.sent, answered: s.answered, servfail: s.servfail, timedOut: s.timedOut, p50: percentile(sorted, 50), p99: percentile(sorted, 99), upstream: up };
      rows.push(row);
      answered += s.answered;
      sent += s.sent;
      worst = Math.max(worst, row.p99);
      console.log(`${String(at).padStart(4)} ${name.padEnd(16)} sent ${s.sent} answered ${s.answered} servfail ${s.servfail} timedout ${s.timedOut} p50 ${row.p50.toFixed(1)} p99 ${row.p99.toFixed(1)} ms upstream ${up}`);
    }
    const failed = seconds_.reduce((a, x) => a + x.s.servfail + x.s.timedOut, 0);
    summaries.push(`| ${name} | ${seconds} | ${sent} | ${answered} | ${failed} | ${worst.toFixed(1)} | ${(cpu / Math.max(1, answered) * 1000).toFixed(0)} |`);
  }

  /** Closed loop for `seconds`: answers per second the front-ends give with `window` in flight each. */
  async function saturate(name: string, procs: AndnsProcess[], seconds: number): Promise<number> {
    const load = new FaultLoad(procs.map((p) => p.port), pick, timeoutMs);
    load.rotate();
    load.startClosedLoop(64);
    await sleep(seconds * 1000);
    load.stopClosedLoop();
    const s = load.rotate();
    await sleep(timeoutMs);
    load.close();
    const qps = s.answered / seconds;
    console.log(`     ${name.padEnd(16)} closed loop: ${qps.toFixed(0)} answers/s, servfail ${s.servfail}, timed out ${s.timedOut}`);
    return qps;
  }

  const config = (tag: string) => ({ sharedCache: { keyPrefix: `faults-${tag}-${Date.now()}:` } });

  // Baseline: the same two front-ends without Redis.
  const plain = await Promise.all([0, 1].map(() => startAndns(t, sim, config('plain'))));
  await phase('no-redis warm', plain, 5);
  await phase('no-redis', plain, 15);
  const plainQps = await saturate('no-redis', plain, 5);
  await Promise.all(plain.map((p) => p.stop()));

  const redis = ['--redis', cluster.seeds.join(',')];
  const fronts = await Promise.all([0, 1].map(() => startAndns(t, sim, config('redis'), redis)));
  await phase('redis warm', fronts, 5);
  await phase('healthy', fronts, 15);
  const healthyQps = await saturate('healthy', fronts, 5);

  // A master dies; its replica takes over after the node timeout.
  const victim = (await cluster.masters())[0]!;
  await phase('master SIGKILL', fronts, 15, async (s) => {
    if (s === 2) await cluster.kill(victim);
  });
  await cluster.restart(victim);
  await cluster.waitHealthy(30_000);

  // A master stalls for 5 s (less than the node timeout: no fail-over, it just hangs).
  const stalled = (await cluster.masters())[0]!;
  await phase('master SIGSTOP 5s', fronts, 12, (s) => {
    if (s === 2) cluster.pause(stalled);
    if (s === 7) cluster.resume(stalled);
  });
  await cluster.waitHealthy(30_000);

  // One master slow: paused 50 ms out of every 200 ms.
  const slowNode = (await cluster.masters())[1]!;
  let endSlow: () => void = () => {};
  await phase('one node slow', fronts, 12, (s) => {
    if (s === 2) endSlow = cluster.slow(slowNode, 50, 200);
    if (s === 10) endSlow();
  });
  endSlow();
  await cluster.waitHealthy(30_000);

  // Every node down, then back.
  await phase('all down', fronts, 15, async (s) => {
    if (s === 2) await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i)));
  });
  const downQps = await saturate('all down', fronts, 5);
  let restarted = -1;
  await phase('all back', fronts, 15, async (s) => {
    if (s === 1) {
      await Promise.all(cluster.nodes.map((_, i) => cluster.restart(i)));
      restarted = clock;
    }
  });
  await cluster.waitHealthy(30_000);
  const stderr = fronts.map((p) => p.stderr()).join('');
  await Promise.all(fronts.map((p) => p.stop()));

  const healthyP99 = Math.max(...rows.filter((r) => r.phase === 'healthy').map((r) => r.p99));
  console.log(`\nfault benchmark, ${new Date().toISOString().slice(0, 10)}: two front-ends, ${rate} q/s (90 % cached names, 10 % new), client timeout ${timeoutMs} ms, cluster-node-timeout ${nodeTimeoutMs} ms`);
  console.log('| phase | s | sent | answered | SERVFAIL + timed out | worst-second p99 ms | andns CPU ms per 1k answers |');
  console.log('|---|---|---|---|---|---|---|');
  for (const s of summaries) console.log(s);
  console.log(`\nworst healthy-second p99 ${healthyP99.toFixed(1)} ms; closed loop (64 in flight per front-end): no Redis ${plainQps.toFixed(0)}/s, healthy Redis ${healthyQps.toFixed(0)}/s (${((healthyQps / plainQps) * 100).toFixed(0)} %), all Redis down ${downQps.toFixed(0)}/s (${((downQps / plainQps) * 100).toFixed(0)} %)`);
  console.log(`Redis restarted at second ${restarted}; log lines from the front-ends: ${stderr.split('\n').filter(Boolean).length}, MaxListenersExceededWarning ${stderr.split('MaxListenersExceededWarning').length - 1}, "Failed to refresh slots cache" ${stderr.split('Failed to refresh slots cache').length - 1}`);
  if (servfails.length > 0) console.log(`first SERVFAILs (Extended DNS Error):\n  ${servfails.join('\n  ')}`);
  if (values.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.json, JSON.stringify({ rate, timeoutMs, nodeTimeoutMs, rows, plainQps, healthyQps, downQps }, null, 1));
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of afters.reverse()) await fn();
  });
