// The DoH front-end's part of the configuration (config/ builds it; src/doh only reads it).

import type { ListenAddress } from '../server/options.ts';

export interface DohOptions {
  /** HTTPS listeners: HTTP/2 (ALPN h2) and HTTP/1.1 over TLS 1.2+. They need `tls`. */
  listen: ListenAddress[];
  /** Plain HTTP/1.1 and h2c listeners, for loopback behind a TLS-terminating proxy. */
  plainListen: ListenAddress[];
  /** Path of the RFC 8484 endpoint; the JSON API also answers on `/resolve`. */
  path: string;
  /** Open connections per listener (TLS handshakes included); when full, the idlest is closed for a newcomer. */
  maxConnections: number;
  /** Open connections from one client address; more are closed at once. */
  maxConnectionsPerAddress: number;
  /** Open connections from one /24 (IPv4) or /56 (IPv6); more are closed at once. */
  maxConnectionsPerPrefix: number;
  /**
   * Prefixes of proxies whose Forwarded / X-Forwarded-For headers name the client that allowFrom
   * judges; from any other peer those headers are ignored.
   */
  trustedProxies: string[];
  /** Plain-HTTP DoH on an address other than loopback: refused at start-up unless true. */
  allowPlainRemote: boolean;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §6.5.2): requests at once per connection. */
  maxConcurrentStreams: number;
  /** Request line and headers (HTTP/1.1), header list (HTTP/2): larger gets 431 or a stream reset. */
  maxHeaderBytes: number;
  /** Time to receive a whole request (headers and body) and, for TLS, the handshake: slow clients. */
  requestTimeoutMs: number;
  /** Close a connection with no request in flight after this long. */
  idleTimeoutMs: number;
}

export const defaultDohOptions: DohOptions = Object.freeze({
  listen: [],
  // None unless asked for: `npm start` (the embedded set-up) asks for 127.0.0.1:8053. A fixed
  // default port here would make every second `andns serve` on the machine fail with EADDRINUSE.
  plainListen: [],
  path: '/dns-query',
  maxConnections: 1_000,
  maxConnectionsPerAddress: 64,
  maxConnectionsPerPrefix: 256,
  trustedProxies: [],
  allowPlainRemote: false,
  maxConcurrentStreams: 100,
  maxHeaderBytes: 16_384,
  requestTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
});

/** A DNS message is at most 65 535 bytes (RFC 1035 §4.2.2): larger POST bodies get 413. */
export const MAX_BODY_BYTES = 65_535;
