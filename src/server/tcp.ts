// TCP front-end (RFC 7766): length-framed messages, many per connection, each answered as soon
// as it is resolved (out of order), an idle timeout, and caps on connections and in-flight queries.

import net from 'node:net';
import { HEADER_SIZE } from '../dns/wire.ts';
import { counters, countReply, Transport, type TransportId } from '../telemetry/counters.ts';
import type { ClientInfo } from '../operations/observer.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress, TcpOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { streamListenOptions } from './reuse-port.ts';

export class TcpFrontend {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();

  private constructor(server: net.Server, pipeline: Pipeline, options: TcpOptions, log: Logger, event: 'connection' | 'secureConnection') {
    this.server = server;
    const transport = event === 'secureConnection' ? Transport.DOT : Transport.TCP;
    server.on(event, (socket: net.Socket) => {
      // Over the cap a new connection is closed at once rather than queued (RFC 7766 §6.2.2).
      if (this.connections.size >= options.maxConnections) {
        socket.destroy();
        return;
      }
      const conn = new Connection(socket, pipeline, options, log, transport, () => this.connections.delete(conn));
      this.connections.add(conn);
    });
  }

  static listen(at: ListenAddress, pipeline: Pipeline, options: TcpOptions, log: Logger): Promise<TcpFrontend> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: a client may send its queries then shut down its side and still wait for answers.
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      server.once('error', reject);
      server.listen(streamListenOptions(at), () => {
        server.off('error', reject);
        server.on('error', (err) => log.warn('tcp listener error', { err: err.message }));
        resolve(new TcpFrontend(server, pipeline, options, log, 'connection'));
      });
    });
  }

  /**
   * Serves DNS over a listener that is already listening and hands out stream sockets on
   * `event`: a tls.Server's `secureConnection` is DNS over TLS (RFC 7858 §3.3: the TCP framing).
   */
  static over(server: net.Server, event: 'connection' | 'secureConnection', pipeline: Pipeline, options: TcpOptions, log: Logger): TcpFrontend {
    return new TcpFrontend(server, pipeline, options, log, event);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets every connection finish its in-flight queries, then closes them. */
  async close(): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.drain()));
    await listenerClosed;
  }
}

/** One client connection: reassembles frames, dispatches them, writes answers as they finish. */
class Connection {
  private readonly socket: net.Socket;
  private readonly pipeline: Pipeline;
  private readonly options: TcpOptions;
  private readonly log: Logger;
  private readonly idleTimer: NodeJS.Timeout;
  private pending: Buffer = Buffer.alloc(0);
  private inFlight = 0;
  /** No more queries are read: the client half-closed, or the server is shutting down. */
  private noMoreQueries = false;
  private closedWaiters: (() => void)[] = [];
  private closed = false;
  private ending = false;
  private readonly transport: TransportId;

  /** For the query log and dnstap; made once per connection. */
  private readonly client: ClientInfo;

  constructor(socket: net.Socket, pipeline: Pipeline, options: TcpOptions, log: Logger, transport: TransportId, onClose: () => void) {
    this.socket = socket;
    this.transport = transport;
    counters.connections[transport]!++;
    this.client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: transport === Transport.DOT ? 'dot' : 'tcp', serverAddress: socket.localAddress, serverPort: socket.localPort };
    this.pipeline = pipeline;
    this.options = options;
    this.log = log;
    this.idleTimer = setTimeout(() => this.onIdle(), options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.noMoreQueries = true;
      this.endIfDone();
    });
    socket.on('error', (err) => log.debug('tcp connection error', { err: err.message }));
    socket.on('close', () => {
      this.closed = true;
      counters.connections[transport]!--;
      clearTimeout(this.idleTimer);
      onClose();
      for (const w of this.closedWaiters) w();
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.idleTimer.refresh();
    this.dispatchFrames();
  }

  /** RFC 1035 §4.2.2: each message is preceded by its length in two octets. */
  private dispatchFrames(): void {
    while (!this.noMoreQueries && this.pending.length >= 2) {
      if (this.inFlight >= this.options.maxInFlightPerConnection) {
        // Backpressure: stop reading until an answer goes out (RFC 7766 §6.2.1.1 lets servers limit).
        this.socket.pause();
        return;
      }
      const length = this.pending.readUInt16BE(0);
      if (length < HEADER_SIZE) {
        // Not even a DNS header fits: the stream is out of step, and nothing after it can be trusted.
        this.log.debug('malformed tcp framing; closing', { length });
        this.socket.destroy();
        return;
      }
      if (this.pending.length < 2 + length) return;
      const message = this.pending.subarray(2, 2 + length);
      this.pending = this.pending.subarray(2 + length);
      void this.answer(message);
    }
  }

  private async answer(message: Buffer): Promise<void> {
    this.inFlight++;
    try {
      const reply = await this.pipeline.handle(message, null, 0, this.socket.remoteAddress, this.client);
      if (reply !== undefined && !this.closed && this.socket.writable) {
        countReply(this.transport, reply);
        const frame = Buffer.allocUnsafe(2 + reply.length);
        frame.writeUInt16BE(reply.length, 0);
        reply.copy(frame, 2);
        this.socket.write(frame);
        this.idleTimer.refresh();
      }
    } finally {
      this.inFlight--;
      if (this.socket.isPaused() && !this.noMoreQueries && this.inFlight < this.options.maxInFlightPerConnection) {
        this.socket.resume();
        this.dispatchFrames();
      }
      this.endIfDone();
    }
  }

  /** RFC 7766 §6.2.3: an idle connection is closed by the server; a busy one is not idle. */
  private onIdle(): void {
    if (this.inFlight > 0) {
      this.idleTimer.refresh();
      return;
    }
    this.noMoreQueries = true;
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.noMoreQueries && this.inFlight === 0 && !this.closed && !this.ending) {
      this.ending = true;
      // end() sends our FIN after pending writes; destroy() then frees the socket even if the
      // client never closes its side.
      this.socket.end(() => this.socket.destroy());
    }
  }

  /** Shutdown: read no further queries, answer those in flight, close. */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.noMoreQueries = true;
    this.socket.pause();
    const done = new Promise<void>((resolve) => this.closedWaiters.push(resolve));
    this.endIfDone();
    return done;
  }
}
