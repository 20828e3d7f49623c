// The contract between the load engine and a DNS transport (UDP, TCP, DoT, DoH).

import type { Sink } from '../stats/recorder.ts';
import type { QueryTable } from '../workload/query-table.ts';

export type TransportName = 'udp' | 'tcp' | 'dot' | 'doh';

export interface Transport {
  /**
   * Sends workload query `q`; `intendedMs` is when the schedule wanted it to leave
   * (performance.now() time base). False when the transport has no room for it now
   * (every ID of every channel in flight, or no connection up): the caller counts it as unsent.
   */
  send(q: number, intendedMs: number): boolean;
  /** Reports overdue queries as timeouts; the engine calls it every few tens of milliseconds. */
  expire(nowMs: number): void;
  readonly outstanding: number;
  /** Replies that matched no outstanding query (late, duplicated, or with another question). */
  readonly stray: number;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  port: number;
  table: QueryTable;
  sink: Sink;
  timeoutMs: number;
  /** UDP sockets, or TCP/TLS connections, or HTTP/2 connections. */
  channels: number;
  /** TLS (DoT, DoH): accept a self-signed or otherwise unverifiable certificate. */
  insecure: boolean;
  /** TLS server name to send and verify; defaults to the host. */
  serverName?: string;
  doh: { path: string; method: 'POST' | 'GET'; scheme: 'https' | 'http' };
  /** Source address to send from (a loopback address): the attack suite's attacker and outsider. */
  localAddress?: string;
}

/** A reply's question bytes [12, questionEnd) must equal those of the query sent under its ID. */
export function sameQuestion(reply: Buffer, start: number, length: number, table: QueryTable, q: number): boolean {
  const off = table.offset[q]!;
  const end = table.questionEnd[q]!;
  if (length < end) return false;
  return reply.compare(table.arena, off + 12, off + end, start + 12, start + end) === 0;
}

/** Only loopback targets: this tool must never load a server on someone else's network. */
export function assertLoopback(host: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== '::1' && host !== 'localhost') {
    throw new Error(`--server ${host}: only loopback addresses (127.0.0.0/8, ::1) may be loaded from here`);
  }
}
