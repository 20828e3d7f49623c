// Runs dnsperf (Debian package) pinned to a core and reads its summary.

import { execFile } from 'node:child_process';
import { ProcSampler } from '../stats/procstat.ts';

export interface DnsperfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgLatencyMs: number;
  /** Replies per second, second by second (-S 1): the best second resists a noisy neighbour. */
  perSecond: number[];
  /** dnsperf's own CPU, percent of one core. */
  cpuPercent: number;
  command: string;
}

export interface DnsperfOptions {
  host: string;
  port: number;
  queriesFile: string;
  durationS: number;
  clients: number;
  outstanding: number;
  cpu?: number;
}

/** Parses dnsperf's "Statistics:" block. */
export function parseDnsperf(text: string): Omit<DnsperfResult, 'command' | 'cpuPercent'> {
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`dnsperf output lacks ${re.source}:\n${text}`);
    return Number(m[1]);
  };
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    perSecond: [...text.matchAll(/^\d+\.\d+: ([\d.]+)$/gm)].map((m) => Math.round(Number(m[1]))).filter((q) => q > 0),
  };
}

export function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = ['-s', o.host, '-p', String(o.port), '-d', o.queriesFile, '-c', String(o.clients), '-T', '1', '-q', String(o.outstanding), '-l', String(o.durationS), '-t', '2', '-S', '1'];
  const argv = o.cpu === undefined ? ['dnsperf', ...args] : ['taskset', '-c', String(o.cpu), 'dnsperf', ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: (o.durationS + 30) * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      clearInterval(timer);
      if (err) return reject(new Error(`dnsperf failed: ${err.message}\n${stderr}`));
      try {
        resolve({ ...parseDnsperf(stdout), cpuPercent: sampler.summary().meanCpuPercent, command: argv.join(' ') });
      } catch (e) {
        reject(e as Error);
      }
    });
    // taskset execs dnsperf, so this PID is dnsperf's own.
    const sampler = new ProcSampler(child.pid ? [child.pid] : []);
    const timer = setInterval(() => sampler.sample(), 1000);
  });
}
