// Watches queries for the operator: the sampled query log (JSON lines), `--log-level debug`'s
// line per query, and dnstap. Front-ends test one flag (`active`) before anything else, so
// with all of it off a query costs one branch (PERFORMANCE.md: the hot path allocates nothing);
// with only the sampled query log on, an unpicked query costs one random number more.

import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DnstapConfig, QueryLogConfig } from '../config/control.ts';
import { Rcode } from '../dns/constants.ts';
import { typeName } from '../dns/message.ts';
import { peekQuery } from '../dns/wire.ts';
import type { ControlledLogger } from '../util/log.ts';
import { DnstapType, encodeDnstap, type DnstapTransport } from './dnstap-message.ts';
import { fileSink, socketSink, type FrameSink } from './frame-stream.ts';

/** Who sent a query, and where it arrived. */
export interface ClientInfo {
  address: string;
  port: number;
  transport: DnstapTransport;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
}

/** Where the answer came from: the hot tier, the shared record cache, a resolution, or andns itself (errors, CHAOS, limits). */
export type Tier = 'hot' | 'shared' | 'resolved' | 'local';

/** What pick() chose for one query, as bits: no object per query. */
export const Pick = { LOG: 1, SAMPLED: 2, TAP: 4 } as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));
const VERSION = Buffer.from('andns');

export class Observer {
  /** Anything to do per query: the one branch front-ends take. */
  active = false;
  private queryLog: QueryLogConfig;
  private readonly log: ControlledLogger;
  private readonly sinks: FrameSink[] = [];
  private readonly identity: Buffer | undefined;

  constructor(log: ControlledLogger, queryLog: QueryLogConfig, dnstap: DnstapConfig) {
    this.log = log;
    this.queryLog = queryLog;
    this.identity = dnstap.identity === '' ? undefined : Buffer.from(dnstap.identity);
    if (dnstap.file) this.sinks.push(fileSink(dnstap.file, log));
    if (dnstap.socket) this.sinks.push(socketSink(dnstap.socket, log));
    this.refresh();
  }

  /** A reload: the query log's settings and the log level may have changed. */
  configure(queryLog: QueryLogConfig): void {
    this.queryLog = queryLog;
    this.refresh();
  }

  refresh(): void {
    this.active = this.sinks.length > 0 || (this.queryLog.enabled && this.queryLog.sampleRate > 0) || this.log.enabled('debug');
  }

  /** Milliseconds on the monotonic clock: the start of a query's handling. */
  static now(): number {
    return performance.now();
  }

  /** dnstap frames dropped because the reader was slow or away. */
  get dnstapDropped(): number {
    return this.sinks.reduce((n, s) => n + s.dropped, 0);
  }

  /**
   * Whether this query is watched, decided before anything is built for it: 0 (most queries
   * when only the sampled query log is on), or Pick bits for note().
   */
  pick(): number {
    const sampled = this.queryLog.enabled && (this.queryLog.sampleRate >= 1 || Math.random() < this.queryLog.sampleRate);
    return (sampled ? Pick.LOG | Pick.SAMPLED : this.log.enabled('debug') ? Pick.LOG : 0) | (this.sinks.length > 0 ? Pick.TAP : 0);
  }

  /** One picked query and its reply (undefined: nothing was sent). `startMs` from Observer.now(). */
  note(picked: number, client: ClientInfo, query: Buffer, reply: Buffer | undefined, startMs: number, tier: Tier, ede?: number): void {
    const endMs = performance.now();
    if (picked & Pick.TAP) this.tap(client, query, reply, startMs, endMs);
    if (!(picked & Pick.LOG)) return;
    const peeked = peekQuery(query);
    const rcode = reply && reply.length >= 4 ? reply[3]! & 0x0f : undefined;
    const fields = {
      client: clientPrefix(client.address),
      transport: client.transport,
      qname: peeked.ok ? peeked.query.qname : undefined,
      qtype: peeked.ok ? typeName(peeked.query.qtype) : undefined,
      rcode: rcode === undefined ? 'none' : (RCODE_NAMES.get(rcode) ?? String(rcode)),
      tier,
      ms: Math.round((endMs - startMs) * 1000) / 1000,
      ...(ede === undefined ? {} : { ede }),
    };
    if (picked & Pick.SAMPLED) this.log.notice('query', fields);
    else this.log.debug('query', fields);
  }

  private tap(client: ClientInfo, query: Buffer, reply: Buffer | undefined, startMs: number, endMs: number): void {
    const origin = performance.timeOrigin;
    const base = { transport: client.transport, clientAddress: client.address, clientPort: client.port, serverAddress: client.serverAddress, serverPort: client.serverPort, queryTimeMs: origin + startMs, query };
    const frames = [encodeDnstap({ ...base, type: DnstapType.CLIENT_QUERY }, this.identity, VERSION)];
    if (reply) frames.push(encodeDnstap({ ...base, type: DnstapType.CLIENT_RESPONSE, responseTimeMs: origin + endMs, response: reply }, this.identity, VERSION));
    for (const sink of this.sinks) for (const f of frames) sink.write(f);
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}

/**
 * The client's network, not its address (privacy; RFC 8932 §5.2 recommends minimising what
 * a resolver keeps): IPv4 /24, IPv6 /56, the prefixes rate limits use too.
 */
export function clientPrefix(address: string): string {
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return clientPrefix(mapped[1]!);
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  const g = groups.map((x) => parseInt(x, 16) || 0);
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}:${g[2]!.toString(16)}:${(g[3]! & 0xff00).toString(16)}::/56`;
}
