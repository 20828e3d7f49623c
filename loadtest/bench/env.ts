// The stage every bench run shares: the simulated internet on port 53, a scratch directory, a TLS certificate.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveInternet, type ServedInternet } from '../sim-serve.ts';
import { formatQueryFile } from '../workload/query-file.ts';
import type { QuerySpec } from '../workload/query-table.ts';
import { splitCatalogue } from '../workload/zipf-workload.ts';
import type { TargetContext } from './target.ts';
import { selfSignedCert } from './tls.ts';

export interface BenchEnv {
  sim: ServedInternet;
  /** Seed and size of the simulated internet, for generators that draw Zipf names from it. */
  simSeed: number;
  simZones: number;
  workDir: string;
  ctx: TargetContext;
  /** Ordinary answerable and NXDOMAIN names of the simulated internet: the cache-hit workload. */
  hotSpecs: QuerySpec[];
  hotFile: string;
  close(): Promise<void>;
}

/** Cores: the resolver on one, the load generator on the other (2-core machines). */
export const SERVER_CPU = 1;
export const CLIENT_CPU = 0;

export async function startBenchEnv(o: { simSeed: number; simZones: number; outDir?: string; delayMs?: number }): Promise<BenchEnv> {
  const workDir = o.outDir ?? mkdtempSync(join(tmpdir(), 'andns-bench-'));
  mkdirSync(workDir, { recursive: true });
  let sim: ServedInternet;
  try {
    sim = await serveInternet({ seed: o.simSeed, zones: o.simZones, port: 53, dir: workDir, ...(o.delayMs ? { delayMs: o.delayMs } : {}) });
  } catch (err) {
    throw new Error(`cannot serve the simulated internet on 127.53.x.y port 53 (Unbound queries no other port; needs root or CAP_NET_BIND_SERVICE, and no other bench running): ${(err as Error).message}`);
  }
  const split = splitCatalogue(sim.internet.catalogue);
  const hotSpecs = [...split.hot, ...split.nx];
  const hotFile = join(workDir, 'cache-hit.queries');
  writeFileSync(hotFile, formatQueryFile(hotSpecs));
  const ctx: TargetContext = { hintsFile: sim.hintsFile, upstreamPort: 53, cpu: SERVER_CPU, workDir, tls: selfSignedCert(workDir) };
  return { sim, simSeed: o.simSeed, simZones: o.simZones, workDir, ctx, hotSpecs, hotFile, close: () => sim.close() };
}

const ownDelay = new WeakMap<object, number>();

/**
 * Sets every simulated server's reply delay: a fixed RTT in front of the authoritative tier
 * (the socket host honours faults.delayMs; this kernel has no netem). A server that is slow
 * by design (the "slow" fault) keeps its own delay when that is longer.
 */
export function setUpstreamDelay(env: BenchEnv, delayMs: number): void {
  for (const s of env.sim.internet.network.servers()) {
    if (!ownDelay.has(s)) ownDelay.set(s, s.faults.delayMs ?? 0);
    s.faults.delayMs = Math.max(ownDelay.get(s)!, delayMs);
  }
}
