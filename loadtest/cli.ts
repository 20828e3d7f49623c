#!/usr/bin/env node
// andns-loadtest: the command line; runs a load test, renders a report, serves the simulated internet or summarises a CPU profile.

import { writeFileSync } from 'node:fs';
import { parseCli, USAGE } from './args.ts';
import { runLoad } from './engine/run.ts';
import { reportMain } from './report/main.ts';
import { profileMain } from './profile-summary.ts';
import { simMain } from './sim-serve.ts';
import { textSummary } from './text-summary.ts';
import { buildWorkload } from './workload/build.ts';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'report') return reportMain(argv.slice(1));
  if (argv[0] === 'sim') return simMain(argv.slice(1));
  if (argv[0] === 'profile') return profileMain(argv.slice(1));
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const options = parseCli(argv);
  const workload = buildWorkload(options.workload);
  const result = await runLoad(options.run, workload);
  if (options.out) writeFileSync(options.out, `${JSON.stringify(result, null, 1)}\n`);
  if (!options.quiet) process.stdout.write(textSummary(result));
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`andns-loadtest: ${err.message}\n`);
  process.exitCode = 1;
});
