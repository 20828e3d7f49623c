// `andns serve`: runs the resolver in the foreground until SIGTERM/SIGINT; then /readyz turns
// 503, a grace period lets health checks withdraw the route, and only then it stops accepting,
// lets in-flight queries finish, closes, and exits 0. With --workers N it is the primary of N
// such processes (workers.ts), or one of them.

import cluster from 'node:cluster';
import { loadConfig, type AndnsConfig } from '../config/load.ts';
import type { ControlEndpoint } from '../operations/control-server.ts';
import { Observer } from '../operations/observer.ts';
import { changed, Reloader } from '../operations/reload.ts';
import { DEFAULT_ALLOW_FROM } from '../policy/acl.ts';
import { ListenError, startServer, type RunningServer } from '../server/server.ts';
import { Readiness } from '../operations/health.ts';
import { startOperations, type OperationsListener } from '../operations/listener.ts';
import { prometheusText, snapshotOf } from '../operations/merge.ts';
import { startTelemetry, type Telemetry } from '../operations/sdk.ts';
import { systemClock } from '../util/clock.ts';
import { captureProcessWarnings, createLogger, type ControlledLogger, type Logger } from '../util/log.ts';
import { announce, controlLines, listeningLines, where } from './announce.ts';
import { composeStack } from './compose.ts';
import { processActions } from './control-actions.ts';
import { openControl } from './control-endpoint.ts';
import { flagHelp, overridesFrom, parseFlags, serveFlags, UsageError } from './flags.ts';
import { runWorkers, serveAsWorker } from './workers.ts';

export const SERVE_USAGE = 'andns serve [--config FILE] [flags]';
const SUMMARY = `Runs the caching recursive resolver in the foreground on UDP and TCP, DNS-over-HTTPS (and plain
HTTP on loopback) and DNS-over-TLS. No upstream query is sent at start-up: the root is primed on
the first client query (with --metrics, /readyz's canary resolves one name every few seconds).
SIGHUP reloads the TLS certificate and the config (allowFrom, log level, limits, forward zones,
negative trust anchors, query log). SIGTERM or SIGINT stops it gracefully (exit 0): /readyz
turns 503, --drain-grace-ms passes, in-flight queries finish; a second signal exits at once.
With --redis the cache is shared with every front-end on that Redis Cluster; --workers N serves
from N processes.`;

/** Grace beyond the longest a query may take (limits.maxQueryTimeMs) before shutdown gives up. */
const DRAIN_GRACE_MS = 2_000;

