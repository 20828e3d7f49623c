// The fault benchmark's client: UDP queries to several front-ends, either at a fixed rate or
// closed-loop (a window in flight), each reply matched by ID, tallied per wall-clock second:
// answered, SERVFAIL, timed out, latencies (for p50/p99).

import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface Second {
  sent: number;
  answered: number;
  servfail: number;
  timedOut: number;
  latencies: number[];
}

interface Pending {
  at: number;
  second: Second;
}

/** A query for `name` type A with RD=1, ID 0 (patched per send). */
function encodeQuery(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

export class FaultLoad {
  private readonly sockets: Socket[] = [];
  private readonly pending: Map<number, Pending>[] = [];
  private readonly nextId: number[] = [];
  private readonly ports: number[];
  private readonly timeoutMs: number;
  private readonly pick: () => string;
  private current: Second = newSecond();
  private readonly sweep: NodeJS.Timeout;
  private closedLoop = 0;
  /** The first SERVFAIL replies, whole (their Extended DNS Error says why). */
  readonly servfailSamples: Buffer[] = [];
  private sent = 0;

  /** `pick` chooses the next name (the workload's mix); `timeoutMs` is the client's patience. */
  constructor(ports: number[], pick: () => string, timeoutMs: number) {
    this.ports = ports;
    this.pick = pick;
    this.timeoutMs = timeoutMs;
    for (let i = 0; i < ports.length; i++) {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1');
      s.on('message', (msg) => this.reply(i, msg));
      this.sockets.push(s);
      this.pending.push(new Map());
      this.nextId.push(1);
    }
    this.sweep = setInterval(() => this.expire(), 50);
  }

  /** Ends the second being counted and starts the next; returns the ended one. */
  rotate(): Second {
    const done = this.current;
    this.current = newSecond();
    return done;
  }

  /** Sends `count` queries now, spread round robin over the front-ends. */
  send(count: number): void {
    for (let k = 0; k < count; k++) this.sendOne(this.sent++ % this.sockets.length);
  }

  /** Keeps `window` queries in flight per front-end until stopClosedLoop(). */
  startClosedLoop(window: number): void {
    this.closedLoop = window;
    for (let i = 0; i < this.sockets.length; i++) for (let k = this.pending[i]!.size; k < window; k++) this.sendOne(i);
  }

  stopClosedLoop(): void {
    this.closedLoop = 0;
  }

  close(): void {
    clearInterval(this.sweep);
    for (const s of this.sockets) s.close();
  }

  private sendOne(i: number): void {
    const id = this.nextId[i]!;
    this.nextId[i] = (id % 65535) + 1;
    const q = encodeQuery(this.pick());
    q.writeUInt16BE(id, 0);
    this.pending[i]!.set(id, { at: performance.now(), second: this.current });
    this.current.sent++;
    this.sockets[i]!.send(q, this.ports[i]!, '127.0.0.1');
  }

  private reply(i: number, msg: Buffer): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending[i]!.get(id);
    if (!p) return; // late (already counted as timed out) or unknown
    this.pending[i]!.delete(id);
    const rcode = msg[3]! & 0x0f;
    // Counted in the second it was sent: a fault's cost shows where the fault is.
    if (rcode === 2) {
      p.second.servfail++;
      if (this.servfailSamples.length < 20) this.servfailSamples.push(msg);
    }
    else p.second.answered++;
    p.second.latencies.push(performance.now() - p.at);
    if (this.closedLoop > 0) this.sendOne(i);
  }

  private expire(): void {
    const now = performance.now();
    this.pending.forEach((map, i) => {
      for (const [id, p] of map) {
        if (now - p.at < this.timeoutMs) continue;
        map.delete(id);
        p.second.timedOut++;
        if (this.closedLoop > 0) this.sendOne(i);
      }
    });
  }
}

function newSecond(): Second {
  return { sent: 0, answered: 0, servfail: 0, timedOut: 0, latencies: [] };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
