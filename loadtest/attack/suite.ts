// Runs the attack suite against a stage: warm the cache, probe at rest, then each attack in its
// own worker thread with probes during and after, the resolver's RSS and the upstream queries
// it caused; then the amplification table and the open-resolver check.

import { Worker } from 'node:worker_threads';
import { runLoad } from '../engine/run.ts';
import { fileWorkload } from '../workload/workload.ts';
import type { TransportName } from '../transport/transport.ts';
import { amplificationQueries, plan, type PlannedAttack, type Scale } from './plan.ts';
import { probeAll, TRANSPORTS, type ProbeResult } from './probes.ts';
import type { AmpRow, AttackReport, AttackSpec } from './spec.ts';
import { ATTACKER_SOURCE, OUTSIDER_SOURCE, rssOf, type Stage } from './stage.ts';

export interface AttackRow {
  id: string;
  title: string;
  class: PlannedAttack['class'];
  report: AttackReport | { error: string };
  during: ProbeResult;
  after: ProbeResult;
  rssMaxMb: number;
  /** Queries the simulated authoritative servers received from the start of the attack to the end of the after-probes. */
  upstreamQueries: number;
  /** The resolver was dead after the attack (and was restarted). */
  crashed: boolean;
}

export interface OutsiderCheck {
  transport: TransportName;
  sent: number;
  refused: number;
  answered: number;
  other: Record<string, number>;
}

export interface SuiteResult {
  schema: 'andns-attack/1';
  startedAt: string;
  andns: string;
  features: Stage['features'];
  scale: Scale;
  baseline: ProbeResult;
  attacks: AttackRow[];
  amplification: AmpRow[];
  outsider: OutsiderCheck[];
  crashes: number;
  durationS: number;
}

