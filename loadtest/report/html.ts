// The report page: one self-contained HTML file (inline SVG and CSS, nothing fetched) comparing runs.

import type { RunResult } from '../engine/result.ts';
import { latencyDistribution, latencyOverTime, throughputOverTime } from './charts.ts';
import { escapeXml } from './svg.ts';

export interface ReportSection {
  title: string;
  /** A sentence on what the scenario measures. */
  note?: string;
  runs: RunResult[];
  /** HTML placed before the section's run table (a scenario's own summary). */
  html?: string;
}

const CSS = `body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:12px;display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:12px}
.note{color:#555}code{background:#f4f4f4;padding:1px 4px}`;

/** QPS per busy server core: throughput normalised by the CPU the server actually used. */
export function qpsPerCore(r: RunResult): number | undefined {
  const cpu = r.server?.meanCpuPercent;
  return cpu && cpu > 1 ? Math.round(r.qps / (cpu / 100)) : undefined;
}

function row(r: RunResult, base: RunResult | undefined): string {
  const l = r.latency;
  const perCore = qpsPerCore(r);
  const basePerCore = base ? qpsPerCore(base) : undefined;
  const ratio = perCore && basePerCore ? (perCore / basePerCore).toFixed(2) : '';
  const errs = r.totals.timeouts + r.totals.failures + r.totals.unsent;
  const rcodes = Object.entries(r.totals.rcodes).map(([k, v]) => `${k} ${v}`).join(', ');
  const cells = [
    escapeXml(r.label),
    `${r.config.transport} ${r.config.mode}${r.config.mode === 'open' ? ` ${r.config.rate}/s` : ` c=${r.config.concurrency}`}`,
    r.qps.toLocaleString('en'),
    l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs,
    errs,
    escapeXml(rcodes),
    r.server ? `${r.server.meanCpuPercent}%` : '',
    perCore?.toLocaleString('en') ?? '',
    ratio,
    r.server ? r.server.maxRssMb : '',
    `${r.client.cpuPercent}%`,
    r.config.mode === 'open' ? r.client.maxSendLagMs : '',
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export function comparisonTable(runs: RunResult[], baseLabel?: string): string {
  const base = runs.find((r) => r.label === baseLabel);
  const head = ['run', 'load', 'replies/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'timeouts+errors', 'rcodes', 'server CPU', 'q/s per busy core', base ? `per core ÷ ${escapeXml(base.label)}` : 'ratio', 'server RSS MB', 'generator CPU', 'generator max lag ms'];
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${runs.map((r) => row(r, base)).join('')}</table>`;
}

export function renderReport(o: { title: string; sections: ReportSection[]; baseLabel?: string; notes?: string[]; summaryHtml?: string }): string {
  const machine = o.sections.flatMap((s) => s.runs)[0]?.machine;
  const parts = [`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(o.title)}</title><style>${CSS}</style></head><body>`];
  parts.push(`<h1>${escapeXml(o.title)}</h1>`);
  if (machine) parts.push(`<p class="note">Machine: ${escapeXml(`${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.kernel}, Node ${machine.node}`)}. Generated ${new Date().toISOString()}.</p>`);
  for (const n of o.notes ?? []) parts.push(`<p class="note">${escapeXml(n)}</p>`);
  if (o.summaryHtml) parts.push(`<h2>Summary</h2>${o.summaryHtml}`);
  for (const s of o.sections) {
    parts.push(`<h2>${escapeXml(s.title)}</h2>`);
    if (s.note) parts.push(`<p class="note">${escapeXml(s.note)}</p>`);
    if (s.html) parts.push(s.html);
    if (s.runs.length === 0) continue;
    parts.push(comparisonTable(s.runs, o.baseLabel));
    parts.push(`<div class="charts">${latencyOverTime(s.runs)}${latencyDistribution(s.runs)}${throughputOverTime(s.runs)}</div>`);
    parts.push(`<p class="note">Workloads: ${s.runs.map((r) => `${escapeXml(r.label)}: ${escapeXml(r.workload.description)}`).join('; ')}</p>`);
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
