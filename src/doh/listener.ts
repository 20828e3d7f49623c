// One DoH listen address: accepts TCP (plain) or TLS connections, caps them per listener and per
// source (closing the idlest when full), and hands each to the HTTP/2 or the HTTP/1.1 adapter
// (by ALPN over TLS, by the h2 preface in clear).

import type http from 'node:http';
import type http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionTable, type Slot } from '../server/conn-table.ts';
import type { ListenAddress } from '../server/options.ts';
import { streamListenOptions } from '../server/reuse-port.ts';
import type { TlsCredentials } from '../server/tls.ts';
import { counters, Transport } from '../telemetry/counters.ts';
import type { Logger } from '../util/log.ts';
import type { DohHandler } from './handler.ts';
import { createHttp1Server, type DrainState } from './http1.ts';
import { createHttp2Server } from './http2.ts';
import type { DohOptions } from './options.ts';

/** RFC 9113 §3.4: a prior-knowledge h2c connection opens with "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
const H2_PREFACE_START = Buffer.from('PRI ');

export class DohListener {
  private readonly server: net.Server;
  private readonly h1: http.Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<net.Socket>();
  private readonly state: DrainState = { draining: false };
  private readonly credentials: TlsCredentials | undefined;
  readonly table: ConnectionTable;

  private constructor(handler: DohHandler, options: DohOptions, credentials: TlsCredentials | undefined, log: Logger) {
    this.credentials = credentials;
    this.table = new ConnectionTable(options);
    // A connection is busy while it has requests in flight: the idlest one, not these, makes room.
    const busyWhile = (socket: net.Socket | undefined, done: (end: () => void) => void): void => {
      const slot: Slot | undefined = socket ? this.table.find(socket) : undefined;
      if (!slot) return;
      slot.busy++;
      slot.touch();
      done(() => {
        slot.busy--;
        slot.touch();
      });
    };
    this.h1 = createHttp1Server(handler, options, log, this.state);
    this.h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => busyWhile(req.socket, (end) => res.once('close', end)));
    const h2 = createHttp2Server(handler, options, log);
    h2.on('stream', (stream: http2.ServerHttp2Stream) => busyWhile(stream.session?.socket as net.Socket | undefined, (end) => stream.once('close', end)));
    h2.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      if (this.state.draining) session.close();
    });
    const toH1 = (socket: net.Socket): void => void this.h1.emit('connection', socket);
    const toH2 = (socket: net.Socket): void => void h2.emit('connection', socket);
    if (credentials) {
      const server = tls.createServer({
        ...credentials.secureOptions,
        // RFC 8484 §5.2 / RFC 7301: h2 preferred; clients without ALPN get HTTP/1.1.
        ALPNProtocols: ['h2', 'http/1.1'],
        handshakeTimeout: options.requestTimeoutMs,
      });
      server.on('secureConnection', (socket) => {
        this.table.find(socket)?.met();
        (socket.alpnProtocol === 'h2' ? toH2 : toH1)(socket);
      });
      server.on('tlsClientError', (err) => log.debug('doh tls handshake failed', { err: err.message }));
      credentials.attach(server);
      this.server = server;
    } else {
      this.server = net.createServer((socket) => sniff(socket, options.requestTimeoutMs, toH1, toH2));
    }
    // Every accepted TCP socket takes a slot (before any TLS work) or is closed at once.
    // Over TLS the handshake must finish within requestTimeoutMs, however the bytes trickle in
    // (Node's handshakeTimeout restarts on every byte); in clear, sniff() bounds the preface.
    this.server.prependListener('connection', (socket: net.Socket) => {
      const slot = this.table.admit(socket);
      if (slot && credentials) slot.deadlineIn(options.requestTimeoutMs);
    });
    this.server.on('connection', (socket: net.Socket) => {
      socket.on('error', (err) => log.debug('doh connection error', { err: err.message }));
      this.sockets.add(socket);
      counters.connections[Transport.DOH]!++;
      socket.once('close', () => {
        this.sockets.delete(socket);
        counters.connections[Transport.DOH]!--;
      });
    });
    this.server.on('error', (err) => log.warn('doh listener error', { err: err.message }));
  }

  /** `credentials` given: HTTPS (HTTP/2 and HTTP/1.1 over TLS); absent: plain HTTP/1.1 and h2c. */
  static listen(at: ListenAddress, handler: DohHandler, options: DohOptions, credentials: TlsCredentials | undefined, log: Logger): Promise<DohListener> {
    const listener = new DohListener(handler, options, credentials, log);
    return new Promise((resolve, reject) => {
      listener.server.once('error', reject);
      // SO_REUSEPORT, as the UDP/TCP front-ends: several andns processes may share the port.
      listener.server.listen(streamListenOptions(at), () => {
        listener.server.off('error', reject);
        resolve(listener);
      });
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Stops accepting; HTTP/2 sessions get GOAWAY and HTTP/1.1 connections close after their response. */
  async close(): Promise<void> {
    this.state.draining = true;
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.server instanceof tls.Server) this.credentials?.detach(this.server);
    for (const session of this.sessions) session.close();
    this.h1.closeIdleConnections();
    await Promise.all([...this.sockets].map((s) => (s.destroyed ? undefined : new Promise((r) => s.once('close', r)))));
    await listenerClosed;
  }
}

/** Plain connections: peek at the first four bytes to tell h2c (prior knowledge) from HTTP/1.1. */
function sniff(socket: net.Socket, timeoutMs: number, toH1: (s: net.Socket) => void, toH2: (s: net.Socket) => void): void {
  let head = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length < H2_PREFACE_START.length) return;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.pause();
    socket.unshift(head); // the chosen server reads the bytes again, from the start
    if (head.subarray(0, H2_PREFACE_START.length).equals(H2_PREFACE_START)) {
      toH2(socket); // node:http2 takes what is already buffered when the session starts
    } else {
      toH1(socket);
      socket.resume(); // node:http reads buffered bytes through 'data', which a paused socket holds back
    }
  };
  socket.on('data', onData);
  socket.once('close', () => clearTimeout(timer));
}
