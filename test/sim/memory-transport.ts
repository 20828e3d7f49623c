// An UpstreamTransport over a SimNetwork in memory: no sockets, no waiting, same acceptance rules.

import { replyMatches, replyMatchesIgnoringCase } from '../../src/dns/wire.ts';
import type { ExchangeRequest, UpstreamTransport } from '../../src/resolver/upstream.ts';
import { ExchangeError } from '../../src/resolver/upstream.ts';
import type { Protocol } from './authority.ts';

/**
 * What the transport needs of a network: a server by address. SimNetwork is one; the scenario
 * corpus's scripted servers (test/scenarios) are another.
 */
export interface Reachable {
  get(address: string): { handle(query: Buffer, protocol: Protocol): Buffer | undefined; faults: { delayMs?: number } } | undefined;
}

export interface MemoryTransportOptions {
  /** When set, a query to any other port reaches nobody (times out), like a closed UDP port. */
  port?: number;
}

/**
 * Delivers each query to the server at its address. Where a socket transport would wait out
 * its timeout (nobody there, a dead server, a reply slower than the timeout, or a reply that
 * does not match the query: RFC 5452 §3), this one rejects with ExchangeError('timeout') at
 * once, so unit tests run in microseconds and assert query counts rather than timings.
 */
export class MemoryTransport implements UpstreamTransport {
  readonly #network: Reachable;
  readonly #port: number | undefined;
  /** Exchanges made, including those that timed out. */
  exchanges = 0;

  constructor(network: Reachable, options: MemoryTransportOptions = {}) {
    this.#network = network;
    this.#port = options.port;
  }

  async exchange(req: ExchangeRequest): Promise<Buffer> {
    this.exchanges++;
    const timeout = (why: string): ExchangeError =>
      new ExchangeError('timeout', `no reply from ${req.address}:${req.port} over ${req.protocol}: ${why}`);
    if (this.#port !== undefined && req.port !== this.#port) throw timeout('port closed');
    const server = this.#network.get(req.address);
    if (!server) throw timeout('no server at this address');
    // Copy the query: the server must not see later changes to the caller's buffer.
    const reply = server.handle(Buffer.from(req.query), req.protocol);
    if (!reply) throw timeout('server did not answer');
    if ((server.faults.delayMs ?? 0) >= req.timeoutMs) throw timeout('reply slower than the timeout');
    if (replyMatches(req.query, reply)) {
      if (!req.accept || req.accept(reply)) return reply;
      throw timeout('the reply failed the caller\'s check');
    }
    // Same rule as the socket transport: right ID and question but for letter case.
    if (replyMatchesIgnoringCase(req.query, reply)) throw new ExchangeError('case-mismatch', `${req.address} does not echo 0x20 case`);
    throw timeout('only non-matching replies arrived');
  }
}
