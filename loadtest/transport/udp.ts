// UDP transport: a few connected sockets, queries copied from the table into a send arena with their ID set.

import dgram from 'node:dgram';
import { InflightTable } from '../engine/inflight.ts';
import type { Sink } from '../stats/recorder.ts';
import type { QueryTable } from '../workload/query-table.ts';
import type { Transport, TransportOptions } from './transport.ts';
import { sameQuestion } from './transport.ts';

/**
 * Why an arena and not the table's bytes patched in place: dgram sends synchronously when the
 * socket buffer has room, but queues the caller's buffer when it is full (EAGAIN); patching a
 * queued buffer for the next send of the same (hot) name would corrupt it. 4 MB of arena is
 * ~100k queries before a byte is reused, long after any queued send has left.
 */
const ARENA_BYTES = 4 << 20;
const SOCKET_BUFFER = 4 << 20;

export class UdpTransport implements Transport {
  readonly #sockets: dgram.Socket[];
  readonly #inflight: InflightTable;
  readonly #table: QueryTable;
  readonly #sink: Sink;
  readonly #arena = Buffer.allocUnsafe(ARENA_BYTES);
  #arenaPos = 0;
  #next = 0;
  stray = 0;

  private constructor(o: TransportOptions, sockets: dgram.Socket[]) {
    this.#sockets = sockets;
    this.#inflight = new InflightTable(sockets.length, o.timeoutMs);
    this.#table = o.table;
    this.#sink = o.sink;
    sockets.forEach((s, ch) => {
      s.on('message', (msg) => this.#onReply(ch, msg));
      // Connected UDP surfaces ICMP port-unreachable as ECONNREFUSED: the query is lost, not the socket.
      s.on('error', (err: NodeJS.ErrnoException) => this.#sink.onFailure(`udp ${err.code ?? err.message}`));
    });
  }

  static async open(o: TransportOptions): Promise<UdpTransport> {
    const family = o.host.includes(':') ? 'udp6' : 'udp4';
    const sockets = await Promise.all(
      Array.from({ length: o.channels }, async () => {
        const s = dgram.createSocket({ type: family, recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          if (o.localAddress) s.bind(0, o.localAddress);
          s.connect(o.port, o.host, () => {
            s.off('error', reject);
            resolve();
          });
        });
        return s;
      }),
    );
    return new UdpTransport(o, sockets);
  }

  get outstanding(): number {
    return this.#inflight.outstanding;
  }

  send(q: number, intendedMs: number): boolean {
    const n = this.#sockets.length;
    for (let tries = 0; tries < n; tries++) {
      const ch = this.#next;
      this.#next = ch + 1 === n ? 0 : ch + 1;
      const id = this.#inflight.begin(ch, q, intendedMs, performance.now());
      if (id < 0) continue;
      const t = this.#table;
      const len = t.length[q]!;
      if (this.#arenaPos + len > ARENA_BYTES) this.#arenaPos = 0;
      const at = this.#arenaPos;
      t.arena.copy(this.#arena, at, t.offset[q]!, t.offset[q]! + len);
      this.#arena[at] = id >>> 8;
      this.#arena[at + 1] = id & 0xff;
      this.#arenaPos = at + len;
      this.#sockets[ch]!.send(this.#arena.subarray(at, at + len));
      return true;
    }
    return false;
  }

  #onReply(ch: number, msg: Buffer): void {
    if (msg.length < 12 || (msg[2]! & 0x80) === 0) {
      this.stray++;
      return;
    }
    const id = (msg[0]! << 8) | msg[1]!;
    const q = this.#inflight.queryAt(ch, id);
    if (q < 0 || !sameQuestion(msg, 0, msg.length, this.#table, q)) {
      this.stray++;
      return;
    }
    const intended = this.#inflight.complete(ch, id);
    this.#sink.onAnswer(intended, performance.now(), msg[3]! & 0x0f, (msg[2]! & 0x02) !== 0);
  }

  expire(nowMs: number): void {
    for (let n = this.#inflight.expire(nowMs); n > 0; n--) this.#sink.onTimeout();
  }

  async close(): Promise<void> {
    await Promise.all(this.#sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
