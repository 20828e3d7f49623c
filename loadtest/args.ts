// Command-line options of a load run, checked once; every error names the flag at fault.

import { parseArgs } from 'node:util';
import type { RunConfig } from './engine/run.ts';
import type { TransportName } from './transport/transport.ts';

export interface WorkloadChoice {
  queriesFile?: string;
  zipf?: { s: number; seed: number; simSeed: number; simZones: number; coldShare: number; nxShare: number; length: number };
  ednsUdpSize: number;
  dnssecOk: boolean;
}

export interface CliOptions {
  run: RunConfig;
  workload: WorkloadChoice;
  out?: string;
  quiet: boolean;
}

export const USAGE = `andns-loadtest — a DNS load generator (UDP, TCP, DoT, DoH; open or closed loop)

  andns-loadtest --server 127.0.0.1:5353 [options] (--queries FILE | --zipf S)
  andns-loadtest report RESULT.json… --out report.html [--png chart.png]
  andns-loadtest sim [--sim-seed 1] [--sim-zones 300] [--port P] [--delay-ms 0]
  andns-loadtest profile FILE.cpuprofile [--top 15]   (self time of a node --cpu-prof profile)

Target (loopback only):
  --server HOST:PORT        127.0.0.0/8 or [::1]; repeatable: queries go to each in turn
  --transport udp|tcp|dot|doh          (udp)
  --insecure                accept a self-signed certificate (DoT, DoH)
  --server-name NAME        TLS server name
  --doh-path PATH           (/dns-query)    --doh-method post|get (post)
  --doh-scheme https|http   (https; http means HTTP/2 without TLS, h2c)
Load:
  --mode open|closed        (closed) open: a fixed rate, latency from each query's intended
                            send time; closed: --concurrency queries always outstanding
  --rate N                  open loop, queries per second
  --concurrency N           closed loop (100)
  --duration S              seconds of sending (10)
  --max-queries N           stop sending after N queries (0: none)
  --timeout MS              a query without reply after MS is a timeout (2000)
  --hit-under-ms MS         count answers faster than MS as cache hits (use with a fixed
                            upstream RTT, e.g. "sim --delay-ms", so no miss is that fast)
  --channels N              UDP sockets / TCP or TLS connections / HTTP/2 connections
                            (udp 4, tcp 4, dot 4, doh 1)
Workload:
  --queries FILE            dnsperf format: "name type" per line, sent in order, looped
  --zipf S                  names of the simulated internet with Zipf(S) popularity
  --sim-seed N --sim-zones N   which simulated internet (1, 300: as served by "sim")
  --seed N                  workload seed (1)
  --cold F                  share of never-seen names (0)
  --nx F                    share of NXDOMAIN names (0)
  --length N                queries in the generated sequence (1000000)
  --edns SIZE               add EDNS0 with this UDP size (0: none, as dnsperf)
  --dnssec-ok               set DO (needs --edns)
Output:
  --pid PID[,PID…]          sample these server processes' CPU and RSS (repeatable)
  --label NAME              name of the run in reports
  --out FILE                write the JSON result here
  --quiet                   no progress bar, no summary
`;

function num(values: Record<string, unknown>, key: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`--${key} ${String(raw)}: must be ${what}`);
  return n;
}

const positive = (n: number): boolean => n > 0;
const share = (n: number): boolean => n >= 0 && n <= 1;
const count = (n: number): boolean => Number.isInteger(n) && n >= 0;

