// `andns-loadtest report`: JSON results in, the HTML report (and a PNG of the main chart) out.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RESULT_SCHEMA, type RunResult } from '../engine/result.ts';
import { latencyOverTime } from './charts.ts';
import { renderReport } from './html.ts';
import { writePng } from './png.ts';

export function readResult(path: string): RunResult {
  const r = JSON.parse(readFileSync(path, 'utf8')) as RunResult;
  if (r.schema !== RESULT_SCHEMA) throw new Error(`${path}: not an ${RESULT_SCHEMA} result (schema ${String(r.schema)})`);
  return r;
}

export async function reportMain(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, png: { type: 'string' }, title: { type: 'string' }, base: { type: 'string' } },
  });
  if (positionals.length === 0 || !values.out) throw new Error('usage: andns-loadtest report RESULT.json… --out report.html [--png chart.png] [--title T] [--base LABEL]');
  const runs = positionals.map(readResult);
  const title = values.title ?? 'andns load test';
  writeFileSync(values.out, renderReport({ title, sections: [{ title: 'Runs', runs }], ...(values.base ? { baseLabel: values.base } : {}) }));
  if (values.png) await writePng(latencyOverTime(runs, title), values.png);
  console.log(`wrote ${values.out}${values.png ? ` and ${values.png}` : ''}`);
}
