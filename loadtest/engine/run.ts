// Runs one load test: opens the transport, drives it open- or closed-loop, samples, and returns the result.

import cliProgress from 'cli-progress';
import type { Sink } from '../stats/recorder.ts';
import { Recorder } from '../stats/recorder.ts';
import { encodeHistogram, spectrum, summarize } from '../stats/histogram.ts';
import { ProcSampler } from '../stats/procstat.ts';
import { openTransport } from '../transport/open.ts';
import { RoundRobinTransport } from '../transport/round-robin.ts';
import type { Transport, TransportName, TransportOptions } from '../transport/transport.ts';
import type { Workload } from '../workload/workload.ts';
import { WorkloadCursor } from '../workload/workload.ts';
import { describeMachine, RESULT_SCHEMA, type RunResult } from './result.ts';
import { OpenLoopSchedule } from './schedule.ts';

export interface RunConfig {
  label: string;
  host: string;
  port: number;
  /** More servers (a cluster's front-ends): queries go to host:port and these in turn. */
  alsoServers?: { host: string; port: number }[];
  /**
   * Answers faster than this are counted as cache hits (client-visible): meaningful when a
   * fixed RTT sits in front of every authoritative server, so no miss can be that fast.
   */
  hitUnderMs?: number;
  transport: TransportName;
  mode: 'open' | 'closed';
  /** Open loop: queries per second. */
  rate: number;
  /** Closed loop: queries kept outstanding. */
  concurrency: number;
  durationS: number;
  /** Stop sending after this many queries (0: no limit but the duration). */
  maxQueries: number;
  timeoutMs: number;
  channels: number;
  insecure: boolean;
  serverName?: string;
  doh: TransportOptions['doh'];
  /** Server processes to sample for CPU and RSS. */
  pids: number[];
  /** Draw a progress bar (only ever on a TTY). */
  progress: boolean;
  /** Send from this loopback address (the attack suite: an attacker or an outsider). */
  localAddress?: string;
}

/** Open loop sends at most this many queries per turn of the event loop, so replies are read in between. */
const MAX_BATCH = 256;
const EXPIRE_EVERY_MS = 20;

