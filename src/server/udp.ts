// UDP front-end: one socket per listen address; each datagram goes through the pipeline and
// the reply goes back to its sender. Kept lean: no per-packet logging or bookkeeping objects.

import dgram from 'node:dgram';
import { EDNS_UDP_SIZE } from '../dns/constants.ts';
import { countReply, Transport } from '../telemetry/counters.ts';
import { Observer, type ClientInfo } from '../operations/observer.ts';
import { Acl, DEFAULT_ALLOW_FROM } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { prohibitedReply } from './prohibited.ts';
import { sharesPort } from './reuse-port.ts';

export class UdpFrontend {
  private readonly socket: dgram.Socket;
  private readonly pipeline: Pipeline;
  private inFlight = 0;
  private closing = false;
  /** The socket is closed: replies still being computed are dropped. */
  private closed = false;
  private drained: (() => void) | undefined;
  private readonly observer: Observer | undefined;

  private constructor(socket: dgram.Socket, pipeline: Pipeline, log: Logger, observer: Observer | undefined, acl: Acl) {
    this.socket = socket;
    this.pipeline = pipeline;
    this.observer = observer;
    // A failed send (e.g. to an unroutable source) must not end the process; it is rare, so log it.
    socket.on('error', (err) => log.warn('udp socket error', { err: err.message }));
    socket.on('message', (msg, rinfo) => {
      if (this.closing) return;
      // allowFrom first: the check reads the address text into numbers, allocating nothing.
      if (!acl.allows(rinfo.address)) {
        const refused = prohibitedReply(msg, 'udp');
        if (refused) {
          socket.send(refused, rinfo.port, rinfo.address);
          countReply(Transport.UDP, refused);
        }
        return;
      }
      // The query log or dnstap is on: the observed path (one branch when they are off).
      if (observer?.active) {
        const picked = observer.pick();
        if (picked !== 0) return this.observe(msg, rinfo, picked);
      }
      // Cache hits are answered synchronously; everything else takes the async pipeline.
      const hit = pipeline.fromHot(msg, EDNS_UDP_SIZE, rinfo.address);
      if (hit) {
        socket.send(hit, rinfo.port, rinfo.address);
        countReply(Transport.UDP, hit); // a typed-array add: no allocation on the hit path
      } else if (hit === undefined) void this.answer(msg, rinfo.port, rinfo.address);
      // null: a limit dropped the query; nothing is sent.
    });
  }

  static listen(at: ListenAddress, pipeline: Pipeline, log: Logger, observer?: Observer, acl = Acl.from(DEFAULT_ALLOW_FROM)): Promise<UdpFrontend> {
    return new Promise((resolve, reject) => {
      // SO_REUSEPORT only for node:cluster workers (reuse-port.ts); ipv6Only keeps [::] from
      // also taking IPv4, so each listen address means what it says.
      const socket = dgram.createSocket({
        type: at.family === 6 ? 'udp6' : 'udp4',
        reusePort: sharesPort(),
        ipv6Only: at.family === 6,
      });
      socket.once('error', reject);
      socket.bind({ address: at.address, port: at.port }, () => {
        socket.off('error', reject);
        resolve(new UdpFrontend(socket, pipeline, log, observer, acl));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  private observe(msg: Buffer, rinfo: dgram.RemoteInfo, picked: number): void {
    const local = this.socket.address();
    const client: ClientInfo = { address: rinfo.address, port: rinfo.port, transport: 'udp', serverAddress: local.address, serverPort: local.port };
    const start = Observer.now();
    const hit = this.pipeline.fromHot(msg, EDNS_UDP_SIZE, rinfo.address);
    if (hit) {
      this.socket.send(hit, rinfo.port, rinfo.address);
      this.observer!.note(picked, client, msg, hit, start, 'hot');
    } else if (hit === undefined) void this.answer(msg, rinfo.port, rinfo.address, client, picked);
    else this.observer!.note(picked, client, msg, undefined, start, 'local'); // a limit dropped it
  }

  private async answer(msg: Buffer, port: number, address: string, client?: ClientInfo, picked?: number): Promise<void> {
    this.inFlight++;
    try {
      const reply = await this.pipeline.handle(msg, EDNS_UDP_SIZE, 0, address, client, picked);
      if (reply === undefined || this.closed) return;
      countReply(Transport.UDP, reply);
      // While draining, wait for the send so that close() cannot discard a reply still queued.
      if (this.closing) await new Promise((sent) => this.socket.send(reply, port, address, sent));
      else this.socket.send(reply, port, address);
    } finally {
      this.inFlight--;
      if (this.closing && this.inFlight === 0) this.drained?.();
    }
  }

  /** Stops answering new datagrams, lets the ones in flight finish and reply, then closes. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
