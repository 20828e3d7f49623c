// `andns stats`: a running andns's counters (per worker with --workers), through its control endpoint, as JSON.

import { controlCall, controlClientFlags } from './control-client.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const STATS_USAGE = 'andns stats [--control ADDR:PORT|PATH] [--control-token FILE] [--config FILE]';
const SUMMARY = `Prints the counters of a running andns as JSON: uptime, memory, hot-tier entries, the shared
cache's hits, misses, leases, stale answers and prefetches, the breaker state and the negative
trust anchors; with --workers, one object per worker.`;

const flags = [...controlClientFlags, { name: 'help', type: 'boolean' as const, help: 'show this help' }];

export async function stats(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(flags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(STATS_USAGE, SUMMARY, flags));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`stats takes no arguments (got "${positionals[0]}")`);
  process.stdout.write(`${JSON.stringify(await controlCall(values, 'GET', '/stats'), null, 2)}\n`);
  return 0;
}
