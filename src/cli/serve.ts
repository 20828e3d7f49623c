// `andns serve`: runs the resolver in the foreground until SIGTERM/SIGINT, then stops
// accepting, lets in-flight queries finish, closes, and exits 0. With --workers N it is the
// primary of N such processes (workers.ts), or one of them.

import cluster from 'node:cluster';
import { loadConfig } from '../config/load.ts';
import { startControl, type ControlEndpoint } from '../server/control.ts';
import { ListenError, startServer, type RunningServer } from '../server/server.ts';
import { captureProcessWarnings, createLogger } from '../util/log.ts';
import { announce, listeningLines, where } from './announce.ts';
import { composeStack } from './compose.ts';
import { flagHelp, overridesFrom, parseFlags, serveFlags, UsageError } from './flags.ts';
import { runWorkers, serveAsWorker } from './workers.ts';

export const SERVE_USAGE = 'andns serve [--config FILE] [flags]';
const SUMMARY = `Runs the caching recursive resolver in the foreground on UDP and TCP, DNS-over-HTTPS (and plain
HTTP on loopback) and DNS-over-TLS. No upstream query is sent at start-up: the root is primed on
the first client query. SIGHUP reloads the TLS certificate. SIGTERM or SIGINT stops it
gracefully (exit 0); a second signal exits at once. --redis shares the cache with every
front-end on that Redis Cluster; --workers N serves from N processes.`;

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
  captureProcessWarnings(log);
  if (!config.validation) log.warn('DNSSEC validation is off (--no-dnssec): answers are not validated');
  if (cluster.isPrimary && config.workers > 1) return runWorkers(config, log);
  const stack = await composeStack(config, log);
  let server: RunningServer | undefined;
  let control: ControlEndpoint | undefined;
  try {
    server = await startServer(config.server, stack.pipeline, log);
    // Workers' flushes come from the primary, which hosts the control endpoint.
    const at = config.control;
    if (at && cluster.isPrimary) {
      control = await startControl(at, { flush: (scope) => stack.shared.flusher.flush(scope) }, log).catch((err: NodeJS.ErrnoException) => {
        throw new ListenError(at, 'control HTTP', err);
      });
    }
  } catch (err) {
    await server?.close();
    await stack.close();
    throw err;
  }
  const running = server;
  const lines = listeningLines(running);
  if (cluster.isWorker) serveAsWorker(stack, lines);
  else announce(lines);
  if (control) announce([{ transports: ['control'], ...where(control.address), detail: 'HTTP' }]);
  // SIGHUP: re-read the TLS certificate and key (a renewed certificate, no restart).
  process.on('SIGHUP', () => void running.reloadTls());
  log.info('serving', { rootHints: config.rootHintsOrigin, upstreamPort: config.resolver.upstreamPort, pid: process.pid });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      // Ctrl-C reaches the whole process group: a worker waits for the primary's SIGTERM.
      if (cluster.isWorker && signal === 'SIGINT') return;
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
      void Promise.all([running.close(), control?.close()]).then(async () => {
        clearTimeout(deadline);
        await stack.close();
        log.info('stopped');
        log.flushRepeats();
        resolve(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
