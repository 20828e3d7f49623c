// Measures the exposure policy with the real processes: (1) amplification — an unverified UDP
// client (loopback made non-exempt) sending `. DNSKEY +DO` at a fixed rate to andns over the
// signed simulated internet, bytes back per byte sent, with RRL off and with the defaults;
// (2) the UDP cache-hit path's cost — q/s per busy core of a hot-answer workload, for another
// build (e.g. main before the change, --base DIR) and this one with every check running.
//
//   npm run build && node dist/loadtest/rrl.js amplification [--rate 10000] [--duration 10]
//   node dist/loadtest/rrl.js hitpath --base /path/to/other/dist [--duration 10] [--rounds 3]
//   node dist/loadtest/rrl.js hitcost [--calls 1000000] [--rounds 5]   (in-process, no sockets)

import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { generateInternet, rootHintsText } from '../test/sim/internet.ts';
import { serveNetwork } from '../test/sim/socket-host.ts';
import { freePort, spawnPinned, waitForDns } from './bench/process.ts';
import { parsePrefix } from '../src/policy/address.ts';
import { ExposureGuard } from '../src/policy/guard.ts';
import { defaultRateLimit } from '../src/policy/options.ts';
import type { Resolution } from '../src/resolver/resolution.ts';
import { HotAnswers } from '../src/server/hot-answers.ts';
import { createPipeline } from '../src/server/pipeline.ts';
import { silentLogger } from '../src/util/log.ts';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const THIS_ANDNS = join(HERE, '..', 'src', 'cli', 'andns.js');
const LOADTEST = join(HERE, 'cli.js');
const SERVER_CPU = 1;
const CLIENT_CPU = 0;
const REAL_ROOT_DNSKEY = 958;

interface LoadResult {
  sent: number;
  answers: number;
  truncated: number;
  timeouts: number;
  qps: number;
  cpuPercent: number;
}

async function startAndns(andns: string, hints: string, upstreamPort: number, extra: string[]) {
  const port = await freePort();
  const args = [andns, 'serve', '--listen', `127.0.0.1:${port}`, '--root-hints', hints, '--upstream-port', String(upstreamPort), '--allow-local-upstream', '--no-dnssec', '--no-ipv6-upstream', '--log-level', 'error', ...extra];
  const proc = spawnPinned(process.execPath, args, SERVER_CPU);
  await waitForDns('127.0.0.1', port, 15_000, () => proc.child.exitCode === null);
  return { proc, port };
}

/** One `. DNSKEY` query with DO, and the size of the reply (the cache is warm afterwards). */
async function probe(port: number): Promise<{ query: Buffer; replySize: number }> {
  const query = Buffer.from('abcd01000001000000000001' + '00' + '0030' + '0001' + '0000290' + '4d0' + '0000800000' + '00', 'hex');
  const sock = dgram.createSocket('udp4');
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const reply = new Promise<Buffer | undefined>((resolve) => {
        sock.once('message', resolve);
        setTimeout(() => resolve(undefined), 2000);
      });
      sock.send(query, port, '127.0.0.1');
      const r = await reply;
      if (r) return { query, replySize: r.length };
    }
    throw new Error('no reply to . DNSKEY');
  } finally {
    sock.close();
  }
}

async function load(port: number, pid: number, args: string[], dir: string, label: string): Promise<LoadResult> {
  const out = join(dir, `${label.replace(/\W+/g, '-')}.json`);
  await run('taskset', ['-c', String(CLIENT_CPU), process.execPath, LOADTEST, '--server', `127.0.0.1:${port}`, '--pid', String(pid), '--quiet', '--out', out, ...args], { timeout: 600_000 });
  const r = JSON.parse(readFileSync(out, 'utf8')) as { qps: number; totals: { sent: number; answered: number; timeouts: number; truncated: number }; server?: { meanCpuPercent: number } };
  return {
    sent: r.totals.sent,
    answers: r.totals.answered,
    truncated: r.totals.truncated,
    timeouts: r.totals.timeouts,
    qps: r.qps,
    cpuPercent: r.server?.meanCpuPercent ?? Number.NaN,
  };
}

