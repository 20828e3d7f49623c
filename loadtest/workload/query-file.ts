// Reads a dnsperf-format query file: one "name type" per line, comments with # or ;.

import { readFileSync } from 'node:fs';
import type { QuerySpec } from './query-table.ts';

/** Parses query-file text; errors name the line. A missing type means A, as in dnsperf. */
export function parseQueryFile(text: string, source = 'query file'): QuerySpec[] {
  const specs: QuerySpec[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const fields = line.split(/\s+/);
    if (fields.length > 2) throw new Error(`${source}:${i + 1}: expected "name type", got ${JSON.stringify(line)}`);
    specs.push({ name: fields[0]!, type: (fields[1] ?? 'A').toUpperCase() });
  });
  if (specs.length === 0) throw new Error(`${source}: no queries`);
  return specs;
}

export function readQueryFile(path: string): QuerySpec[] {
  return parseQueryFile(readFileSync(path, 'utf8'), path);
}

/** The inverse, for handing the same workload to dnsperf. */
export function formatQueryFile(specs: readonly QuerySpec[]): string {
  return specs.map((s) => `${s.name} ${s.type}\n`).join('');
}
