// `andns serve --workers N`: the primary process forks N workers (node:cluster), each a whole
// andns serving on the same ports (SO_REUSEPORT, server/reuse-port.ts); it restarts a worker
// that dies, forwards SIGTERM/SIGINT for a graceful drain, replaces the workers one at a time
// on a rolling restart (the port is never without a listener), hosts the control endpoint,
// passing flushes, stats, NTAs and reloads to the workers (each has its own hot tier, its own
// validator, and its own store without Redis), and hosts the operations listener: /metrics adds up the workers' figures (collected over IPC
// on each scrape) and /readyz asks each worker how it is doing.

import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_BYTES } from '../policy/cookies.ts';
import type { AndnsConfig } from '../config/load.ts';
import type { ControlEndpoint } from '../operations/control-server.ts';
import { Reloader } from '../operations/reload.ts';
import { ListenError } from '../server/server.ts';
import type { HealthReport, Readiness } from '../operations/health.ts';
import { startOperations, type OperationsListener } from '../operations/listener.ts';
import { mergeSnapshots, prometheusText, snapshotOf, type MetricsSnapshot } from '../operations/merge.ts';
import { startTelemetry, type Telemetry } from '../operations/sdk.ts';
import type { ControlledLogger, Logger } from '../util/log.ts';
import { announce, controlLines, where, type ListeningLine } from './announce.ts';
import { ActionError, type ProcessActions } from './control-actions.ts';
import { openControl } from './control-endpoint.ts';
import { followLogging } from './serve.ts';

type Action = keyof ProcessActions;

/** Messages between the primary and its workers. */
type ToPrimary =
  | { type: 'ready'; lines: ListeningLine[] }
  | { type: 'control'; id: number; result?: unknown; error?: string; status?: number }
  | { type: 'metrics'; id: number; snapshot?: MetricsSnapshot; error?: string }
  | { type: 'health'; id: number; report?: HealthReport };
type ToWorker = { type: 'control'; id: number; action: Action; arg?: unknown } | { type: 'metrics'; id: number } | { type: 'health'; id: number };
type Reply = Exclude<ToPrimary, { type: 'ready' }>;

/** A worker that dies this soon after it started is restarted only after a pause (no crash loop). */
const QUICK_DEATH_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;
const ACTION_TIMEOUT_MS = 15_000;
/** A replacement worker that is not serving after this long stops the rolling restart. */
const START_TIMEOUT_MS = 30_000;
/** A scrape or health check waits this long for a worker; one that stays silent is left out / not ready. */
const OPS_TIMEOUT_MS = 2_000;
/** Grace beyond the longest a query may take before the primary kills workers still draining. */
const DRAIN_GRACE_MS = 3_000;

/**
 * In a worker: report readiness with the lines a lone server prints, carry out the control
 * endpoint's requests (flush, stats, NTAs, reload), and hand the primary this process's metrics
 * and health when it asks (operations listener).
 */
export function serveAsWorker(actions: ProcessActions, lines: ListeningLine[], ops: { telemetry?: Telemetry | undefined; readiness?: Readiness | undefined } = {}): void {
  const send = (m: ToPrimary): void => void process.send?.(m);
  process.on('message', (m: ToWorker) => {
    switch (m?.type) {
      case 'control': {
        const run = actions[m.action] as (arg?: unknown) => Promise<unknown>;
        run(m.arg).then(
          (result) => send({ type: 'control', id: m.id, result }),
          (err: Error & { status?: number }) => send({ type: 'control', id: m.id, error: err.message, ...(err.status ? { status: err.status } : {}) }),
        );
        return;
      }
      case 'metrics':
        if (!ops.telemetry) return send({ type: 'metrics', id: m.id, error: 'no telemetry in this worker' });
        ops.telemetry.collect().then(
          (rm) => send({ type: 'metrics', id: m.id, snapshot: snapshotOf(rm) }),
          (err: Error) => send({ type: 'metrics', id: m.id, error: err.message }),
        );
        return;
      case 'health':
        return send({ type: 'health', id: m.id, ...(ops.readiness ? { report: ops.readiness.report() } : {}) });
    }
  });
  process.send?.({ type: 'ready', lines } satisfies ToPrimary);
}

