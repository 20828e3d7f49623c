// TCP front-end (RFC 7766): length-framed messages, many per connection, each answered as soon
// as it is resolved (out of order), an idle timeout, a deadline per message, caps per source,
// and the idlest connection closed when the listener is full; clients outside allowFrom are refused.

import net from 'node:net';
import { HEADER_SIZE } from '../dns/wire.ts';
import { counters, countReply, Transport, type TransportId } from '../telemetry/counters.ts';
import type { ClientInfo } from '../operations/observer.ts';
import { Acl, DEFAULT_ALLOW_FROM } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import { ConnectionTable, type Slot } from './conn-table.ts';
import type { ListenAddress, TcpOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { prohibitedPipeline } from './prohibited.ts';
import { streamListenOptions } from './reuse-port.ts';

export class TcpFrontend {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  readonly table: ConnectionTable;

  /**
   * `handshakeMs`: for a TLS listener (DoT), the absolute time a connection has to complete its
   * handshake; Node's own handshakeTimeout is an idle timer that a byte every few seconds resets.
   */
  private constructor(server: net.Server, pipeline: Pipeline, options: TcpOptions, log: Logger, event: 'connection' | 'secureConnection', acl: Acl, handshakeMs = 0) {
    this.server = server;
    const transport = event === 'secureConnection' ? Transport.DOT : Transport.TCP;
    this.table = new ConnectionTable(options);
    const refusing = prohibitedPipeline(event === 'connection' ? 'tcp' : 'dot');
    // Every accepted TCP socket (under TLS too: before any handshake work) takes a slot or is closed.
    server.on('connection', (socket: net.Socket) => {
      const slot = this.table.admit(socket);
      if (!slot) return;
      if (handshakeMs > 0) slot.deadlineIn(handshakeMs);
      // An error before the handshake completes must not reach the process.
      if (event !== 'connection') socket.on('error', (err) => log.debug('dot connection error', { err: err.message }));
      else this.serve(socket, pipeline, refusing, options, log, acl, transport);
    });
    if (event !== 'connection') {
      server.on(event, (socket: net.Socket) => this.serve(socket, pipeline, refusing, options, log, acl, transport));
    }
  }

  private serve(socket: net.Socket, pipeline: Pipeline, refusing: Pipeline, options: TcpOptions, log: Logger, acl: Acl, transport: TransportId): void {
    const slot = this.table.find(socket);
    if (!slot) {
      socket.destroy(); // evicted during its handshake
      return;
    }
    slot.met();
    // The source is fixed for the connection's life: decide once (allowFrom).
    const chosen = acl.allows(socket.remoteAddress ?? '') ? pipeline : refusing;
    const conn = new Connection(socket, slot, chosen, options, log, transport, () => this.connections.delete(conn));
    this.connections.add(conn);
  }

  static listen(at: ListenAddress, pipeline: Pipeline, options: TcpOptions, log: Logger, acl = Acl.from(DEFAULT_ALLOW_FROM)): Promise<TcpFrontend> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: a client may send its queries then shut down its side and still wait for answers.
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      server.once('error', reject);
      server.listen(streamListenOptions(at), () => {
        server.off('error', reject);
        server.on('error', (err) => log.warn('tcp listener error', { err: err.message }));
        resolve(new TcpFrontend(server, pipeline, options, log, 'connection', acl));
      });
    });
  }

  /**
   * Serves DNS over a listener that is already listening and hands out stream sockets on
   * `event`: a tls.Server's `secureConnection` is DNS over TLS (RFC 7858 §3.3: the TCP framing).
   */
  static over(server: net.Server, event: 'connection' | 'secureConnection', pipeline: Pipeline, options: TcpOptions, log: Logger, acl = Acl.from(DEFAULT_ALLOW_FROM), handshakeMs = 0): TcpFrontend {
    return new TcpFrontend(server, pipeline, options, log, event, acl, handshakeMs);
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
  private readonly slot: Slot;
  /** Runs from the first byte of a message until its last (RFC 7766 §6.2.3). */
  private messageTimer: NodeJS.Timeout | undefined;
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

  constructor(socket: net.Socket, slot: Slot, pipeline: Pipeline, options: TcpOptions, log: Logger, transport: TransportId, onClose: () => void) {
    this.socket = socket;
    this.slot = slot;
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
      clearTimeout(this.messageTimer);
      onClose();
      for (const w of this.closedWaiters) w();
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.dispatchFrames();
  }

  /**
   * Bytes of a message not yet whole: its deadline runs from its first byte and is not extended
   * by later ones, so a byte every few seconds cannot keep the connection.
   */
  private armMessageDeadline(): void {
    if (this.pending.length > 0 && !this.noMoreQueries && !this.socket.isPaused() && this.messageTimer === undefined) {
      this.messageTimer = setTimeout(() => this.onSlowMessage(), this.options.messageTimeoutMs);
    }
  }

  private onSlowMessage(): void {
    this.log.debug('tcp message not complete in time; closing', { ms: this.options.messageTimeoutMs });
    this.socket.destroy();
  }

  private clearMessageTimer(): void {
    clearTimeout(this.messageTimer);
    this.messageTimer = undefined;
  }

  /** RFC 1035 §4.2.2: each message is preceded by its length in two octets. */
  private dispatchFrames(): void {
    while (!this.noMoreQueries && this.pending.length >= 2) {
      if (this.inFlight >= this.options.maxInFlightPerConnection) {
        // Backpressure: stop reading until an answer goes out (RFC 7766 §6.2.1.1 lets servers limit).
        // Waiting on us is not the client's slowness: no message deadline meanwhile.
        this.clearMessageTimer();
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
      if (this.pending.length < 2 + length) break;
      const message = this.pending.subarray(2, 2 + length);
      this.pending = this.pending.subarray(2 + length);
      // A whole message: the connection is in use (idle timer, eviction order), the deadline stops.
      this.clearMessageTimer();
      this.idleTimer.refresh();
      this.slot.touch();
      void this.answer(message);
    }
    this.armMessageDeadline();
  }

  private async answer(message: Buffer): Promise<void> {
    this.inFlight++;
    this.slot.busy++;
    try {
      const reply = await this.pipeline.handle(message, null, 0, this.socket.remoteAddress, this.client);
      if (reply !== undefined && !this.closed && this.socket.writable) {
        countReply(this.transport, reply);
        const frame = Buffer.allocUnsafe(2 + reply.length);
        frame.writeUInt16BE(reply.length, 0);
        reply.copy(frame, 2);
        this.socket.write(frame);
        this.idleTimer.refresh();
        this.slot.touch();
      }
    } finally {
      this.inFlight--;
      this.slot.busy--;
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
