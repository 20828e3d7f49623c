// The front-ends' part of the configuration (config/ builds it; the server only reads it).

import type { DohOptions } from '../doh/options.ts';
import type { TlsFiles } from './tls.ts';

export interface ListenAddress {
  address: string;
  /** 0 asks the kernel for a free port (tests); UDP and TCP then share the port UDP got. */
  port: number;
  family: 4 | 6;
}

export interface TcpOptions {
  /** RFC 7766 §6.2.3: close a connection with no query in flight after this long. */
  idleTimeoutMs: number;
  /**
   * RFC 7766 §6.2.3: a whole message must arrive within this long of its first byte, so a
   * client dripping bytes cannot hold a connection; past it the connection is closed.
   */
  messageTimeoutMs: number;
  /** Concurrent client connections per listen address; when full, the idlest is closed for a newcomer. */
  maxConnections: number;
  /** Concurrent connections from one client address; more are closed at once. */
  maxConnectionsPerAddress: number;
  /** Concurrent connections from one /24 (IPv4) or /56 (IPv6); more are closed at once. */
  maxConnectionsPerPrefix: number;
  /** Queries in flight on one connection; reading pauses at the cap (RFC 7766 §6.2.1.1). */
  maxInFlightPerConnection: number;
}

export interface ServerOptions {
  /** Each address gets a UDP socket and a TCP listener on the same port. */
  listen: ListenAddress[];
  /** Client prefixes served on every transport (allowFrom); others get REFUSED. Absent: DEFAULT_ALLOW_FROM. */
  allowFrom?: readonly string[];
  tcp: TcpOptions;
  /** DNS over HTTPS and plain HTTP (RFC 8484) and the JSON API; absent: none. */
  doh?: DohOptions;
  /** DNS over TLS listeners (RFC 7858); the `tcp` limits apply to them. Absent: none. */
  dot?: ListenAddress[];
  /** Certificate and key for DoH over TLS and DoT; needed when either has a listener. */
  tls?: TlsFiles;
  /** Answers to CHAOS identity queries; an empty string leaves that query refused. */
  chaos?: ChaosOptions;
}

export interface ChaosOptions {
  /** TXT for id.server and hostname.bind (RFC 4892): which front-end answered. */
  identity: string;
  /** TXT for version.bind and version.server. */
  version: string;
}

export const defaultTcpOptions: TcpOptions = Object.freeze({
  idleTimeoutMs: 10_000,
  messageTimeoutMs: 3_000,
  maxConnections: 1_000,
  maxConnectionsPerAddress: 64,
  maxConnectionsPerPrefix: 256,
  maxInFlightPerConnection: 100,
});