export function parseServer(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`--server ${text}: expected HOST:PORT or [IPv6]:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

function oneOf<T extends string>(values: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const v = String(raw).toLowerCase() as T;
  if (!allowed.includes(v)) throw new Error(`--${key} ${String(raw)}: must be one of ${allowed.join(', ')}`);
  return v;
}

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string', multiple: true },
      transport: { type: 'string' },
      insecure: { type: 'boolean' },
      'server-name': { type: 'string' },
      'doh-path': { type: 'string' },
      'doh-method': { type: 'string' },
      'doh-scheme': { type: 'string' },
      mode: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'max-queries': { type: 'string' },
      timeout: { type: 'string' },
      'hit-under-ms': { type: 'string' },
      channels: { type: 'string' },
      queries: { type: 'string' },
      zipf: { type: 'string' },
      'sim-seed': { type: 'string' },
      'sim-zones': { type: 'string' },
      seed: { type: 'string' },
      cold: { type: 'string' },
      nx: { type: 'string' },
      length: { type: 'string' },
      edns: { type: 'string' },
      'dnssec-ok': { type: 'boolean' },
      pid: { type: 'string', multiple: true },
      label: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.server?.length) throw new Error('--server HOST:PORT is required');
  const [{ host, port }, ...alsoServers] = values.server.map(parseServer) as [{ host: string; port: number }, ...{ host: string; port: number }[]];
  const transport = oneOf<TransportName>(values, 'transport', ['udp', 'tcp', 'dot', 'doh'], 'udp');
  const mode = oneOf(values, 'mode', ['open', 'closed'] as const, 'closed');
  if (mode === 'open' && values.rate === undefined) throw new Error('--rate N is required with --mode open');
  if (Boolean(values.queries) === Boolean(values.zipf)) throw new Error('give exactly one of --queries FILE and --zipf S');
  const pids = (values.pid ?? []).flatMap((p) => p.split(',')).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--pid ${p}: not a process id`);
    return n;
  });
  const ednsUdpSize = num(values, 'edns', 0, (n) => n === 0 || (Number.isInteger(n) && n >= 512 && n <= 65535), '0 or 512–65535');
  if (values['dnssec-ok'] && !ednsUdpSize) throw new Error('--dnssec-ok needs --edns SIZE');
  const zipf = values.zipf
    ? {
        s: num(values, 'zipf', 1, (n) => n >= 0, 'a number ≥ 0'),
        seed: num(values, 'seed', 1, count, 'an integer ≥ 0'),
        simSeed: num(values, 'sim-seed', 1, count, 'an integer ≥ 0'),
        simZones: num(values, 'sim-zones', 300, count, 'an integer ≥ 0'),
        coldShare: num(values, 'cold', 0, share, 'a share in [0, 1]'),
        nxShare: num(values, 'nx', 0, share, 'a share in [0, 1]'),
        length: num(values, 'length', 1_000_000, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
      }
    : undefined;
  return {
    run: {
      label: values.label ?? `${transport} ${mode} ${values.server.join(',')}`,
      host,
      port,
      ...(alsoServers.length > 0 ? { alsoServers } : {}),
      ...(values['hit-under-ms'] !== undefined ? { hitUnderMs: num(values, 'hit-under-ms', 0, positive, 'a positive number of milliseconds') } : {}),
      transport,
      mode,
      rate: num(values, 'rate', 1000, positive, 'a positive number'),
      concurrency: num(values, 'concurrency', 100, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
      durationS: num(values, 'duration', 10, positive, 'a positive number of seconds'),
      maxQueries: num(values, 'max-queries', 0, count, 'an integer ≥ 0'),
      timeoutMs: num(values, 'timeout', 2000, positive, 'a positive number of milliseconds'),
      channels: num(values, 'channels', transport === 'doh' ? 1 : 4, (n) => Number.isInteger(n) && n > 0 && n <= 256, 'an integer 1–256'),
      insecure: values.insecure ?? false,
      ...(values['server-name'] ? { serverName: values['server-name'] } : {}),
      doh: {
        path: values['doh-path'] ?? '/dns-query',
        method: oneOf(values, 'doh-method', ['post', 'get'] as const, 'post').toUpperCase() as 'POST' | 'GET',
        scheme: oneOf(values, 'doh-scheme', ['https', 'http'] as const, 'https'),
      },
      pids,
      progress: !values.quiet,
    },
    workload: {
      ...(values.queries ? { queriesFile: values.queries } : {}),
      ...(zipf ? { zipf } : {}),
      ednsUdpSize,
      dnssecOk: values['dnssec-ok'] ?? false,
    },
    ...(values.out ? { out: values.out } : {}),
    quiet: values.quiet ?? false,
  };
}
