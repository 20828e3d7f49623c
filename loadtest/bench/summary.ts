// The bench's headline table: each target beside Unbound, as ratios measured in the same run.

import type { RunResult } from '../engine/result.ts';
import { qpsPerCore } from '../report/html.ts';
import { escapeXml } from '../report/svg.ts';
import type { ColdResult } from './scenarios.ts';

export interface TargetOutcome {
  target: string;
  saturation?: RunResult;
  fixedRate?: RunResult;
  cold?: ColdResult;
  /** DoH over one connection, then over eight. */
  doh?: RunResult[];
  /** Why a scenario did not run. */
  errors: string[];
}

export interface SummaryRow {
  target: string;
  qps?: number;
  qpsPerCore?: number;
  qpsPerCoreVsBase?: number;
  fixedRateP50Ms?: number;
  fixedRateP99Ms?: number;
  fixedRateP999Ms?: number;
  p99VsBase?: number;
  coldMeanMs?: number;
  coldP50Ms?: number;
  coldP99Ms?: number;
  coldMeanVsBase?: number;
  upstreamPerName?: number;
  dohOneConnection?: number;
  dohManyConnections?: number;
  errors: string[];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : undefined);

/**
 * Open-loop latency counts from the intended send time, so a generator stall (a noisy
 * neighbour on its core, its own GC) shows up as server latency: say so when it may have.
 */
function lagWarning(r: RunResult | undefined): string[] {
  if (!r || r.client.maxSendLagMs < 1 || r.client.maxSendLagMs < r.latency.p999Ms / 4) return [];
  return [`fixed rate: the generator itself fell up to ${r.client.maxSendLagMs} ms behind its schedule (${r.client.lateSends} late sends); part of the tail may be the client's, not the server's`];
}

export function summarize(outcomes: TargetOutcome[], base = 'unbound'): SummaryRow[] {
  const b = outcomes.find((o) => o.target === base);
  return outcomes.map((o) => {
    const perCore = o.saturation ? qpsPerCore(o.saturation) : undefined;
    return {
      target: o.target,
      qps: o.saturation?.qps,
      qpsPerCore: perCore,
      qpsPerCoreVsBase: ratio(perCore, b?.saturation ? qpsPerCore(b.saturation) : undefined),
      fixedRateP50Ms: o.fixedRate?.latency.p50Ms,
      fixedRateP99Ms: o.fixedRate?.latency.p99Ms,
      fixedRateP999Ms: o.fixedRate?.latency.p999Ms,
      p99VsBase: ratio(o.fixedRate?.latency.p99Ms, b?.fixedRate?.latency.p99Ms),
      coldMeanMs: o.cold?.run.latency.meanMs,
      coldP50Ms: o.cold?.run.latency.p50Ms,
      coldP99Ms: o.cold?.run.latency.p99Ms,
      coldMeanVsBase: ratio(o.cold?.run.latency.meanMs, b?.cold?.run.latency.meanMs),
      upstreamPerName: o.cold?.upstreamPerName,
      dohOneConnection: o.doh?.[0]?.qps,
      dohManyConnections: o.doh?.[1]?.qps,
      errors: [...o.errors, ...lagWarning(o.fixedRate)],
    };
  });
}

const COLUMNS: [keyof SummaryRow, string][] = [
  ['target', 'target'],
  ['qps', 'cache-hit q/s (saturation)'],
  ['qpsPerCore', 'q/s per busy core'],
  ['qpsPerCoreVsBase', 'per core ÷ Unbound'],
  ['fixedRateP50Ms', 'p50 ms at fixed rate'],
  ['fixedRateP99Ms', 'p99 ms'],
  ['fixedRateP999Ms', 'p99.9 ms'],
  ['p99VsBase', 'p99 ÷ Unbound'],
  ['coldMeanMs', 'cold mean ms'],
  ['coldP50Ms', 'cold p50 ms'],
  ['coldP99Ms', 'cold p99 ms'],
  ['coldMeanVsBase', 'cold mean ÷ Unbound'],
  ['upstreamPerName', 'upstream queries per name'],
  ['dohOneConnection', 'DoH req/s, 1 connection'],
  ['dohManyConnections', 'DoH req/s, 8 connections'],
];

const cell = (v: unknown): string => (v === undefined ? '–' : typeof v === 'number' ? v.toLocaleString('en') : String(v));

export function summaryHtml(rows: SummaryRow[]): string {
  const head = `<tr>${COLUMNS.map(([, h]) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${COLUMNS.map(([k]) => `<td>${escapeXml(cell(r[k]))}</td>`).join('')}</tr>`).join('');
  const errors = rows.flatMap((r) => r.errors.map((e) => `<li>${escapeXml(`${r.target}: ${e}`)}</li>`)).join('');
  return `<table>${head}${body}</table>${errors ? `<ul>${errors}</ul>` : ''}`;
}

export function summaryMarkdown(rows: SummaryRow[]): string {
  const lines = [`| ${COLUMNS.map(([, h]) => h).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${COLUMNS.map(([k]) => cell(r[k])).join(' | ')} |`);
  return lines.join('\n');
}
