// Runs our load generator as a separate, pinned process (as an operator would) and reads its JSON result.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../engine/result.ts';
import { readResult } from '../report/main.ts';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

export interface GeneratorRun {
  result: RunResult;
  command: string;
}

/** `args` are the CLI's flags (without --out/--quiet); the generator's own deadline bounds the wait. */
export function runGenerator(args: string[], outFile: string, cpu: number | undefined, durationS: number): Promise<GeneratorRun> {
  const full = [process.execPath, CLI, ...args, '--out', outFile, '--quiet'];
  const argv = cpu === undefined ? full : ['taskset', '-c', String(cpu), ...full];
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: (durationS + 60) * 1000, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err) return reject(new Error(`andns-loadtest failed: ${err.message}\n${stderr}`));
      resolve({ result: readResult(outFile), command: ['andns-loadtest', ...args].join(' ') });
    });
  });
}
