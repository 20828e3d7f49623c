// The bench's scenarios against one target: cache-hit saturation, cache-hit at a fixed rate, cold resolution.

import { join } from 'node:path';
import { runLoad } from '../engine/run.ts';
import type { RunResult } from '../engine/result.ts';
import type { QuerySpec } from '../workload/query-table.ts';
import { fileWorkload } from '../workload/workload.ts';
import { isOrdinary } from '../workload/zipf-workload.ts';
import type { BenchEnv } from './env.ts';
import { CLIENT_CPU, setUpstreamDelay } from './env.ts';
import { runGenerator } from './generator.ts';
import type { RunningTarget } from './target.ts';
import { baseRun, warmCache } from './warm.ts';

export interface BenchSettings {
  durationS: number;
  /** Open-loop rate of the fixed-rate run: one both resolvers can carry. */
  rate: number;
  /** Closed-loop outstanding queries at saturation (dnsperf's -q). */
  concurrency: number;
  coldNames: number;
  coldConcurrency: number;
  /** Delay added in front of every simulated authoritative server, ms. */
  rttMs: number;
}

/**
 * Cache hit: every ordinary name is resolved once (warm-up), then the generator — a separate
 * process pinned to the other core — drives the target (a) closed loop to saturation and
 * (b) open loop at a fixed rate, from the same names.
 */
export async function cacheHit(env: BenchEnv, target: RunningTarget, s: BenchSettings): Promise<{ saturation: RunResult; fixedRate: RunResult }> {
  await warmCache(target.udp, env.hotSpecs, target.caches);
  const server = `${target.udp.host}:${target.udp.port}`;
  const common = ['--server', server, '--transport', 'udp', '--queries', env.hotFile, '--pid', target.pids().join(','), '--duration', String(s.durationS), '--channels', '8'];
  const slug = target.name.replace(/[^a-z0-9]+/gi, '-');
  const saturation = await runGenerator(
    [...common, '--mode', 'closed', '--concurrency', String(s.concurrency), '--label', `${target.name}`],
    join(env.workDir, `cache-hit-saturation-${slug}.json`),
    CLIENT_CPU,
    s.durationS,
  );
  const fixedRate = await runGenerator(
    [...common, '--mode', 'open', '--rate', String(s.rate), '--label', `${target.name}`],
    join(env.workDir, `cache-hit-rate-${slug}.json`),
    CLIENT_CPU,
    s.durationS,
  );
  return { saturation: saturation.result, fixedRate: fixedRate.result };
}

/** `count` names, each in a different ordinary zone, none ever asked before: www.<zone> A. */
export function coldNames(env: BenchEnv, count: number): QuerySpec[] {
  const seen = new Set<string>();
  const names: QuerySpec[] = [];
  for (const e of env.sim.internet.catalogue) {
    if (!isOrdinary(e) || e.type !== 'A' || e.rcode !== 'NOERROR' || !e.name.startsWith('www.')) continue;
    const zone = e.name.slice(4);
    if (seen.has(zone)) continue;
    seen.add(zone);
    names.push({ name: e.name, type: 'A' });
    if (names.length === count) break;
  }
  return names;
}

export interface ColdResult {
  run: RunResult;
  names: number;
  upstreamQueries: number;
  upstreamPerName: number;
}

/**
 * Cold resolution on a freshly started target: each name asked once, a few at a time, with
 * `rttMs` added in front of every authoritative server. Latency here is the time to resolve a
 * name; the simulated servers count the upstream queries it took.
 */
export async function coldResolution(env: BenchEnv, target: RunningTarget, s: BenchSettings): Promise<ColdResult> {
  const specs = coldNames(env, s.coldNames);
  const network = env.sim.internet.network;
  setUpstreamDelay(env, s.rttMs);
  const before = network.totals().queries;
  try {
    const run = await runLoad(
      baseRun(target.udp, {
        label: target.name,
        concurrency: s.coldConcurrency,
        maxQueries: specs.length,
        durationS: 300,
        timeoutMs: 10_000,
        pids: target.pids(),
      }),
      { ...fileWorkload(specs, `${specs.length} never-seen names (www.<zone> A, one per zone), RTT ${s.rttMs} ms`), uniqueTail: true },
    );
    const upstreamQueries = network.totals().queries - before;
    return { run, names: specs.length, upstreamQueries, upstreamPerName: Math.round((upstreamQueries / specs.length) * 100) / 100 };
  } finally {
    setUpstreamDelay(env, 0);
    network.reset(); // the servers' query logs would otherwise grow over a long bench
  }
}

/**
 * DoH (RFC 8484, POST over HTTP/2) on a warm cache: closed loop over one connection (100
 * streams) and over eight (400 streams in all). Only for targets that serve DoH.
 */
export async function dohThroughput(env: BenchEnv, target: RunningTarget, s: BenchSettings): Promise<RunResult[]> {
  if (!target.doh) return [];
  const slug = target.name.replace(/[^a-z0-9]+/gi, '-');
  const out: RunResult[] = [];
  for (const [connections, concurrency] of [[1, 100], [8, 400]] as const) {
    const run = await runGenerator(
      [
        '--server', `${target.doh.host}:${target.doh.port}`, '--transport', 'doh', '--insecure', '--doh-path', target.doh.path,
        '--queries', env.hotFile, '--pid', target.pids().join(','), '--duration', String(s.durationS),
        '--mode', 'closed', '--channels', String(connections), '--concurrency', String(concurrency),
        '--label', `${target.name} DoH, ${connections} connection${connections > 1 ? 's' : ''}`,
      ],
      join(env.workDir, `doh-${connections}-${slug}.json`),
      CLIENT_CPU,
      s.durationS,
    );
    out.push(run.result);
  }
  return out;
}