/** In the primary: runs the workers until SIGTERM/SIGINT; resolves the exit status. */
export async function runWorkers(config: AndnsConfig, log: ControlledLogger, load: () => AndnsConfig): Promise<number> {
  if (config.policy.cookies.enabled && config.policy.cookies.secret === undefined) shareCookieSecret();
  cluster.setupPrimary({ execArgv: workerNodeFlags(process.execArgv, process.env['NODE_OPTIONS']) });
  const started = new Map<Worker, number>();
  /** Workers that finished starting; one stopped before that dies of the SIGTERM itself. */
  const serving = new Set<Worker>();
  /** Workers a rolling restart is replacing: their exit is expected. */
  const retiring = new Set<Worker>();
  const readyWaiters = new Map<Worker, () => void>();
  let restarting = false;
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 0;
  let stopping = false;
  let allStarted = false;
  let ready: (lines: ListeningLine[]) => void = () => {};
  let failed: (code: number | null) => void = () => {};
  /** SIGTERM arrived: /readyz is 503 from now on. */
  let draining = false;

  /** One request to one worker; a worker that does not answer in time yields `{ error }`. */
  type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;
  const ask = (worker: Worker, request: Request, timeoutMs: number): Promise<Reply> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const type = request.type;
      const timer = setTimeout(() => done({ type, id, error: 'worker did not answer' } as Reply), timeoutMs);
      const done = (r: Reply): void => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(r);
      };
      pending.set(id, done);
      if (!worker.isConnected()) return done({ type, id, error: 'worker is gone' } as Reply);
      worker.send({ ...request, id } as ToWorker);
    });

  // The operations listener binds before any worker starts, so a taken port stops nothing running.
  const ops = await startPrimaryOperations(config, log, {
    workers: () => [...serving].filter((w) => started.has(w) && !retiring.has(w)),
    ask,
    draining: () => draining,
  });

  const fork = (): Worker => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    worker.on('message', (m: ToPrimary) => {
      if (m?.type === 'ready') {
        serving.add(worker);
        readyWaiters.get(worker)?.();
        ready(m.lines);
      }
      else if (m?.type === 'control' || m?.type === 'metrics' || m?.type === 'health') pending.get(m.id)?.(m);
    });
    return worker;
  };

  const allReady = new Promise<ListeningLine[]>((resolve, reject) => {
    let count = 0;
    ready = (lines) => {
      if (++count === config.workers) resolve(lines);
    };
    failed = (code) => reject(new Error(`a worker exited with ${code} while starting`));
  });
  cluster.on('exit', (worker, code, signal) => {
    const age = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (retiring.delete(worker)) {
      serving.delete(worker);
      return;
    }
    if (stopping) return;
    if (!allStarted) {
      failed(code);
      return;
    }
    log.warn('worker died; starting another', { pid: worker.process.pid, code, signal });
    setTimeout(fork, age < QUICK_DEATH_MS ? RESTART_PAUSE_MS : 0);
  });
  for (let i = 0; i < config.workers; i++) fork();
  let lines: ListeningLine[];
  try {
    lines = await allReady;
  } catch (err) {
    stopping = true;
    for (const w of started.keys()) w.process.kill('SIGTERM');
    log.error('workers could not start', { err: (err as Error).message });
    await ops.close();
    return 1;
  }
  allStarted = true;
  ready = () => {};

  type ControlReply = Extract<Reply, { type: 'control' }>;
  /** Workers alive and serving, in start order. */
  const live = (): Worker[] => [...serving].filter((w) => started.has(w) && !retiring.has(w));
  /** Asks the workers; fails when none could do it (a 400 when the request itself was wrong). */
  const askAll = async (action: Action, arg?: unknown, workers = live()): Promise<ControlReply[]> => {
    const replies = (await Promise.all(workers.map((w) => ask(w, { type: 'control', action, arg }, ACTION_TIMEOUT_MS)))) as ControlReply[];
    const errors = replies.filter((r) => r.error !== undefined);
    if (replies.length === 0 || errors.length === replies.length) {
      const first = errors[0];
      if (first?.status === 400) throw new ActionError(first.error);
      throw new Error(first?.error ?? 'no worker is serving');
    }
    return replies;
  };

  const reloader = new Reloader(config, load, log);
  followLogging(reloader, log);
  const actions = {
    // Without Redis every worker has its own store; with it, one worker's flush reaches all.
    flush: async (scope: unknown) => {
      const replies = await askAll('flush', scope, config.sharedCache.redis ? live().slice(0, 1) : live());
      return replies.reduce((n, r) => n + ((r.result as number | undefined) ?? 0), 0);
    },
    stats: async () => {
      const replies = await askAll('stats');
      return { primary: { pid: process.pid, uptimeS: Math.round(process.uptime()) }, workers: replies.map((r) => r.result ?? { error: r.error }) };
    },
    nta: async (change?: unknown) => (await askAll('nta', change)).find((r) => r.result !== undefined)!.result as string[],
    reload: async () => {
      // The primary checks the config first: a bad file is refused once, and no worker changes.
      let primary;
      try {
        primary = reloader.reload();
      } catch (err) {
        throw new ActionError(`reload refused, the running config stays: ${(err as Error).message}`);
      }
      const replies = await askAll('reload');
      return { ...primary, workers: replies.map((r) => r.result ?? { error: r.error }) };
    },
    restart: async () => {
      if (restarting) throw new ActionError('a rolling restart is already under way');
      restarting = true;
      try {
        return await rollingRestart();
      } finally {
        restarting = false;
      }
    },
  };

  /**
   * One worker at a time: fork its replacement, wait until it serves (it shares the ports by
   * SO_REUSEPORT), then drain the old one with SIGTERM. Some process always holds the ports.
   */
  const rollingRestart = async (): Promise<{ replaced: number[]; started: number[] }> => {
    const replaced: number[] = [];
    const startedPids: number[] = [];
    for (const old of live()) {
      if (stopping) break;
      const fresh = fork();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a replacement worker did not start')), START_TIMEOUT_MS);
        readyWaiters.set(fresh, () => (clearTimeout(timer), readyWaiters.delete(fresh), resolve()));
        fresh.once('exit', () => (clearTimeout(timer), reject(new Error('a replacement worker exited while starting'))));
      });
      retiring.add(old);
      const gone = new Promise((resolve) => old.once('exit', resolve));
      old.process.kill('SIGTERM');
      await gone;
      replaced.push(old.process.pid ?? 0);
      startedPids.push(fresh.process.pid ?? 0);
      log.info('worker replaced', { old: old.process.pid, new: fresh.process.pid });
    }
    return { replaced, started: startedPids };
  };

  let control: ControlEndpoint | undefined;
  if (config.control) {
    try {
      control = await openControl(config.control, actions as never, log);
    } catch (err) {
      // No worker may outlive a primary that cannot start.
      stopping = true;
      for (const w of started.keys()) w.process.kill('SIGTERM');
      await ops.close();
      throw err;
    }
  }
  announce(lines);
  if (control) announce(controlLines(control));
  process.on('SIGHUP', () => void actions.reload().catch((err: Error) => log.error('reload failed', { err: err.message })));
  if (ops.listener) announce([{ transports: ['operations'], ...where(ops.listener.address), detail: 'HTTP: /metrics, /healthz, /readyz' }]);
  log.info('serving', { workers: config.workers, pid: process.pid });

  return new Promise<number>((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (signal: NodeJS.Signals): void => {
      // A second signal during the grace period drains at once.
      if (graceTimer !== undefined && draining) {
        clearTimeout(graceTimer);
        graceTimer = undefined;
        drain(signal);
        return;
      }
      if (stopping) return;
      stopping = true;
      draining = true;
      // Readiness false first: the health check withdraws the route while queries still flow.
      const grace = ops.listener ? config.health.drainGraceMs : 0;
      if (grace > 0) log.info('stopping: /readyz is 503; draining after the grace period', { signal, graceMs: grace });
      graceTimer = setTimeout(() => {
        graceTimer = undefined;
        drain(signal);
      }, grace);
    };
    const drain = (signal: NodeJS.Signals): void => {
      log.info('stopping: workers draining in-flight queries', { signal });
      void control?.close();
      let clean = true;
      const deadline = setTimeout(() => {
        log.error('workers did not finish in time; killing them');
        for (const w of started.keys()) w.process.kill('SIGKILL');
        void ops.close().finally(() => resolve(1));
      }, config.resolver.limits.maxQueryTimeMs + DRAIN_GRACE_MS);
      cluster.on('exit', (w, code, sig) => {
        if (code !== 0 && (serving.has(w) || sig !== 'SIGTERM')) clean = false;
        if (started.size > 0) return;
        clearTimeout(deadline);
        void ops.close().then(() => {
          log.info('stopped');
          log.flushRepeats();
          resolve(clean ? 0 : 1);
        });
      });
      for (const w of started.keys()) w.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

interface PrimaryOperationsDeps {
  /** Workers that finished starting and are alive. */
  workers(): Worker[];
  ask(worker: Worker, request: { type: 'metrics' } | { type: 'health' }, timeoutMs: number): Promise<Reply>;
  draining(): boolean;
}

/**
 * The primary's operations listener (when metrics.listen is set): one scrape adds up every
 * worker's figures and the primary's own; /readyz is 200 while not draining and every serving
 * worker is ready (listening, canary answered recently).
 */
async function startPrimaryOperations(config: AndnsConfig, log: Logger, d: PrimaryOperationsDeps): Promise<{ listener: OperationsListener | undefined; close(): Promise<void> }> {
  const telemetry = config.metrics.listen || config.metrics.otlpEndpoint ? startTelemetry(config.metrics, 'primary', log) : undefined;
  const at = config.metrics.listen;
  let listener: OperationsListener | undefined;
  if (at && telemetry) {
    listener = await startOperations(at, {
      async metrics() {
        const workers = d.workers();
        const [own, ...replies] = await Promise.all([telemetry.collect(), ...workers.map((w) => d.ask(w, { type: 'metrics' }, OPS_TIMEOUT_MS))]);
        const snapshots = [snapshotOf(own)];
        for (const r of replies) if (r.type === 'metrics' && r.snapshot) snapshots.push(r.snapshot);
        return prometheusText(mergeSnapshots(snapshots));
      },
      async readiness() {
        const workers = d.workers();
        const replies = await Promise.all(workers.map((w) => d.ask(w, { type: 'health' }, OPS_TIMEOUT_MS)));
        const reports = replies.map((r, i) => (r.type === 'health' && r.report ? r.report : { pid: workers[i]!.process.pid, ready: false, error: 'worker did not answer' }));
        const draining = d.draining();
        // As many ready workers as configured: during a rolling restart a replacement (ready
        // before it joins, serve.ts) serves beside the worker it replaces.
        const ready = !draining && reports.filter((r) => r.ready).length >= config.workers;
        return { ready, body: { ready, draining, workers: reports } };
      },
    }, log).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, 'operations HTTP', err);
    });
  }
  return {
    listener,
    async close() {
      await listener?.close();
      await telemetry?.shutdown();
    },
  };
}

