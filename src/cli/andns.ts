#!/usr/bin/env node
// The `andns` command: dispatches to `serve`, `query`, `cache`, `config`, `stats`, `nta`, `reload` or
// `restart` and maps errors to exit statuses
// (0 ok, 1 failure or bad config, 2 usage error).

import { ConfigError } from '../config/check.ts';
import { ListenError } from '../server/server.ts';
import { cache, CACHE_USAGE } from './cache.ts';
import { ControlCommandError } from './control-client.ts';
import { nta, NTA_USAGE } from './nta.ts';
import { reload, RELOAD_USAGE } from './reload.ts';
import { stats, STATS_USAGE } from './stats.ts';
import { config, CONFIG_USAGE } from './config.ts';
import { UsageError } from './flags.ts';
import { query, QUERY_USAGE } from './query.ts';
import { serve, SERVE_USAGE } from './serve.ts';

const USAGE = `usage:
  ${SERVE_USAGE}
  ${QUERY_USAGE}
  ${CACHE_USAGE}
  ${STATS_USAGE}
  ${NTA_USAGE}
  ${RELOAD_USAGE}
  ${CONFIG_USAGE}
  andns COMMAND --help   (every flag with its default)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'query':
        return await query(rest);
      case 'cache':
        return await cache(rest);
      case 'stats':
        return await stats(rest);
      case 'nta':
        return await nta(rest);
      case 'reload':
      case 'restart':
        return await reload(command, rest);
      case 'config':
        return await config(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`andns: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof ListenError || err instanceof ControlCommandError) {
      // The server logs JSON lines only, its refusal to start included; commands talk to people.
      if (command === 'serve') process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'cannot start', err: err.message })}\n`);
      else process.stderr.write(`andns: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// process.exit, not a natural end: upstream sockets and cache timers must not keep a stopped server alive.
main(process.argv.slice(2)).then(
  // Exit once stdout has flushed, so piped output is never cut short.
  (status) => process.stdout.write('', () => process.exit(status)),
  (err: unknown) => {
    process.stderr.write(`andns: unexpected error: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
