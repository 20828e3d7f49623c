// TCP and DoT transport: queries pipelined on a few connections with 2-byte length framing (RFC 7766, RFC 7858).

import net from 'node:net';
import tls from 'node:tls';
import { InflightTable } from '../engine/inflight.ts';
import type { Sink } from '../stats/recorder.ts';
import type { QueryTable } from '../workload/query-table.ts';
import type { Transport, TransportOptions } from './transport.ts';
import { sameQuestion } from './transport.ts';

const OUT_BYTES = 64 * 1024;
/** Reconnections allowed over a whole run: a server that keeps closing is reported, not hammered. */
const MAX_RECONNECTS = 50;

interface Conn {
  socket: net.Socket | undefined;
  /** Frames written this tick; handed to the socket in one write when the tick ends. */
  out: Buffer;
  outLen: number;
  /** The start of a frame that has not fully arrived yet. */
  carry: Buffer | undefined;
}

export class StreamTransport implements Transport {
  readonly #o: TransportOptions;
  readonly #tls: boolean;
  readonly #conns: Conn[];
  readonly #inflight: InflightTable;
  readonly #sink: Sink;
  readonly #table: QueryTable;
  #next = 0;
  #flushQueued = false;
  #closing = false;
  #reconnects = 0;
  stray = 0;

  private constructor(o: TransportOptions, useTls: boolean) {
    this.#o = o;
    this.#tls = useTls;
    this.#sink = o.sink;
    this.#table = o.table;
    this.#inflight = new InflightTable(o.channels, o.timeoutMs);
    this.#conns = Array.from({ length: o.channels }, () => ({ socket: undefined, out: Buffer.allocUnsafe(OUT_BYTES), outLen: 0, carry: undefined }));
  }

  static async open(o: TransportOptions, useTls: boolean): Promise<StreamTransport> {
    const t = new StreamTransport(o, useTls);
    await Promise.all(t.#conns.map((_, ch) => t.#connect(ch)));
    return t;
  }

  #connect(ch: number): Promise<void> {
    const o = this.#o;
    const local = o.localAddress ? { localAddress: o.localAddress } : {};
    return new Promise((resolve, reject) => {
      const socket = this.#tls
        ? tls.connect({ host: o.host, port: o.port, servername: o.serverName ?? (net.isIP(o.host) ? undefined : o.host), rejectUnauthorized: !o.insecure, ALPNProtocols: ['dot'], ...local })
        : net.connect({ host: o.host, port: o.port, ...local });
      socket.setNoDelay(true);
      socket.once(this.#tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', reject);
        socket.on('error', () => {}); // 'close' follows and does the accounting
        const conn = this.#conns[ch]!;
        conn.socket = socket;
        conn.carry = undefined;
        socket.on('data', (chunk: Buffer) => this.#onData(ch, chunk));
        socket.on('close', () => this.#onClose(ch, socket));
        resolve();
      });
      socket.once('error', reject);
    });
  }

  #onClose(ch: number, socket: net.Socket): void {
    const conn = this.#conns[ch]!;
    if (conn.socket !== socket) return;
    conn.socket = undefined;
    conn.outLen = 0;
    for (let n = this.#inflight.failChannel(ch); n > 0; n--) this.#sink.onFailure('connection closed');
    if (this.#closing || this.#reconnects >= MAX_RECONNECTS) return;
    this.#reconnects++;
    setTimeout(() => {
      if (!this.#closing) this.#connect(ch).catch((err: Error) => this.#sink.onFailure(`reconnect: ${err.message}`));
    }, 100).unref();
  }

  get outstanding(): number {
    return this.#inflight.outstanding;
  }

  send(q: number, intendedMs: number): boolean {
    const n = this.#conns.length;
    for (let tries = 0; tries < n; tries++) {
      const ch = this.#next;
      this.#next = ch + 1 === n ? 0 : ch + 1;
      const conn = this.#conns[ch]!;
      if (!conn.socket) continue;
      const id = this.#inflight.begin(ch, q, intendedMs, performance.now());
      if (id < 0) continue;
      const t = this.#table;
      const len = t.length[q]!;
      if (conn.outLen + 2 + len > conn.out.length) this.#grow(conn, 2 + len);
      const out = conn.out;
      let at = conn.outLen;
      out[at++] = len >>> 8;
      out[at++] = len & 0xff;
      t.arena.copy(out, at, t.offset[q]!, t.offset[q]! + len);
      out[at] = id >>> 8;
      out[at + 1] = id & 0xff;
      conn.outLen = at + len;
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        process.nextTick(() => this.#flush());
      }
      return true;
    }
    return false;
  }

  #grow(conn: Conn, need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(conn.out.length * 2, conn.outLen + need));
    conn.out.copy(bigger, 0, 0, conn.outLen);
    conn.out = bigger;
  }

  /** One write per connection per tick; the written buffer is given away, a fresh one takes its place. */
  #flush(): void {
    this.#flushQueued = false;
    for (const conn of this.#conns) {
      if (conn.outLen === 0 || !conn.socket) continue;
      conn.socket.write(conn.out.subarray(0, conn.outLen));
      conn.out = Buffer.allocUnsafe(OUT_BYTES);
      conn.outLen = 0;
    }
  }

  #onData(ch: number, chunk: Buffer): void {
    let buf = chunk;
    const conn = this.#conns[ch]!;
    if (conn.carry) {
      buf = Buffer.concat([conn.carry, chunk]);
      conn.carry = undefined;
    }
    let pos = 0;
    while (buf.length - pos >= 2) {
      const len = (buf[pos]! << 8) | buf[pos + 1]!;
      if (buf.length - pos - 2 < len) break;
      this.#onMessage(ch, buf, pos + 2, len);
      pos += 2 + len;
    }
    if (pos < buf.length) conn.carry = buf.subarray(pos);
  }

  #onMessage(ch: number, buf: Buffer, start: number, len: number): void {
    if (len < 12 || (buf[start + 2]! & 0x80) === 0) {
      this.stray++;
      return;
    }
    const id = (buf[start]! << 8) | buf[start + 1]!;
    const q = this.#inflight.queryAt(ch, id);
    if (q < 0 || !sameQuestion(buf, start, len, this.#table, q)) {
      this.stray++;
      return;
    }
    const intended = this.#inflight.complete(ch, id);
    this.#sink.onAnswer(intended, performance.now(), buf[start + 3]! & 0x0f, false);
  }

  expire(nowMs: number): void {
    for (let n = this.#inflight.expire(nowMs); n > 0; n--) this.#sink.onTimeout();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (!c.socket || c.socket.destroyed) return resolve();
            c.socket.once('close', () => resolve());
            c.socket.destroy();
          }),
      ),
    );
  }
}
