// The resolver's only way out: an upstream transport. Sockets live in src/net/; tests hand
// in the simulated internet's in-memory transport. The resolver never touches a socket.

export interface ExchangeRequest {
  /** IPv4 or IPv6 address of the authoritative server. */
  address: string;
  port: number;
  /** The complete query message, ID and 0x20-cased question already set. */
  query: Buffer;
  protocol: 'udp' | 'tcp';
  timeoutMs: number;
  /** A further check after ID and question matched (e.g. DNS cookies); false = keep waiting. */
  accept?: (reply: Buffer) => boolean;
}

/**
 * timeout: no acceptable reply in time; network: a socket error;
 * case-mismatch: a reply matched in everything but the question's letter case, so the server
 * does not echo 0x20 case (the caller retries without it and remembers);
 * tcp-limit: every upstream TCP connection the transport may open is in use (not tried).
 */
export type ExchangeFailure = 'timeout' | 'network' | 'case-mismatch' | 'tcp-limit';

/** Thrown by a transport when no acceptable reply came. Anything else thrown is a bug. */
export class ExchangeError extends Error {
  readonly kind: ExchangeFailure;
  constructor(kind: ExchangeFailure, message: string) {
    super(message);
    this.kind = kind;
    this.name = 'ExchangeError';
  }
}

/**
 * Sends one query to one server and resolves with the first reply that matches it
 * (source address and port, ID and question bytes: see replyMatches in src/dns/wire.ts)
 * and that `accept`, if given, accepts.
 * Replies that do not match are discarded while the transport keeps waiting; when the
 * timeout passes with no matching reply it rejects with ExchangeError('timeout').
 */
export interface UpstreamTransport {
  exchange(req: ExchangeRequest): Promise<Buffer>;
}

/** RFC 1035 §4.2.1 / RFC 7766 §5: a truncated UDP reply is asked again over TCP, same server. */
export function withTcpFallback(transport: UpstreamTransport): UpstreamTransport {
  return {
    async exchange(req: ExchangeRequest): Promise<Buffer> {
      const reply = await transport.exchange(req);
      const truncated = reply.length >= 4 && (reply[2]! & 0x02) !== 0;
      if (req.protocol !== 'udp' || !truncated) return reply;
      return transport.exchange({ ...req, protocol: 'tcp' });
    },
  };
}
