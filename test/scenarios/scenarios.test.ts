// Plays every scenario file of the corpus (test/scenarios/corpus/*.scenario) against the
// resolver's composition in memory; one test per file, named by it. SCENARIO=substring picks some.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseScenario } from './format.ts';
import { play } from './play.ts';

/** The corpus lives beside the sources; the compiled test runs from dist/. */
function corpusDir(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'scenarios', 'corpus');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
  }
  throw new Error('cannot find test/scenarios/corpus');
}

const dir = corpusDir();
const only = process.env.SCENARIO;
const files = readdirSync(dir).filter((f) => f.endsWith('.scenario') && (!only || f.includes(only))).sort();

test('the corpus is not empty', () => {
  assert.ok(files.length > 0 || only !== undefined);
});

for (const file of files) {
  test(file.replace(/\.scenario$/, ''), async () => {
    const scenario = parseScenario(readFileSync(join(dir, file), 'utf8'), file);
    const problems = await play(scenario);
    if (problems.length > 0) assert.fail(`${scenario.title}\n${problems.join("\n")}`);
  });
}
