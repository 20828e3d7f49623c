// The cluster scenario's table: upstream queries, ratio to one front-end, client-visible hit ratio, p99.

import { escapeXml } from '../report/svg.ts';
import type { ClusterOutcome, ClusterRow } from './cluster.ts';

const COLUMNS: [string, (r: ClusterRow) => string][] = [
  ['resolvers', (r) => r.kind],
  ['front-ends', (r) => String(r.frontEnds)],
  ['upstream queries', (r) => r.upstreamQueries.toLocaleString('en')],
  ['÷ 1 front-end', (r) => (r.upstreamVsOne === undefined ? '1' : String(r.upstreamVsOne))],
  ['cache-hit ratio (client-visible)', (r) => `${(r.hitRatio * 100).toFixed(1)} %`],
  ['p50 ms', (r) => String(r.p50Ms)],
  ['p99 ms', (r) => String(r.p99Ms)],
  ['p99 ms, 2nd half (worst second)', (r) => String(r.p99SteadyMs)],
  ['timeouts', (r) => String(r.run.totals.timeouts)],
];

/** The issue's target: 4 front-ends sharing Redis send ≤ 1.1× the upstream queries of one. */
export function clusterVerdict(o: ClusterOutcome): string | undefined {
  const four = o.rows.find((r) => r.kind === 'andns shared (Redis)' && r.frontEnds === 4);
  if (four?.upstreamVsOne === undefined) return undefined;
  return `4 front-ends sharing Redis: ${four.upstreamVsOne}× the upstream queries of one (target ≤ 1.1×: ${four.upstreamVsOne <= 1.1 ? 'met' : 'missed'})`;
}

export function clusterMarkdown(o: ClusterOutcome): string {
  const lines = [`| ${COLUMNS.map(([h]) => h).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`];
  for (const r of o.rows) lines.push(`| ${COLUMNS.map(([, f]) => f(r)).join(' | ')} |`);
  return lines.join('\n');
}

export function clusterHtml(o: ClusterOutcome): string {
  const head = `<tr>${COLUMNS.map(([h]) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = o.rows.map((r) => `<tr>${COLUMNS.map(([, f]) => `<td>${escapeXml(f(r))}</td>`).join('')}</tr>`).join('');
  const verdict = clusterVerdict(o);
  const notes = [...(verdict ? [verdict] : []), ...o.errors].map((e) => `<li>${escapeXml(e)}</li>`).join('');
  return `<table>${head}${body}</table>${notes ? `<ul>${notes}</ul>` : ''}`;
}
