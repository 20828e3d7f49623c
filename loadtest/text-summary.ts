// A run's result as a few lines of text for the terminal.

import type { RunResult } from './engine/result.ts';

export function textSummary(r: RunResult): string {
  const t = r.totals;
  const l = r.latency;
  const rcodes = Object.entries(t.rcodes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `${r.label}: ${r.config.transport} ${r.config.mode} loop ${r.config.mode === 'open' ? `at ${r.config.rate} q/s` : `with ${r.config.concurrency} outstanding`} against ${r.config.server}`,
    `  workload     ${r.workload.description}`,
    `  queries/s    ${r.qps}   (${t.answered} answered in ${r.elapsedS} s)`,
    `  sent ${t.sent}, timeouts ${t.timeouts}, failures ${t.failures}, unsent ${t.unsent}, truncated ${t.truncated}, stray ${t.stray}`,
    `  rcodes       ${rcodes}`,
    `  latency ms   p50 ${l.p50Ms}  p90 ${l.p90Ms}  p99 ${l.p99Ms}  p99.9 ${l.p999Ms}  max ${l.maxMs}  mean ${l.meanMs}`,
    `  generator    cpu ${r.client.cpuPercent}%  max send lag ${r.client.maxSendLagMs} ms  late sends ${r.client.lateSends}`,
  ];
  if (r.server) lines.push(`  server       cpu ${r.server.meanCpuPercent}%  max rss ${r.server.maxRssMb} MB  (pids ${r.server.pids.join(',')})`);
  if (Object.keys(t.failureReasons).length) lines.push(`  failures     ${JSON.stringify(t.failureReasons)}`);
  return `${lines.join('\n')}\n`;
}
