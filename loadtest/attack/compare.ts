#!/usr/bin/env node
// Two attack-suite results side by side (before and after a change): the targets, and
// the probes' worst transport during each attack, as Markdown.

import { readFileSync } from 'node:fs';
import { TRANSPORTS } from './probes.ts';
import { targets } from './report.ts';
import type { SuiteResult } from './suite.ts';

function load(path: string): SuiteResult {
  const r = JSON.parse(readFileSync(path, 'utf8')) as SuiteResult;
  if (r.schema !== 'andns-attack/1') throw new Error(`${path}: not an attack-suite result`);
  return r;
}

/** The targets, before and after, matched by their wording. */
export function compareMarkdown(before: SuiteResult, after: SuiteResult): string {
  const b = targets(before);
  const a = targets(after);
  const lines = [
    `Before: ${before.startedAt.slice(0, 16).replace('T', ' ')} UTC; after: ${after.startedAt.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    '| target | before | after | met after |',
    '|---|---|---|---|',
  ];
  for (const t of a) {
    const old = b.find((x) => x.target === t.target);
    lines.push(`| ${t.target} | ${old ? old.figure : '–'} | ${t.figure} | ${t.met ? 'yes' : 'no'} |`);
  }
  lines.push('', '| attack | worst transport during, before | worst transport during, after |', '|---|---|---|');
  const worst = (r: SuiteResult, id: string): string => {
    const row = r.attacks.find((x) => x.id === id);
    if (!row) return '–';
    let w = { t: '', pct: 101 };
    for (const t of TRANSPORTS) if (row.during[t].pct < w.pct) w = { t, pct: row.during[t].pct };
    return `${w.t} ${w.pct} %`;
  };
  for (const row of after.attacks) lines.push(`| ${row.title} | ${worst(before, row.id)} | ${worst(after, row.id)} |`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [beforePath, afterPath] = process.argv.slice(2);
  if (!beforePath || !afterPath) {
    process.stderr.write('usage: node dist/loadtest/attack/compare.js BEFORE.json AFTER.json\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(compareMarkdown(load(beforePath), load(afterPath)));
  }
}
