// CPU share and resident memory of server processes, read from /proc (Linux), sampled once a second.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** Seconds since the sampler started. */
  t: number;
  /** Percent of one core over the last interval, summed over the PIDs (200 = two busy cores). */
  cpuPercent: number;
  rssMb: number;
}

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (proc(5)); 100 on nearly every Linux. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime in ticks: fields 14 and 15, counted after the ")" that closes comm (which may hold spaces). */
export function cpuTicks(statText: string): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS from /proc/PID/status, in MB. */
export function rssMb(statusText: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) / 1024 : 0;
}

export class ProcSampler {
  readonly pids: readonly number[];
  readonly samples: ProcSample[] = [];
  readonly #start: number;
  readonly #firstTicks: number;
  #lastTicks: number;
  #lastTime: number;

  constructor(pids: readonly number[], now = performance.now()) {
    this.pids = pids;
    this.#start = now;
    this.#lastTime = now;
    this.#lastTicks = this.#ticks() ?? 0;
    this.#firstTicks = this.#lastTicks;
  }

  /** Summed ticks, or undefined once every process has exited (a sample then changes nothing). */
  #ticks(): number | undefined {
    let sum = 0;
    let alive = false;
    for (const pid of this.pids) {
      try {
        sum += cpuTicks(readFileSync(`/proc/${pid}/stat`, 'latin1'));
        alive = true;
      } catch {
        // The process exited: it simply stops counting.
      }
    }
    return alive ? sum : undefined;
  }

  sample(now = performance.now()): ProcSample | undefined {
    const ticks = this.#ticks();
    if (ticks === undefined) return undefined;
    let rss = 0;
    for (const pid of this.pids) {
      try {
        rss += rssMb(readFileSync(`/proc/${pid}/status`, 'latin1'));
      } catch {
        // exited
      }
    }
    const seconds = (now - this.#lastTime) / 1000;
    const cpu = seconds > 0 ? ((ticks - this.#lastTicks) / ticksPerSecond() / seconds) * 100 : 0;
    this.#lastTicks = ticks;
    this.#lastTime = now;
    const s = { t: Math.round((now - this.#start) / 100) / 10, cpuPercent: Math.round(cpu * 10) / 10, rssMb: Math.round(rss * 10) / 10 };
    this.samples.push(s);
    return s;
  }

  /** CPU over the whole time sampled (ticks over wall time, not a mean of rounded samples), and peak RSS. */
  summary(): { meanCpuPercent: number; maxRssMb: number } {
    const seconds = (this.#lastTime - this.#start) / 1000;
    const cpu = seconds > 0 ? ((this.#lastTicks - this.#firstTicks) / ticksPerSecond() / seconds) * 100 : 0;
    return { meanCpuPercent: Math.round(cpu * 10) / 10, maxRssMb: Math.max(0, ...this.samples.map((s) => s.rssMb)) };
  }
}
