// DoH transport (RFC 8484): POST or GET of application/dns-message over HTTP/2 through undici, many streams per connection.

import { Client, errors } from 'undici';
import type { Sink } from '../stats/recorder.ts';
import type { QueryTable } from '../workload/query-table.ts';
import type { Transport, TransportOptions } from './transport.ts';

/** Streams per HTTP/2 connection; the server's SETTINGS_MAX_CONCURRENT_STREAMS may lower it. */
const STREAMS = 256;
const DNS_MESSAGE = 'application/dns-message';

/**
 * DoH matches replies to queries by stream, not by ID: RFC 8484 §4.1 asks for ID 0 so that
 * HTTP caches see identical requests, so the table's bytes (ID 0) go out as they are.
 * Each request costs a promise and a few objects: DoH is measured in tens of thousands of
 * requests per second, where that allocation is small beside HTTP/2 framing.
 */
export class DohTransport implements Transport {
  readonly #clients: Client[];
  readonly #o: TransportOptions;
  readonly #sink: Sink;
  readonly #table: QueryTable;
  readonly #path: string;
  #next = 0;
  #outstanding = 0;
  stray = 0;

  constructor(o: TransportOptions) {
    this.#o = o;
    this.#sink = o.sink;
    this.#table = o.table;
    this.#path = o.doh.path;
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    const origin = `${o.doh.scheme}://${host}:${o.port}`;
    this.#clients = Array.from(
      { length: o.channels },
      () =>
        new Client(origin, {
          allowH2: true,
          pipelining: STREAMS,
          h2Options: { maxConcurrentStreams: STREAMS, useH2c: o.doh.scheme === 'http' },
          connect: { rejectUnauthorized: !o.insecure, ...(o.serverName ? { servername: o.serverName } : {}), ...(o.localAddress ? { localAddress: o.localAddress } : {}) },
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.timeoutMs,
        }),
    );
  }

  static async open(o: TransportOptions): Promise<DohTransport> {
    return new DohTransport(o);
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  send(q: number, intendedMs: number): boolean {
    const client = this.#clients[this.#next]!;
    this.#next = (this.#next + 1) % this.#clients.length;
    const t = this.#table;
    const query = t.arena.subarray(t.offset[q]!, t.offset[q]! + t.length[q]!);
    this.#outstanding++;
    const request =
      this.#o.doh.method === 'POST'
        ? client.request({ path: this.#path, method: 'POST', headers: { 'content-type': DNS_MESSAGE, accept: DNS_MESSAGE }, body: query })
        : client.request({ path: `${this.#path}?dns=${query.toString('base64url')}`, method: 'GET', headers: { accept: DNS_MESSAGE } });
    request.then(
      async (res) => {
        const body = Buffer.from(await res.body.arrayBuffer());
        this.#outstanding--;
        if (res.statusCode !== 200) return this.#sink.onFailure(`http ${res.statusCode}`);
        if (body.length < 12) return this.#sink.onFailure('short dns-message');
        this.#sink.onAnswer(intendedMs, performance.now(), body[3]! & 0x0f, false);
      },
      (err: Error & { code?: string }) => {
        this.#outstanding--;
        if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError) this.#sink.onTimeout();
        else this.#sink.onFailure(`doh ${err.code ?? err.message}`);
      },
    );
    return true;
  }

  /** undici times requests out itself (headersTimeout/bodyTimeout). */
  expire(): void {}

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.destroy()));
  }
}
