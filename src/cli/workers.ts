// `andns serve --workers N`: the primary process forks N workers (node:cluster), each a whole
// andns serving on the same ports (SO_REUSEPORT, server/reuse-port.ts); it restarts a worker
// that dies, forwards SIGTERM/SIGINT for a graceful drain, and hosts the control endpoint,
// passing flushes to the workers (each has its own hot tier, and its own store without Redis),
// and hosts the operations listener: /metrics adds up the workers' figures (collected over IPC
// on each scrape) and /readyz asks each worker how it is doing.

import cluster, { type Worker } from 'node:cluster';
import type { AndnsConfig } from '../config/load.ts';
import { startControl, type ControlEndpoint } from '../server/control.ts';
import { ListenError } from '../server/server.ts';
import type { FlushScope } from '../shared-cache/flush.ts';
import type { HealthReport, Readiness } from '../operations/health.ts';
import { startOperations, type OperationsListener } from '../operations/listener.ts';
import { mergeSnapshots, prometheusText, snapshotOf, type MetricsSnapshot } from '../operations/merge.ts';
import { startTelemetry, type Telemetry } from '../operations/sdk.ts';
import type { Logger } from '../util/log.ts';
import { announce, where, type ListeningLine } from './announce.ts';
import type { Stack } from './compose.ts';

/** Messages between the primary and its workers. */
type ToPrimary =
  | { type: 'ready'; lines: ListeningLine[] }
  | { type: 'flushed'; id: number; deleted?: number; error?: string }
  | { type: 'metrics'; id: number; snapshot?: MetricsSnapshot; error?: string }
  | { type: 'health'; id: number; report?: HealthReport };
type ToWorker = { type: 'flush'; id: number; scope: FlushScope } | { type: 'metrics'; id: number } | { type: 'health'; id: number };
type Reply = Exclude<ToPrimary, { type: 'ready' }>;

/** A worker that dies this soon after it started is restarted only after a pause (no crash loop). */
const QUICK_DEATH_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;
const FLUSH_TIMEOUT_MS = 15_000;
/** A scrape or health check waits this long for a worker; one that stays silent is left out / not ready. */
const OPS_TIMEOUT_MS = 2_000;
/** Grace beyond the longest a query may take before the primary kills workers still draining. */
const DRAIN_GRACE_MS = 3_000;

/**
 * In a worker: report readiness with the lines a lone server prints, carry out flushes, and
 * hand the primary this process's metrics and health when it asks (operations listener).
 */
export function serveAsWorker(stack: Stack, lines: ListeningLine[], ops: { telemetry?: Telemetry | undefined; readiness?: Readiness | undefined } = {}): void {
  const send = (m: ToPrimary): void => void process.send?.(m);
  process.on('message', (m: ToWorker) => {
    switch (m?.type) {
      case 'flush':
        stack.shared.flusher.flush(m.scope).then(
          (deleted) => send({ type: 'flushed', id: m.id, deleted }),
          (err: Error) => send({ type: 'flushed', id: m.id, error: err.message }),
        );
        return;
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
export async function runWorkers(config: AndnsConfig, log: Logger): Promise<number> {
  const started = new Map<Worker, number>();
  /** Workers that finished starting; one stopped before that dies of the SIGTERM itself. */
  const serving = new Set<Worker>();
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
      const type = request.type === 'flush' ? 'flushed' : request.type;
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
    workers: () => [...serving].filter((w) => started.has(w)),
    ask,
    draining: () => draining,
  });

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    worker.on('message', (m: ToPrimary) => {
      if (m?.type === 'ready') {
        serving.add(worker);
        ready(m.lines);
      }
      else if (m?.type === 'flushed' || m?.type === 'metrics' || m?.type === 'health') pending.get(m.id)?.(m);
    });
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

  // Without Redis every worker has its own store; with it, one worker's flush reaches all.
  const flush = async (scope: FlushScope): Promise<number> => {
    const targets = config.sharedCache.redis ? [...started.keys()].slice(0, 1) : [...started.keys()];
    const replies = await Promise.all(targets.map((w) => ask(w, { type: 'flush', scope }, FLUSH_TIMEOUT_MS)));
    const errors = replies.filter((r) => r.type !== 'flushed' || r.error !== undefined);
    if (errors.length === replies.length) throw new Error((errors[0] as { error?: string } | undefined)?.error ?? 'no worker');
    return replies.reduce((n, r) => n + (r.type === 'flushed' ? (r.deleted ?? 0) : 0), 0);
  };
  let control: ControlEndpoint | undefined;
  if (config.control) {
    const at = config.control;
    control = await startControl(at, { flush }, log).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, 'control HTTP', err);
    });
  }
  announce(lines);
  if (control) announce([{ transports: ['control'], ...where(control.address), detail: 'HTTP' }]);
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
        const ready = !draining && reports.length === config.workers && reports.every((r) => r.ready);
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