export async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(serveFlags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(SERVE_USAGE, SUMMARY, serveFlags));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${positionals[0]}")`);
  // A reload reads the same file with the same flags again.
  const load = (): AndnsConfig => loadConfig({ configFile: values['config'] as string | undefined, overrides: overridesFrom(values) });
  const config = load();
  const log = createLogger(config.logLevel);
  captureProcessWarnings(log);
  if (!config.validation && cluster.isPrimary) log.warn('DNSSEC validation is off (--no-dnssec): answers are not validated');
  if (cluster.isPrimary && config.workers > 1) return runWorkers(config, log, load);
  // The SDK first: the stack's instruments are then the SDK's from the first query on.
  const telemetry = config.metrics.listen || config.metrics.otlpEndpoint ? startTelemetry(config.metrics, cluster.isWorker ? 'worker' : 'single', log) : undefined;
  const observer = new Observer(log, config.queryLog, config.dnstap);
  const stack = await composeStack(config, log, {}, observer);
  const reloader = new Reloader(config, load, log);
  followLogging(reloader, log, observer);
  stack.follow(reloader);
  const actions = processActions(stack, reloader);
  // Readiness only where someone can ask for it (the listener here, or the primary's).
  const readiness = config.metrics.listen ? new Readiness(config.health, stack.resolve, () => stack.shared.health?.state ?? 'embedded', systemClock, log) : undefined;
  let server: RunningServer | undefined;
  let control: ControlEndpoint | undefined;
  let ops: OperationsListener | undefined;
  try {
    if (readiness && telemetry && cluster.isPrimary) ops = await startOwnOperations(config, telemetry, readiness, log);
    server = await startServer(config.server, stack.pipeline, log, observer);
    // Workers are controlled through the primary, which hosts the control endpoint.
    if (config.control && cluster.isPrimary) control = await openControl(config.control, actions, log);
  } catch (err) {
    await server?.close();
    await ops?.close();
    await observer.close();
    await stack.close();
    await telemetry?.shutdown();
    throw err;
  }
  if (readiness) {
    readiness.listening = true;
    // A worker joins the primary's /readyz ready (or failing) rather than half-started, so a
    // rolling restart's replacement does not turn the node's readiness off for a moment. A
    // resolution ends within limits.maxQueryTimeMs, well inside the primary's start timeout.
    const first = readiness.start(config.resolver.limits.maxQueryTimeMs);
    if (cluster.isWorker) await first;
  }
  const running = server;
  // allowFrom lives in the server part, which otherwise needs a restart: this hook owns it.
  reloader.register('allowFrom', (next, previous) => {
    if (!changed(next.server.allowFrom, previous.server.allowFrom)) return false;
    running.setAllowFrom(next.server.allowFrom ?? DEFAULT_ALLOW_FROM);
    return true;
  }, ['server.allowFrom']);
  const lines = listeningLines(running);
  if (cluster.isWorker) serveAsWorker(actions, lines, { telemetry, readiness });
  else announce(lines);
  if (control) announce(controlLines(control));
  if (ops) announce([{ transports: ['operations'], ...where(ops.address), detail: 'HTTP: /metrics, /healthz, /readyz' }]);
  // SIGHUP: re-read the TLS certificate and key (a renewed certificate) and the config.
  // A worker's reload comes from its primary (workers.ts), which the supervisor signals.
  process.on('SIGHUP', () => {
    running.reloadTls();
    if (cluster.isPrimary) actions.reload().catch((err: Error) => log.error('reload failed', { err: err.message }));
  });
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
      // Readiness false first, so a health check withdraws the route while queries still flow.
      if (readiness) readiness.draining = true;
      const grace = ops ? config.health.drainGraceMs : 0;
      if (grace > 0) log.info('stopping: /readyz is 503; draining after the grace period', { signal, graceMs: grace });
      setTimeout(() => drain(signal), grace);
    };
    const drain = (signal: NodeJS.Signals): void => {
      log.info('stopping: draining in-flight queries', { signal });
      const deadline = setTimeout(() => {
        log.error('in-flight queries did not finish in time; exiting');
        resolve(1);
      }, config.resolver.limits.maxQueryTimeMs + DRAIN_GRACE_MS);
      void Promise.all([running.close(), control?.close()]).then(async () => {
        clearTimeout(deadline);
        readiness?.stop();
        await observer.close();
        await stack.close();
        await ops?.close();
        await telemetry?.shutdown();
        log.info('stopped');
        log.flushRepeats();
        resolve(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** The operations listener of a lone process: its own metrics and readiness. */
async function startOwnOperations(config: AndnsConfig, telemetry: Telemetry, readiness: Readiness, log: Logger): Promise<OperationsListener> {
  const at = config.metrics.listen!;
  return startOperations(at, {
    metrics: async () => prometheusText(snapshotOf(await telemetry.collect())),
    readiness: async () => {
      const report = readiness.report();
      return { ready: report.ready, body: report };
    },
  }, log).catch((err: NodeJS.ErrnoException) => {
    throw new ListenError(at, 'operations HTTP', err);
  });
}

/** The log level and the query log follow reloads. */
export function followLogging(reloader: Reloader, log: ControlledLogger, observer?: Observer): void {
  reloader.register('logLevel', (next) => {
    if (next.logLevel === log.level) return false;
    log.level = next.logLevel;
    observer?.refresh();
    return true;
  });
  if (observer) {
    reloader.register('queryLog', (next, previous) => {
      if (JSON.stringify(next.queryLog) === JSON.stringify(previous.queryLog)) return false;
      observer.configure(next.queryLog);
      return true;
    });
  }
}
