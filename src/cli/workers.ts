// `andns serve --workers N`: the primary process forks N workers (node:cluster), each a whole
// andns serving on the same ports (SO_REUSEPORT, server/reuse-port.ts); it restarts a worker
// that dies, forwards SIGTERM/SIGINT for a graceful drain, and hosts the control endpoint,
// passing flushes to the workers (each has its own hot tier, and its own store without Redis).

import cluster, { type Worker } from 'node:cluster';
import type { AndnsConfig } from '../config/load.ts';
import { startControl, type ControlEndpoint } from '../server/control.ts';
import { ListenError } from '../server/server.ts';
import type { FlushScope } from '../shared-cache/flush.ts';
import type { Logger } from '../util/log.ts';
import { announce, where, type ListeningLine } from './announce.ts';
import type { Stack } from './compose.ts';

/** Messages between the primary and its workers. */
type ToPrimary = { type: 'ready'; lines: ListeningLine[] } | { type: 'flushed'; id: number; deleted?: number; error?: string };
type ToWorker = { type: 'flush'; id: number; scope: FlushScope };

/** A worker that dies this soon after it started is restarted only after a pause (no crash loop). */
const QUICK_DEATH_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;
const FLUSH_TIMEOUT_MS = 15_000;
/** Grace beyond the longest a query may take before the primary kills workers still draining. */
const DRAIN_GRACE_MS = 3_000;

/** In a worker: report readiness with the lines a lone server prints, and carry out flushes. */
export function serveAsWorker(stack: Stack, lines: ListeningLine[]): void {
  process.on('message', (m: ToWorker) => {
    if (m?.type !== 'flush') return;
    stack.shared.flusher.flush(m.scope).then(
      (deleted) => process.send?.({ type: 'flushed', id: m.id, deleted } satisfies ToPrimary),
      (err: Error) => process.send?.({ type: 'flushed', id: m.id, error: err.message } satisfies ToPrimary),
    );
  });
  process.send?.({ type: 'ready', lines } satisfies ToPrimary);
}

/** In the primary: runs the workers until SIGTERM/SIGINT; resolves the exit status. */
export async function runWorkers(config: AndnsConfig, log: Logger): Promise<number> {
  const started = new Map<Worker, number>();
  /** Workers that finished starting; one stopped before that dies of the SIGTERM itself. */
  const serving = new Set<Worker>();
  const pending = new Map<number, (reply: ToPrimary & { type: 'flushed' }) => void>();
  let nextId = 0;
  let stopping = false;
  let allStarted = false;
  let ready: (lines: ListeningLine[]) => void = () => {};
  let failed: (code: number | null) => void = () => {};

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    worker.on('message', (m: ToPrimary) => {
      if (m?.type === 'ready') {
        serving.add(worker);
        ready(m.lines);
      }
      else if (m?.type === 'flushed') pending.get(m.id)?.(m);
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
    return 1;
  }
  allStarted = true;

  // Without Redis every worker has its own store; with it, one worker's flush reaches all.
  const flush = async (scope: FlushScope): Promise<number> => {
    const targets = config.sharedCache.redis ? [...started.keys()].slice(0, 1) : [...started.keys()];
    const replies = await Promise.all(targets.map((w) => ask(w, scope)));
    const errors = replies.filter((r) => r.error !== undefined);
    if (errors.length === replies.length) throw new Error(errors[0]?.error ?? 'no worker');
    return replies.reduce((n, r) => n + (r.deleted ?? 0), 0);
  };
  const ask = (worker: Worker, scope: FlushScope): Promise<ToPrimary & { type: 'flushed' }> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const timer = setTimeout(() => done({ type: 'flushed', id, error: 'worker did not answer' }), FLUSH_TIMEOUT_MS);
      const done = (r: ToPrimary & { type: 'flushed' }): void => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(r);
      };
      pending.set(id, done);
      worker.send({ type: 'flush', id, scope } satisfies ToWorker);
    });

  let control: ControlEndpoint | undefined;
  if (config.control) {
    const at = config.control;
    control = await startControl(at, { flush }, log).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, 'control HTTP', err);
    });
  }
  announce(lines);
  if (control) announce([{ transports: ['control'], ...where(control.address), detail: 'HTTP' }]);
  log.info('serving', { workers: config.workers, pid: process.pid });

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping: workers draining in-flight queries', { signal });
      void control?.close();
      let clean = true;
      const deadline = setTimeout(() => {
        log.error('workers did not finish in time; killing them');
        for (const w of started.keys()) w.process.kill('SIGKILL');
        resolve(1);
      }, config.resolver.limits.maxQueryTimeMs + DRAIN_GRACE_MS);
      cluster.on('exit', (w, code, sig) => {
        if (code !== 0 && (serving.has(w) || sig !== 'SIGTERM')) clean = false;
        if (started.size > 0) return;
        clearTimeout(deadline);
        log.info('stopped');
        resolve(clean ? 0 : 1);
      });
      for (const w of started.keys()) w.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