export async function runLoad(config: RunConfig, workload: Workload): Promise<RunResult> {
  const rec = new Recorder(config.hitUnderMs);
  const cursor = new WorkloadCursor(workload);
  const closed = config.mode === 'closed';
  let sending = true;
  let transport: Transport | undefined;
  let refill = (): void => {};

  // Closed loop: every completion (reply, timeout or failure) lets the next query go.
  const sink: Sink = closed
    ? {
        onAnswer: (i, n, r, tc) => (rec.onAnswer(i, n, r, tc), refill()),
        onTimeout: () => (rec.onTimeout(), refill()),
        onFailure: (why) => (rec.onFailure(why), refill()),
      }
    : rec;
  const servers = [{ host: config.host, port: config.port }, ...(config.alsoServers ?? [])];
  const parts = await Promise.all(
    servers.map((s) =>
      openTransport(config.transport, {
        host: s.host,
        port: s.port,
        table: workload.table,
        sink,
        timeoutMs: config.timeoutMs,
        channels: config.channels,
        insecure: config.insecure,
        ...(config.serverName ? { serverName: config.serverName } : {}),
        doh: config.doh,
        ...(config.localAddress ? { localAddress: config.localAddress } : {}),
      }),
    ),
  );
  transport = parts.length === 1 ? parts[0]! : new RoundRobinTransport(parts);
  const t = transport;

  const sampler = config.pids.length > 0 ? new ProcSampler(config.pids) : undefined;
  const bar = config.progress && process.stderr.isTTY ? progressBar(config.durationS) : undefined;
  const cpu0 = process.cpuUsage();
  const startedAt = new Date().toISOString();
  const start = performance.now();
  const endSend = start + config.durationS * 1000;
  const limit = config.maxQueries > 0 ? config.maxQueries : Infinity;

  let doneSending!: () => void;
  const sendingDone = new Promise<void>((r) => (doneSending = r));
  const stopSending = (): void => {
    if (!sending) return;
    sending = false;
    doneSending();
  };

  /** Sends the next workload query with the given intended time; false when it could not. */
  const sendOne = (intendedMs: number): boolean => {
    if (!t.send(cursor.next(), intendedMs)) {
      rec.unsent++;
      return false;
    }
    if (++rec.sent >= limit) stopSending();
    return true;
  };

  let seconds = 0;
  const secondTimer = setInterval(() => {
    const b = rec.closeSecond(++seconds);
    const s = sampler?.sample();
    bar?.update(Math.min(seconds, config.durationS), { qps: b.answered, p99: b.latency.p99Ms.toFixed(2), timeouts: rec.timeouts, cpu: s ? `${s.cpuPercent}%` : '-' });
  }, 1000);
  const expireTimer = setInterval(() => t.expire(performance.now()), EXPIRE_EVERY_MS);
  const deadline = setTimeout(stopSending, config.durationS * 1000);

  if (closed) {
    refill = () => {
      while (sending && t.outstanding < config.concurrency) {
        if (!sendOne(performance.now())) break;
      }
    };
    refill();
  } else {
    const total = Math.min(limit, Math.max(1, Math.round(config.rate * config.durationS)));
    const schedule = new OpenLoopSchedule(start, config.rate, total);
    let k = 0;
    const tick = (): void => {
      if (!sending) return;
      const now = performance.now();
      const due = schedule.dueBy(now);
      for (let n = 0; k < due && n < MAX_BATCH; n++, k++) {
        const intended = schedule.intendedMs(k);
        rec.noteLag(now - intended);
        sendOne(intended);
      }
      if (k >= total || now >= endSend) return stopSending();
      const wait = schedule.waitFor(k, performance.now());
      // setTimeout fires ≥ 1 ms late; spin on setImmediate for the last stretch to keep the schedule.
      if (wait > 2) setTimeout(tick, wait - 1.5);
      else setImmediate(tick);
    };
    tick();
  }

  await sendingDone;
  clearTimeout(deadline);
  // Drain: wait for outstanding replies, at most one timeout (then they are timeouts).
  const drainUntil = performance.now() + config.timeoutMs + 2 * EXPIRE_EVERY_MS;
  while (t.outstanding > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  t.expire(Infinity);
  clearInterval(secondTimer);
  clearInterval(expireTimer);
  sampler?.sample(); // the last partial second counts too (and a run shorter than a second has one sample)
  const tail = (performance.now() - start) / 1000;
  if (tail - seconds > 0.05) rec.closeSecond(Math.round(tail * 10) / 10); // the replies after the last full second
  bar?.stop();
  await t.close();

  const end = rec.lastCompletionMs > start ? rec.lastCompletionMs : performance.now();
  const elapsedS = (end - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverSummary = sampler?.summary();
  return {
    schema: RESULT_SCHEMA,
    label: config.label,
    startedAt,
    machine: describeMachine(),
    config: {
      server: servers.map((x) => `${x.host}:${x.port}`).join(','),
      transport: config.transport,
      mode: config.mode,
      ...(closed ? { concurrency: config.concurrency } : { rate: config.rate }),
      durationS: config.durationS,
      ...(config.maxQueries > 0 ? { maxQueries: config.maxQueries } : {}),
      timeoutMs: config.timeoutMs,
      channels: config.channels,
      ...(config.hitUnderMs !== undefined ? { hitUnderMs: config.hitUnderMs } : {}),
    },
    workload: { description: workload.description, distinctQueries: workload.table.size, sequenceLength: workload.sequence.length, wraps: cursor.wraps },
    elapsedS: round3(elapsedS),
    qps: Math.round(rec.answered / Math.max(elapsedS, 1e-3)),
    totals: {
      sent: rec.sent,
      answered: rec.answered,
      timeouts: rec.timeouts,
      failures: rec.failures,
      unsent: rec.unsent,
      truncated: rec.truncated,
      ...(config.hitUnderMs !== undefined ? { fastAnswers: rec.fast } : {}),
      stray: t.stray,
      rcodes: rec.rcodeCounts(),
      failureReasons: Object.fromEntries(rec.failureReasons),
    },
    latency: summarize(rec.total),
    spectrum: spectrum(rec.total),
    timeline: rec.timeline,
    client: { cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (end - start)) * 1000) / 10, maxSendLagMs: round3(rec.maxLagMs), lateSends: rec.lateSends },
    ...(sampler && serverSummary ? { server: { pids: config.pids, ...serverSummary, samples: sampler.samples } } : {}),
    histogram: encodeHistogram(rec.total),
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function progressBar(total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} s | {qps} q/s | p99 {p99} ms | timeouts {timeouts} | server cpu {cpu}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { qps: 0, p99: '-', timeouts: 0, cpu: '-' });
  return bar;
}