/**
 * Workers must share one server-cookie secret: SO_REUSEPORT sends a client's next query (a new
 * source port) to any of them. Without a configured one, the primary makes one for this run, in a
 * file only this user can read, and hands its name to every worker it forks.
 */
function shareCookieSecret(): void {
  const dir = mkdtempSync(join(tmpdir(), 'andns-cookie-'));
  const file = join(dir, 'secret');
  writeFileSync(file, `${randomBytes(SECRET_BYTES).toString('hex')}\n`, { mode: 0o600 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  cluster.setupPrimary({ args: [...process.argv.slice(2), '--cookie-secret-file', file] });
}

/**
 * Node flags of a worker: the primary's, plus a small young generation unless one was chosen.
 * Node 24 lets V8's new space grow to 64 MiB under a cache-hit load: resident memory the cache
 * budget never sees (README, Memory). 2 MiB semi-spaces cost no measurable hit throughput.
 */
export function workerNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((f) => f.startsWith('--max-semi-space-size'));
  return chosen ? [...execArgv] : [...execArgv, `--max-semi-space-size=${YOUNG_SEMI_SPACE_MIB}`];
}

/** MiB of each of V8's two semi-spaces (the young generation is about three of them). */
export const YOUNG_SEMI_SPACE_MIB = 2;
