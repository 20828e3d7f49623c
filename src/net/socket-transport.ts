// Upstream transport over real sockets: a fresh UDP socket (random source port) per query,
// or a TCP connection with RFC 1035 §4.2.2 length framing, at most `maxTcp` of them at once.

import dgram from 'node:dgram';
import net from 'node:net';
import { replyMatches, replyMatchesIgnoringCase } from '../dns/wire.ts';
import { ExchangeError, type ExchangeRequest, type UpstreamTransport } from '../resolver/upstream.ts';

export interface SocketTransportOptions {
  /**
   * Upstream TCP connections open at once (limits.maxUpstreamTcp). Servers that truncate every
   * reply would otherwise make each client query open one: file descriptors and memory with no
   * bound. Past the cap an exchange fails at once with 'tcp-limit' (Unbound's outgoing-num-tcp).
   */
  maxTcp?: number;
}

export class SocketTransport implements UpstreamTransport {
  private readonly open = new Set<{ destroy(): void }>();
  private readonly maxTcp: number;
  private tcpOpen = 0;

  constructor(options: SocketTransportOptions = {}) {
    this.maxTcp = options.maxTcp ?? Infinity;
  }

  /** TCP connections open right now (tests, metrics). */
  get tcpConnections(): number {
    return this.tcpOpen;
  }

  exchange(req: ExchangeRequest): Promise<Buffer> {
    return req.protocol === 'udp' ? this.udp(req) : this.tcp(req);
  }

  /** Aborts every exchange still in flight (shutdown). */
  close(): void {
    for (const h of this.open) h.destroy();
    this.open.clear();
  }

  /**
   * One exchange's end, exactly once: the timer stops, close() forgets it, its socket is
   * released, and the promise settles. `onTimeout` says what running out of time means.
   */
  private settle(
    timeoutMs: number,
    release: () => void,
    resolve: (reply: Buffer) => void,
    reject: (err: ExchangeError) => void,
    onTimeout: () => ExchangeError,
  ): (result: Buffer | ExchangeError) => void {
    let done = false;
    const handle = { destroy: () => finish(new ExchangeError('network', 'transport closed')) };
    const finish = (result: Buffer | ExchangeError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.open.delete(handle);
      release();
      if (result instanceof ExchangeError) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
    this.open.add(handle);
    return finish;
  }

  private udp(req: ExchangeRequest): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(net.isIPv6(req.address) ? 'udp6' : 'udp4');
      let caseOnlyMismatch = false;
      const finish = this.settle(req.timeoutMs, () => socket.close(), resolve, reject, () =>
        // Only when nothing exact arrived do we conclude the server does not echo 0x20 case: a
        // forged reply in the wrong case must not switch 0x20 off while the real one is coming.
        caseOnlyMismatch
          ? new ExchangeError('case-mismatch', `${req.address} does not echo 0x20 case`)
          : new ExchangeError('timeout', `no reply from ${req.address} in ${req.timeoutMs} ms`),
      );
      socket.on('error', (err) => finish(new ExchangeError('network', err.message)));
      socket.on('message', (msg, rinfo) => {
        // RFC 5452 §3: source address and port first, then ID and question; others are ignored.
        if (rinfo.address !== req.address || rinfo.port !== req.port) return;
        if (replyMatches(req.query, msg)) {
          if (!req.accept || req.accept(msg)) finish(msg);
          return;
        }
        if (replyMatchesIgnoringCase(req.query, msg)) caseOnlyMismatch = true;
      });
      // A connected socket on a kernel-chosen random port: the kernel itself drops datagrams
      // from any other source, and ICMP errors surface as socket errors instead of timeouts.
      // connect() hands its error (e.g. no route to an IPv6 server) to this callback.
      socket.connect(req.port, req.address, (connectError?: Error) => {
        if (connectError) return finish(new ExchangeError('network', connectError.message));
        socket.send(req.query, (err) => {
          if (err) finish(new ExchangeError('network', err.message));
        });
      });
    });
  }

  private tcp(req: ExchangeRequest): Promise<Buffer> {
    if (this.tcpOpen >= this.maxTcp) {
      return Promise.reject(new ExchangeError('tcp-limit', `${this.tcpOpen} upstream TCP connections already open`));
    }
    this.tcpOpen++;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: req.address, port: req.port });
      let received = Buffer.alloc(0);
      const release = (): void => {
        this.tcpOpen--;
        socket.destroy();
      };
      const finish = this.settle(req.timeoutMs, release, resolve, reject, () =>
        new ExchangeError('timeout', `no TCP reply from ${req.address} in ${req.timeoutMs} ms`),
      );
      socket.on('error', (err) => finish(new ExchangeError('network', err.message)));
      socket.on('close', () => finish(new ExchangeError('network', `${req.address} closed the TCP connection`)));
      socket.on('connect', () => {
        const frame = Buffer.alloc(2 + req.query.length);
        frame.writeUInt16BE(req.query.length, 0);
        req.query.copy(frame, 2);
        socket.write(frame);
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2) {
          const len = received.readUInt16BE(0);
          if (received.length < 2 + len) return;
          const msg = received.subarray(2, 2 + len);
          received = received.subarray(2 + len);
          if (replyMatches(req.query, msg) && (!req.accept || req.accept(msg))) return finish(Buffer.from(msg));
        }
      });
    });
  }
}
