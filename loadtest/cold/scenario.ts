// The cold-resolution benchmark's body, run inside a network namespace (cold/main.ts): a signed
// simulated internet on 127.53.x.y:53, then Unbound and andns in turn, each fresh, resolve the
// same never-seen names; the simulated servers count every upstream question they get.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelCount } from '../../src/dns/name.ts';
import { generateInternet, rootHintsText, type Internet } from '../../test/sim/internet.ts';
import { serveNetwork } from '../../test/sim/socket-host.ts';
import { startUnbound } from '../../test/peers/unbound.ts';
import { stubQuery } from '../../test/peers/dns-client.ts';
import { startServe } from '../../test/integration/frontend-process.ts';

export interface ColdSettings {
  zones: number;
  names: number;
  concurrency: number;
  signedShare: number;
  gluelessShare: number;
  seed: number;
  /** Delay added in front of every simulated server's replies, ms (0: none). */
  rttMs: number;
  /** Targets in run order: unbound, andns. */
  targets: string[];
}

export interface ColdRun {
  target: string;
  names: number;
  upstream: number;
  toTld: number;
  toRoot: number;
  ds: number;
  dnskey: number;
  /** Questions (qname lower-cased, qtype) asked more than once during the run. */
  repeated: number;
  /** CPU seconds of the resolver process during the run. */
  cpuS: number;
  wallS: number;
  servfail: number;
  ad: number;
  failures: number;
  /** Client-side time per name, ms: mean, p50, p99. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

const TICK_S = 0.01; // USER_HZ is 100 on Linux

function cpuSeconds(pid: number): number {
  // /proc/PID/stat: fields after the command name; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_S;
}

/** www.<zone> A of the ordinary zones (never asked before by a fresh resolver). */
function coldNames(internet: Internet, count: number): string[] {
  const names: string[] = [];
  for (const e of internet.catalogue) {
    if (e.type !== 'A' || e.rcode !== 'NOERROR' || !e.name.startsWith('www.') || !(e.tags.includes('glue') || e.tags.includes('glueless'))) continue;
    names.push(e.name);
    if (names.length >= count) break;
  }
  return names;
}

async function resolveAll(address: string, port: number, names: string[], concurrency: number): Promise<{ servfail: number; ad: number; failures: number; meanMs: number; p50Ms: number; p99Ms: number }> {
  let next = 0;
  const out = { servfail: 0, ad: 0, failures: 0 };
  const times: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      const t0 = performance.now();
      try {
        const reply = (await stubQuery(address, port, { name, type: 'A', dnssecOk: true, timeoutMs: 15_000 })) as { rcode?: string; flags?: number };
        if (reply.rcode === 'SERVFAIL') out.servfail++;
        if (((reply.flags ?? 0) & 0x20) !== 0) out.ad++;
      } catch {
        out.failures++;
      }
      times.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  const meanMs = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  return { ...out, meanMs, p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function measure(target: string, internet: Internet, pid: number, address: string, port: number, names: string[], s: ColdSettings): Promise<ColdRun> {
  internet.network.reset();
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const r = await resolveAll(address, port, names, s.concurrency);
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(pid) - cpu0;
  const tldServers = new Set([...internet.zones].filter(([apex]) => apex !== '.' && labelCount(apex) === 1).flatMap(([, z]) => z.servers));
  const rootServers = new Set(internet.zones.get('.')!.servers);
  let upstream = 0;
  let toTld = 0;
  let toRoot = 0;
  let ds = 0;
  let dnskey = 0;
  const seen = new Map<string, number>();
  for (const server of internet.network.servers()) {
    upstream += server.queries;
    if (tldServers.has(server)) toTld += server.queries;
    if (rootServers.has(server)) toRoot += server.queries;
    for (const q of server.log) {
      if (q.qtype === 43) ds++;
      if (q.qtype === 48) dnskey++;
      const k = `${q.qname.toLowerCase()}|${q.qtype}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  const repeated = [...seen.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0);
  return { target, names: names.length, upstream, toTld, toRoot, ds, dnskey, repeated, cpuS, wallS, ...r };
}

const cleanups: (() => unknown)[] = [];
async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {});
}

export async function runCold(s: ColdSettings): Promise<ColdRun[]> {
  const internet = generateInternet({ seed: s.seed, zones: s.zones, signed: true, signedShare: s.signedShare, gluelessShare: s.gluelessShare, tlds: ['com', 'org', 'net', 'info', 'de'] });
  // Unbound always queries port 53 (hints and glue carry no port): this namespace only.
  for (const server of internet.network.servers()) server.faults.delayMs = Math.max(server.faults.delayMs ?? 0, s.rttMs);
  const host = await serveNetwork(internet.network, { port: 53 });
  cleanups.push(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-cold-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hints = rootHintsText(internet.rootHints);
  writeFileSync(join(dir, 'root.hints'), hints);
  writeFileSync(join(dir, 'root.ds'), internet.dnssec!.trustAnchor);
  const names = coldNames(internet, s.names);
  const runs: ColdRun[] = [];
  for (const target of s.targets) {
    if (target === 'unbound') {
      const unbound = await startUnbound({ rootHintsText: hints, trustAnchors: internet.dnssec!.trustAnchor.trim().split('\n') });
      try {
        runs.push(await measure(target, internet, unbound.pid, unbound.address, unbound.port, names, s));
      } finally {
        await unbound.stop();
      }
    } else if (target === 'andns' || target === 'andns-decoded') {
      // andns-decoded: the embedded store with a decoded record tier in front (20 MiB), as before
      // the memory budget dropped it, to measure what that tier buys (README, Memory).
      const decoded = join(dir, 'decoded.json');
      writeFileSync(decoded, JSON.stringify({ sharedCache: { hotMaxBytes: 20 * 1024 * 1024 } }));
      const extra = target === 'andns-decoded' ? ['--config', decoded] : [];
      const andns = await startServe([...extra, '--listen', '127.0.0.1:0', '--root-hints', join(dir, 'root.hints'), '--trust-anchors', join(dir, 'root.ds'), '--upstream-port', '53', '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'warn'], 1);
      try {
        runs.push(await measure(target, internet, andns.child.pid!, '127.0.0.1', andns.ports.get('127.0.0.1')!, names, s));
      } finally {
        await andns.stop();
      }
    } else {
      throw new Error(`unknown target ${target} (unbound, andns, andns-decoded)`);
    }
  }
  return runs;
}

// Run as a script (inside the namespace): settings as JSON in argv[2], result as one JSON line.
if (process.argv[1]?.endsWith('scenario.js')) {
  process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));
  try {
    const runs = await runCold(JSON.parse(process.argv[2] ?? '{}') as ColdSettings);
    await cleanUp();
    process.stdout.write(JSON.stringify(runs) + '\n');
  } catch (err) {
    await cleanUp();
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
