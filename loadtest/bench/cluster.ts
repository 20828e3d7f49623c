// The cluster scenario: 1, 2 and 4 front-ends sharing one Redis Cluster beside as many independent resolvers.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisMissing, startRedisCluster, type RedisCluster } from '../../test/harness/redis-cluster.ts';
import type { RunResult } from '../engine/result.ts';
import { andnsTarget } from './andns.ts';
import type { BenchEnv } from './env.ts';
import { CLIENT_CPU, setUpstreamDelay } from './env.ts';
import { runGenerator } from './generator.ts';
import type { RunningTarget, Target } from './target.ts';
import { unboundTarget } from './unbound.ts';

export interface ClusterSettings {
  frontEnds: number[];
  /** Open-loop rate over all front-ends together, q/s. */
  rate: number;
  durationS: number;
  /** Added in front of every simulated server: a miss takes at least this long, a hit far less. */
  rttMs: number;
  zipfS: number;
  nxShare: number;
}

export type ClusterKind = 'andns shared (Redis)' | 'andns independent' | 'unbound independent';

export interface ClusterRow {
  kind: ClusterKind;
  frontEnds: number;
  /** Queries the simulated authoritative servers received during the run. */
  upstreamQueries: number;
  /** ÷ the same kind with one front-end: ~1 when the cache is shared, ~N when it is not. */
  upstreamVsOne?: number;
  /** Answers faster than half the RTT (no miss can be) ÷ answers. */
  hitRatio: number;
  p50Ms: number;
  p99Ms: number;
  /** Worst per-second p99 over the run's second half: once fresh processes are warm. */
  p99SteadyMs: number;
  run: RunResult;
}

export interface ClusterOutcome {
  settings: ClusterSettings;
  rows: ClusterRow[];
  errors: string[];
}

/** One kind of front-end, started fresh (empty cache) for each front-end count. */
function kinds(env: BenchEnv, redis: RedisCluster | undefined): { kind: ClusterKind; make: (n: number, i: number) => Target }[] {
  const out: { kind: ClusterKind; make: (n: number, i: number) => Target }[] = [];
  if (redis) {
    out.push({
      kind: 'andns shared (Redis)',
      make: (n) => {
        // A key prefix per front-end count: every count starts on an empty shared cache.
        const config = join(env.workDir, `cluster-shared-${n}.json`);
        writeFileSync(config, JSON.stringify({ sharedCache: { keyPrefix: `bench${n}-${Date.now()}:` } }));
        return andnsTarget({ extraArgs: ['--redis', redis.seeds.join(','), '--config', config] });
      },
    });
  }
  out.push({ kind: 'andns independent', make: () => andnsTarget() });
  out.push({ kind: 'unbound independent', make: () => unboundTarget() });
  return out;
}

function steadyP99(r: RunResult): number {
  const late = r.timeline.filter((b) => b.t > r.config.durationS / 2 && b.latency.count > 0);
  return Math.max(0, ...late.map((b) => b.latency.p99Ms));
}

async function startAll(env: BenchEnv, targets: Target[]): Promise<RunningTarget[]> {
  const started = await Promise.allSettled(targets.map((t) => t.start(env.ctx)));
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((t) => t.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return ok;
}

/**
 * For each kind and front-end count: N fresh resolvers pinned to the server core, one Redis
 * Cluster (started here, shared by every shared-kind run under a fresh key prefix), and the
 * generator sending one Zipf workload round-robin over the N front-ends, open loop, with
 * `rttMs` added upstream. Upstream queries are counted at the simulated servers.
 */
export async function clusterScenario(env: BenchEnv, s: ClusterSettings): Promise<ClusterOutcome> {
  const outcome: ClusterOutcome = { settings: s, rows: [], errors: [] };
  const missing = redisMissing();
  if (missing) outcome.errors.push(`shared cache skipped: ${missing}`);
  const redis = missing ? undefined : await startRedisCluster();
  const network = env.sim.internet.network;
  try {
    for (const { kind, make } of kinds(env, redis)) {
      for (const n of s.frontEnds) {
        const label = `${kind}, ${n} front-end${n > 1 ? 's' : ''}`;
        try {
          const running = await startAll(env, Array.from({ length: n }, (_, i) => make(n, i)));
          try {
            setUpstreamDelay(env, s.rttMs);
            const before = network.totals().queries;
            const slug = label.replace(/[^a-z0-9]+/gi, '-');
            const { result } = await runGenerator(
              [
                ...running.flatMap((t) => ['--server', `${t.udp.host}:${t.udp.port}`]),
                '--transport', 'udp', '--mode', 'open', '--rate', String(s.rate), '--duration', String(s.durationS),
                '--zipf', String(s.zipfS), '--sim-seed', String(env.simSeed), '--sim-zones', String(env.simZones), '--nx', String(s.nxShare),
                '--length', String(Math.ceil(s.rate * s.durationS)), '--channels', '2', '--timeout', '5000',
                '--hit-under-ms', String(s.rttMs / 2), '--pid', running.flatMap((t) => t.pids()).join(','), '--label', label,
              ],
              join(env.workDir, `cluster-${slug}.json`),
              CLIENT_CPU,
              s.durationS,
            );
            const upstreamQueries = network.totals().queries - before;
            const one = outcome.rows.find((r) => r.kind === kind && r.frontEnds === 1);
            outcome.rows.push({
              kind,
              frontEnds: n,
              upstreamQueries,
              ...(one ? { upstreamVsOne: Math.round((upstreamQueries / one.upstreamQueries) * 100) / 100 } : {}),
              hitRatio: Math.round(((result.totals.fastAnswers ?? 0) / Math.max(1, result.totals.answered)) * 1000) / 1000,
              p50Ms: result.latency.p50Ms,
              p99Ms: result.latency.p99Ms,
              p99SteadyMs: steadyP99(result),
              run: result,
            });
            console.log(`cluster: ${label}: ${upstreamQueries} upstream queries, hit ratio ${outcome.rows.at(-1)!.hitRatio}, p99 ${result.latency.p99Ms} ms`);
          } finally {
            setUpstreamDelay(env, 0);
            network.reset();
            await Promise.all(running.map((t) => t.stop()));
          }
        } catch (err) {
          outcome.errors.push(`${label}: ${(err as Error).message}`);
          console.log(`cluster: ${label} failed: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  return outcome;
}
