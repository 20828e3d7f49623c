// The cache-hit path with Redis Cluster against the embedded store, for one or two builds in the
// same run: p99 at a fixed rate (open loop) and cache-hit throughput (closed loop), per build
// and store, after a warm-up that resolves every name of the workload.
//
//   npm run build && node dist/loadtest/bench/hit-path.js [--before OTHER/dist] [--rate 10000] [--duration 10]
//
// `--before` is the dist/ of another build (e.g. a worktree of main) measured beside this one.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedisCluster } from '../../test/harness/redis-cluster.ts';
import { serveInternet } from '../sim-serve.ts';
import { CLIENT_CPU, SERVER_CPU } from './env.ts';
import { runGenerator } from './generator.ts';
import { freePort, spawnPinned, waitForDns } from './process.ts';

const HERE = fileURLToPath(new URL('../../src/cli/andns.js', import.meta.url));

interface Row {
  build: string;
  store: 'embedded' | 'redis';
  p50Ms: number;
  p99Ms: number;
  openQps: number;
  hitQps: number;
  hitP99Ms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { before: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, zones: { type: 'string' }, rounds: { type: 'string' } },
  });
  const rate = Number(values.rate ?? 10_000);
  const durationS = Number(values.duration ?? 10);
  const zones = Number(values.zones ?? 300);
  const rounds = Number(values.rounds ?? 1);
  const builds = [...(values.before ? [{ label: 'before', andns: join(values.before, 'src/cli/andns.js') }] : []), { label: values.before ? 'after' : 'this build', andns: HERE }];
  const dir = mkdtempSync(join(tmpdir(), 'andns-hitpath-'));
  const sim = await serveInternet({ seed: 1, zones, port: await freePort(), dir });
  const redis = await startRedisCluster();
  const rows: Row[] = [];
  const workload = ['--zipf', '1.0', '--sim-zones', String(zones)];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const build of builds) {
        for (const store of ['embedded', 'redis'] as const) {
          const port = await freePort();
          const config = join(dir, `${build.label}-${store}-${round}.json`);
          writeFileSync(config, JSON.stringify({ sharedCache: { keyPrefix: `hit${round}-${build.label}-${Date.now()}:` } }));
          const args = [
            build.andns, 'serve', '--listen', `127.0.0.1:${port}`, '--root-hints', sim.hintsFile, '--upstream-port', String(sim.host.port),
            '--allow-local-upstream', '--no-dnssec', '--no-ipv6-upstream', '--log-level', 'warn', '--config', config,
            ...(store === 'redis' ? ['--redis', redis.seeds.join(',')] : []),
          ];
          const proc = spawnPinned(process.execPath, args, SERVER_CPU, process.env);
          try {
            await waitForDns('127.0.0.1', port, 15_000, () => proc.child.exitCode === null);
            const server = ['--server', `127.0.0.1:${port}`, ...workload];
            // Warm-up: every name of the Zipf workload resolved once, so what follows are hits.
            await runGenerator([...server, '--mode', 'closed', '--concurrency', '50', '--duration', '8'], join(dir, 'warm.json'), CLIENT_CPU, 8);
            const open = await runGenerator([...server, '--mode', 'open', '--rate', String(rate), '--duration', String(durationS)], join(dir, 'open.json'), CLIENT_CPU, durationS);
            const closed = await runGenerator([...server, '--mode', 'closed', '--concurrency', '100', '--duration', String(durationS)], join(dir, 'closed.json'), CLIENT_CPU, durationS);
            const row: Row = {
              build: build.label, store,
              p50Ms: open.result.latency.p50Ms, p99Ms: open.result.latency.p99Ms, openQps: open.result.qps,
              hitQps: closed.result.qps, hitP99Ms: closed.result.latency.p99Ms,
            };
            rows.push(row);
            console.log(JSON.stringify(row));
          } finally {
            await proc.stop();
          }
        }
      }
    }
  } finally {
    await redis.stop();
    await sim.close();
  }
  console.log(`\n| build | store | p50 at ${rate} q/s | p99 at ${rate} q/s | cache-hit q/s (closed loop, 100 outstanding) | its p99 |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.build} | ${r.store} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${Math.round(r.hitQps)} | ${r.hitP99Ms.toFixed(2)} ms |`);
  for (const build of builds) {
    const e = rows.filter((r) => r.build === build.label && r.store === 'embedded');
    const x = rows.filter((r) => r.build === build.label && r.store === 'redis');
    const mean = (rs: Row[], f: (r: Row) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    if (e.length && x.length) {
      console.log(`${build.label}: redis/embedded p99 ×${(mean(x, (r) => r.p99Ms) / mean(e, (r) => r.p99Ms)).toFixed(2)}, throughput ×${(mean(x, (r) => r.hitQps) / mean(e, (r) => r.hitQps)).toFixed(2)}`);
    }
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
