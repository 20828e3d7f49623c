// `andns reload` (the config, as SIGHUP does) and `andns restart` (a rolling restart of the
// workers) of a running andns, through its control endpoint.

import { controlCall, controlClientFlags } from './control-client.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const RELOAD_USAGE = 'andns reload | andns restart  [--control ADDR:PORT|PATH] [--control-token FILE] [--config FILE]';
const SUMMARY = `reload: the running andns reads its config file again and applies allowFrom, the log level, work
limits, forward zones, negative trust anchors and query log without dropping a query (as SIGHUP does);
what needs a restart is listed. A config with an error is refused and the running one stays.
restart: with --workers, replaces the workers one at a time (a new one serves before an old one
drains), so the port is never without a listener; it also picks up a new build.`;

const flags = [...controlClientFlags, { name: 'help', type: 'boolean' as const, help: 'show this help' }];

export async function reload(command: 'reload' | 'restart', args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(flags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(RELOAD_USAGE, SUMMARY, flags));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments (got "${positionals[0]}")`);
  const result = await controlCall(values, 'POST', `/${command}`, {});
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}
