// Dependency rules as a test: the core (dns, resolver, cache) never reaches sockets or I/O code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
const coreDirs = ['src/dns', 'src/resolver', 'src/cache', 'src/dnssec'];
const forbidden = [
  /from 'node:(dgram|tls|http|http2|https|fs|child_process|cluster)'/,
  // node:net's pure address helpers (isIP, isIPv4, isIPv6) are fine; anything else is not.
  /import \{ [^}]*\b(?!isIP(?:v4|v6)?\b)\w+[^}]*\} from 'node:net'|import \w+ from 'node:net'/,
  /from '\.\.\/(server|net|cli|config)\//,
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

test('core modules import no sockets, files or front-end code', () => {
  const violations: string[] = [];
  for (const dir of coreDirs) {
    for (const file of sources(join(root, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const rule of forbidden) {
        const m = rule.exec(text);
        if (m) violations.push(`${relative(root, file)}: ${m[0]}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
