// Fills a resolver's cache with every name of a workload before a cache-hit measurement.

import { runLoad, type RunConfig } from '../engine/run.ts';
import type { RunResult } from '../engine/result.ts';
import type { QuerySpec } from '../workload/query-table.ts';
import { fileWorkload } from '../workload/workload.ts';
import type { Endpoint } from './target.ts';

export function baseRun(endpoint: Endpoint, over: Partial<RunConfig> = {}): RunConfig {
  return {
    label: 'run',
    host: endpoint.host,
    port: endpoint.port,
    transport: 'udp',
    mode: 'closed',
    rate: 1000,
    concurrency: 16,
    durationS: 60,
    maxQueries: 0,
    timeoutMs: 3000,
    channels: 2,
    insecure: true,
    doh: { path: '/dns-query', method: 'POST', scheme: 'https' },
    pids: [],
    progress: false,
    ...over,
  };
}

/**
 * Asks every name twice, a few at a time (closed loop, 16 outstanding): the first pass resolves,
 * the second proves the answers are cached. Throws when names fail, so a broken set-up is
 * never measured as a fast one.
 *
 * `caches` > 1: the server's processes keep separate caches behind one SO_REUSEPORT port, and
 * the kernel picks a process by the client's 4-tuple, so one pass may warm only some of them.
 * Then every name is also asked from 8 × caches further sockets, one pass each: a process is
 * missed by all of them with probability (1 − 1/caches)^(8·caches) < 0.04 %.
 */
export async function warmCache(endpoint: Endpoint, specs: QuerySpec[], caches = 1): Promise<RunResult> {
  const workload = fileWorkload(specs, 'warm-up: every name');
  for (let pass = 0; caches > 1 && pass < 8 * caches; pass++) {
    await runLoad(baseRun(endpoint, { label: 'warm-up', channels: 1, maxQueries: specs.length }), workload);
  }
  const r = await runLoad(baseRun(endpoint, { label: 'warm-up', maxQueries: specs.length * 2 }), workload);
  const ok = (r.totals.rcodes.NOERROR ?? 0) + (r.totals.rcodes.NXDOMAIN ?? 0);
  if (ok < r.totals.sent * 0.99) {
    throw new Error(`warm-up: only ${ok} of ${r.totals.sent} queries answered NOERROR/NXDOMAIN (${JSON.stringify(r.totals)})`);
  }
  return r;
}
