// `andns serve`: runs the resolver in the foreground until SIGTERM/SIGINT, then stops
// accepting, lets in-flight queries finish, closes, and exits 0.

import { loadConfig } from '../config/load.ts';
import { formatListen } from '../config/listen.ts';
import { startServer } from '../server/server.ts';
import { createLogger } from '../util/log.ts';
import { composeStack } from './compose.ts';
import { flagHelp, overridesFrom, parseFlags, serveFlags, UsageError } from './flags.ts';

export const SERVE_USAGE = 'andns serve [--config FILE] [flags]';
const SUMMARY = `Runs the caching recursive resolver in the foreground on UDP and TCP, DNS-over-HTTPS (and plain
HTTP on loopback) and DNS-over-TLS. No upstream query is sent at start-up: the root is primed on
the first client query. SIGHUP reloads the TLS certificate. SIGTERM or SIGINT stops it
gracefully (exit 0); a second signal exits at once.`;

/** Grace beyond the longest a query may take (limits.maxQueryTimeMs) before shutdown gives up. */
const DRAIN_GRACE_MS = 2_000;

export async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(serveFlags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(SERVE_USAGE, SUMMARY, serveFlags));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${positionals[0]}")`);
  const config = loadConfig({ configFile: values['config'] as string | undefined, overrides: overridesFrom(values) });
  const log = createLogger(config.logLevel);
  if (!config.validation) log.warn('DNSSEC validation is off (--no-dnssec): answers are not validated');
  const stack = composeStack(config, log);
  const server = await startServer(config.server, stack.pipeline, log).catch((err: Error) => {
    stack.close();
    throw err;
  });
  for (const at of server.addresses) process.stdout.write(`andns listening on ${formatListen(at)} (UDP, TCP)\n`);
  for (const e of server.endpoints) process.stdout.write(`andns listening on ${formatListen(e.address)} (${e.protocol}: ${e.target}, ${e.detail})\n`);
  // SIGHUP: re-read the TLS certificate and key (a renewed certificate, no restart).
  process.on('SIGHUP', () => void server.reloadTls());
  log.info('serving', { rootHints: config.rootHintsOrigin, upstreamPort: config.resolver.upstreamPort, pid: process.pid });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn('second signal: exiting without waiting', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      log.info('stopping: draining in-flight queries', { signal });
      const deadline = setTimeout(() => {
        log.error('in-flight queries did not finish in time; exiting');
        resolve(1);
      }, config.resolver.limits.maxQueryTimeMs + DRAIN_GRACE_MS);
      void server.close().then(() => {
        clearTimeout(deadline);
        stack.close();
        log.info('stopped');
        resolve(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