/** Runs one attack in a worker thread; resolves its report (or the error), bounded by a hard timeout. */
export function inWorker(spec: AttackSpec, hardTimeoutMs: number): Promise<AttackReport | { error: string }> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./attacker.js', import.meta.url), { workerData: spec });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ error: `attacker still running after ${hardTimeoutMs} ms: terminated` });
    }, hardTimeoutMs);
    worker.once('message', (m: { report?: AttackReport; error?: string }) => {
      clearTimeout(timer);
      resolve(m.report ?? { error: m.error ?? 'no report' });
      void worker.terminate();
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      resolve({ error: String(err) });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SuiteOptions {
  scale: Scale;
  /** Attack ids to run (default: all); 'amplification' and 'open-resolver' are ids too. */
  only?: string[];
  log?: (line: string) => void;
}

export async function runSuite(stage: Stage, o: SuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const log = o.log ?? (() => {});
  const s = o.scale;
  const wanted = (id: string): boolean => !o.only || o.only.some((w) => id === w || id.startsWith(`${w}-`) || id.endsWith(`-${w}`));
  const probeOptions = (durationS: number) => ({ rate: s.probeRate, durationS, timeoutMs: 2000, coldShare: 0.25 });

  // Warm the cache with the probes' cached names (every transport reads the same cache); over
  // TCP, which no UDP rate limit slows down.
  await runLoad(
    { label: 'warm', host: stage.endpoints.tcp.host, port: stage.endpoints.tcp.port, transport: 'tcp', mode: 'closed', rate: 0, concurrency: 10, durationS: 10, maxQueries: stage.warmNames.length * 2, timeoutMs: 3000, channels: 1, insecure: true, doh: { path: '/dns-query', method: 'POST', scheme: 'https' }, pids: [], progress: false },
    fileWorkload(stage.warmNames, 'warm', { ednsUdpSize: 1232 }),
  );
  const baseline = await probeAll(stage, probeOptions(s.probeS));
  log(`baseline probes: ${fmtProbes(baseline)}`);

  const attacks: AttackRow[] = [];
  for (const a of plan(stage, s)) {
    if (!wanted(a.id)) continue;
    const upstream0 = stage.upstreamQueries();
    let rssMaxMb = rssOf(stage.pid());
    const sampler = setInterval(() => (rssMaxMb = Math.max(rssMaxMb, rssOf(stage.pid()))), 250);
    const hard = (durationOf(a.spec) + 30) * 1000;
    const attack = inWorker(a.spec, hard);
    await sleep(a.rampS * 1000);
    const during = await probeAll(stage, probeOptions(s.probeS));
    const report = await attack;
    clearInterval(sampler);
    rssMaxMb = Math.max(rssMaxMb, rssOf(stage.pid()));
    const crashed = !stage.alive();
    if (crashed) await stage.reviveIfDead();
    const after = await probeAll(stage, probeOptions(s.afterS));
    const row: AttackRow = { id: a.id, title: a.title, class: a.class, report, during, after, rssMaxMb, upstreamQueries: stage.upstreamQueries() - upstream0, crashed };
    attacks.push(row);
    log(`${a.id}: sent ${'sent' in report ? report.sent : report.error} | during ${fmtProbes(during)} | after ${fmtProbes(after)} | rss ${rssMaxMb} MB | upstream ${row.upstreamQueries}${crashed ? ' | CRASHED' : ''}`);
  }

  let amplification: AmpRow[] = [];
  if (wanted('amplification')) {
    const queries = amplificationQueries(stage, s);
    const spec: AttackSpec = { kind: 'amplification', ...stage.endpoints.udp, source: ATTACKER_SOURCE, queries, rate: s.ampRate, durationS: s.ampS };
    const total = queries.reduce((n, q) => n + (q.durationS ?? s.ampS) + 0.5, 0);
    const report = await inWorker(spec, (total + 30) * 1000);
    amplification = 'amplification' in report ? (report.amplification ?? []) : [];
    if ('error' in report) log(`amplification: ${report.error}`);
    for (const r of amplification) log(`amplification ${r.name} ${r.type}${r.dnssecOk ? ' +DO' : ''} @${r.rate ?? s.ampRate}/s: ×${r.factor} (${r.replies}/${r.sent} replies, max ${r.maxReply} B)`);
    if (!stage.alive()) await stage.reviveIfDead();
  }

  const outsider: OutsiderCheck[] = [];
  if (wanted('open-resolver')) {
    for (const t of TRANSPORTS) outsider.push(await outsiderCheck(stage, t));
    log(`open-resolver from ${OUTSIDER_SOURCE}: ${outsider.map((c) => `${c.transport} ${c.refused}/${c.sent} REFUSED, ${c.answered} answered`).join('; ')}`);
  }

  return {
    schema: 'andns-attack/1',
    startedAt,
    andns: stage.andnsPath,
    features: stage.features,
    scale: s,
    baseline,
    attacks,
    amplification,
    outsider,
    crashes: stage.crashes,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
  };
}

function durationOf(spec: AttackSpec): number {
  return 'durationS' in spec ? spec.durationS : 10;
}

/** A few queries on one transport from an address outside allowFrom: all must be REFUSED. */
async function outsiderCheck(stage: Stage, t: TransportName): Promise<OutsiderCheck> {
  const ep = stage.endpoints[t];
  const specs = stage.warmNames.slice(0, 10);
  try {
    const r = await runLoad(
      { label: `outsider-${t}`, host: ep.host, port: ep.port, transport: t, mode: 'open', rate: 20, concurrency: 1, durationS: 0.5, maxQueries: specs.length, timeoutMs: 2000, channels: 1, insecure: true, doh: { path: stage.endpoints.doh.path, method: 'POST', scheme: 'https' }, pids: [], progress: false, localAddress: OUTSIDER_SOURCE },
      fileWorkload(specs, 'outsider', { ednsUdpSize: 1232 }),
    );
    const rc = r.totals.rcodes;
    const other: Record<string, number> = {};
    for (const [k, v] of Object.entries(rc)) if (k !== 'REFUSED' && v > 0) other[k] = v;
    if (r.totals.timeouts) other.timeout = r.totals.timeouts;
    if (r.totals.failures) other.failed = r.totals.failures;
    return { transport: t, sent: r.totals.sent, refused: rc.REFUSED ?? 0, answered: (rc.NOERROR ?? 0) + (rc.NXDOMAIN ?? 0), other };
  } catch (err) {
    return { transport: t, sent: specs.length, refused: 0, answered: 0, other: { [`connect failed: ${(err as Error).message.slice(0, 50)}`]: specs.length } };
  }
}

export function fmtProbes(p: ProbeResult): string {
  return TRANSPORTS.map((t) => `${t} ${p[t].pct}%`).join(' ');
}
