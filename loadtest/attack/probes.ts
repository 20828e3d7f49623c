// Legitimate probes: a slow open loop of real questions on every transport at once, through the
// load engine, from the probe source; success = NOERROR or NXDOMAIN within the timeout.

import { runLoad, type RunConfig } from '../engine/run.ts';
import type { TransportName } from '../transport/transport.ts';
import { fileWorkload } from '../workload/workload.ts';
import type { QuerySpec } from '../workload/query-table.ts';
import type { Stage } from './stage.ts';
import { randomLabel } from './random.ts';

export const TRANSPORTS: TransportName[] = ['udp', 'tcp', 'dot', 'doh'];

export interface ProbeFigure {
  sent: number;
  ok: number;
  /** Answered with NOERROR/NXDOMAIN, in percent of those sent (100 when none were sent). */
  pct: number;
  /** Rcodes and failures other than success, for the notes. */
  other: Record<string, number>;
}

export type ProbeResult = Record<TransportName, ProbeFigure>;

export interface ProbeOptions {
  /** Queries per second per transport. */
  rate: number;
  durationS: number;
  timeoutMs: number;
  /** Share of fresh names (cache misses with a real answer) among the probes. */
  coldShare: number;
}

/** Cached names with a share of fresh wildcard names mixed in (so misses are probed too). */
function probeWorkload(stage: Stage, o: ProbeOptions, salt: string): QuerySpec[] {
  const n = Math.max(4, Math.ceil(o.rate * o.durationS) + 4);
  const every = o.coldShare > 0 ? Math.max(1, Math.round(1 / o.coldShare)) : Infinity;
  const specs: QuerySpec[] = [];
  for (let i = 0; i < n; i++) {
    if (i % every === every - 1) {
      specs.push({ name: `p${salt}${i}${randomLabel(6)}.${stage.wildcardParent}`, type: 'TXT' });
    } else {
      specs.push(stage.warmNames[i % stage.warmNames.length]!);
    }
  }
  return specs;
}

export async function probeAll(stage: Stage, o: ProbeOptions, transports: TransportName[] = TRANSPORTS): Promise<ProbeResult> {
  const salt = randomLabel(3);
  const results = await Promise.all(
    transports.map(async (t): Promise<[TransportName, ProbeFigure]> => {
      const ep = stage.endpoints[t];
      const config: RunConfig = {
        label: `probe-${t}`,
        host: ep.host,
        port: ep.port,
        transport: t,
        mode: 'open',
        rate: o.rate,
        concurrency: 1,
        durationS: o.durationS,
        maxQueries: 0,
        timeoutMs: o.timeoutMs,
        channels: 1,
        insecure: true,
        doh: { path: stage.endpoints.doh.path, method: 'POST', scheme: 'https' },
        pids: [],
        progress: false,
      };
      try {
        const r = await runLoad(config, fileWorkload(probeWorkload(stage, o, salt), 'probes', { ednsUdpSize: 1232 }));
        const ok = (r.totals.rcodes.NOERROR ?? 0) + (r.totals.rcodes.NXDOMAIN ?? 0);
        const other: Record<string, number> = {};
        for (const [k, v] of Object.entries(r.totals.rcodes)) if (k !== 'NOERROR' && k !== 'NXDOMAIN' && v > 0) other[k] = v;
        if (r.totals.timeouts) other.timeout = r.totals.timeouts;
        if (r.totals.failures) other.failed = r.totals.failures;
        if (r.totals.unsent) other.unsent = r.totals.unsent;
        const sent = r.totals.sent + r.totals.unsent;
        return [t, { sent, ok, pct: pct(ok, sent), other }];
      } catch (err) {
        // No connection at all (listener full, refused): every probe of the run failed.
        const sent = Math.max(1, Math.round(o.rate * o.durationS));
        return [t, { sent, ok: 0, pct: 0, other: { [`connect: ${(err as Error).message.slice(0, 60)}`]: sent } }];
      }
    }),
  );
  return Object.fromEntries(results) as ProbeResult;
}

export function pct(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10;
}