async function amplification(values: Record<string, string | undefined>): Promise<void> {
  const rate = Number(values['rate'] ?? 10_000);
  const duration = Number(values['duration'] ?? 10);
  const internet = generateInternet({ seed: 1, zones: 20, signed: true });
  const host = await serveNetwork(internet.network);
  const dir = mkdtempSync(join(tmpdir(), 'andns-rrl-'));
  const hints = join(dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  const queries = join(dir, 'dnskey.queries');
  writeFileSync(queries, '. DNSKEY\n');
  const variants: [string, string[]][] = [
    ['RRL off', ['--rate-limit', '0', '--client-qps', '0', '--rate-limit-exempt', 'none']],
    ['RRL defaults, client rate off', ['--rate-limit-exempt', 'none', '--client-qps', '0']],
    ['defaults, loopback not exempt', ['--rate-limit-exempt', 'none']],
  ];
  console.log(`. DNSKEY +DO, open loop ${rate} q/s for ${duration} s, one UDP client (127.0.0.1, not exempt)`);
  try {
    for (const [label, extra] of variants) {
      const { proc, port } = await startAndns(THIS_ANDNS, hints, host.port, extra);
      try {
        const { query, replySize } = await probe(port);
        await new Promise((r) => setTimeout(r, 1100)); // let the probe's tokens refill
        const r = await load(port, proc.pid, ['--mode', 'open', '--rate', String(rate), '--duration', String(duration), '--queries', queries, '--edns', '1232', '--dnssec-ok', '--timeout', '500'], dir, label);
        const full = r.answers - r.truncated;
        const bytesIn = r.sent * query.length;
        // A slipped reply is the query's header, question and OPT: the query's size.
        const bytesOut = full * replySize + r.truncated * query.length;
        // The real root's `. DNSKEY +DO` answer is 958 bytes (issue 12); the simulated root's keys are smaller.
        const asReal = (full * REAL_ROOT_DNSKEY + r.truncated * query.length) / bytesIn;
        console.log(`${label}: query ${query.length} B, answer ${replySize} B; sent ${r.sent}, full answers ${full}, TC=1 ${r.truncated}, no reply ${r.timeouts}; bytes out/in ${(bytesOut / bytesIn).toFixed(2)} (${asReal.toFixed(2)} with the real root's ${REAL_ROOT_DNSKEY}-byte answer)`);
      } finally {
        await proc.stop();
      }
    }
  } finally {
    await host.close();
  }
}

async function hitpath(values: Record<string, string | undefined>): Promise<void> {
  const base = values['base'];
  if (!base) throw new Error('--base DIR: the dist/ of the build to compare with');
  const duration = Number(values['duration'] ?? 10);
  const rounds = Number(values['rounds'] ?? 3);
  const internet = generateInternet({ seed: 1, zones: 20 });
  const host = await serveNetwork(internet.network);
  const dir = mkdtempSync(join(tmpdir(), 'andns-hit-'));
  const hints = join(dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  const name = internet.catalogue.find((e) => e.type === 'A' && e.rcode === 'NOERROR')!.name;
  const queries = join(dir, 'hit.queries');
  writeFileSync(queries, `${name} A\n`);
  const big = '10000000';
  const variants: [string, string, string[]][] = [
    ['base', join(base, 'src', 'cli', 'andns.js'), []],
    ['this build, every check on the hit path', THIS_ANDNS, ['--rate-limit-exempt', 'none', '--rate-limit', big, '--client-qps', big]],
    ['this build, loopback exempt (default)', THIS_ANDNS, []],
  ];
  const results = new Map<string, number[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [label, andns, extra] of variants) {
        const { proc, port } = await startAndns(andns, hints, host.port, extra);
        try {
          await probe(port).catch(() => undefined);
          await load(port, proc.pid, ['--mode', 'closed', '--concurrency', '100', '--duration', '2', '--queries', queries], dir, `${label}-warm`);
          const r = await load(port, proc.pid, ['--mode', 'closed', '--concurrency', '100', '--duration', String(duration), '--queries', queries], dir, label);
          const perCore = r.cpuPercent > 0 ? r.qps / (r.cpuPercent / 100) : NaN;
          (results.get(label) ?? results.set(label, []).get(label)!).push(perCore);
          console.log(`round ${round + 1} ${label}: ${r.qps.toFixed(0)} q/s at ${r.cpuPercent.toFixed(0)} % CPU = ${perCore.toFixed(0)} q/s per busy core (${(1e6 / perCore).toFixed(2)} µs/query)`);
        } finally {
          await proc.stop();
        }
      }
    }
  } finally {
    await host.close();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseMedian = median(results.get('base')!);
  for (const [label, xs] of results) {
    const m = median(xs);
    console.log(`median ${label}: ${m.toFixed(0)} q/s per busy core, ${(1e6 / m).toFixed(2)} µs/query, ${(m / baseMedian).toFixed(3)}× base`);
  }
}

/**
 * The policy's own JavaScript on the hit path, without sockets: pipeline.fromHot on one process
 * for a hot answer, without a guard, with the client exempt, and with every check running
 * (rates too high to limit). Alternating rounds; medians of ns per call.
 */
async function hitcost(values: Record<string, string | undefined>): Promise<void> {
  const calls = Number(values['calls'] ?? 1_000_000);
  const rounds = Number(values['rounds'] ?? 5);
  const clock = { now: () => Date.now() };
  const answer: Resolution = { kind: 'answer', answer: [{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 3600, data: '192.0.2.1' }], authority: [] };
  const make = (guard: ExposureGuard | undefined) => {
    const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 3_600_000 }, clock);
    return createPipeline({ resolve: async () => answer, log: silentLogger, hot, clock, ...(guard ? { guard } : {}) });
  };
  const big = 10_000_000;
  const guardOf = (exempt: string[]) => new ExposureGuard({
    rateLimit: { ...defaultRateLimit, responsesPerSecond: big, nodataPerSecond: big, nxdomainsPerSecond: big, errorsPerSecond: big, clientQueriesPerSecond: big, exempt: exempt.map((p) => parsePrefix(p)!) },
    cookies: { enabled: true, secret: new Uint8Array(16), previousSecret: undefined, requireOverUdp: false },
  });
  const variants: [string, ReturnType<typeof make>][] = [
    ['no policy', make(undefined)],
    ['policy, client exempt', make(guardOf(['127.0.0.0/8']))],
    ['policy, every check', make(guardOf([]))],
  ];
  // The same query bytes every time: a hit in each pipeline's hot tier.
  const query = Buffer.from('12340100000100000000000003777777076578616d706c6503636f6d0000010001', 'hex');
  for (const [, p] of variants) await p.handle(query, 1232, 0, '127.0.0.1');
  const results = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [label, p] of variants) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) {
        if (!p.fromHot(query, 1232, '127.0.0.1')) throw new Error(`${label}: not a hit`);
      }
      const ns = Number(process.hrtime.bigint() - start) / calls;
      (results.get(label) ?? results.set(label, []).get(label)!).push(ns);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(results.get('no policy')!);
  for (const [label, xs] of results) {
    const m = median(xs);
    console.log(`${label}: ${m.toFixed(0)} ns per hit (+${(m - base).toFixed(0)} ns)`);
  }
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { rate: { type: 'string' }, duration: { type: 'string' }, rounds: { type: 'string' }, base: { type: 'string' }, calls: { type: 'string' } } });
if (positionals[0] === 'amplification') await amplification(values);
else if (positionals[0] === 'hitpath') await hitpath(values);
else if (positionals[0] === 'hitcost') await hitcost(values);
else {
  console.error('usage: rrl.js amplification [--rate N] [--duration S] | hitpath --base DIST [--duration S] [--rounds N]');
  process.exitCode = 2;
}
