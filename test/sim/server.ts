// Simulated authoritative servers with faults and query counters, and the network that holds them.

import { Rcode } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { parentName } from '../../src/dns/name.ts';
import { createHash } from 'node:crypto';
import { ednsOption, HEADER_SIZE } from '../../src/dns/wire.ts';
import type { Outcome, Protocol } from './authority.ts';
import { decide, encodeQuestion, encodeReply } from './authority.ts';
import type { Zone } from './zone.ts';

/** Records a poisoning server appends to every reply, by section. */
export interface Poison {
  answer?: RR[];
  authority?: RR[];
  additional?: RR[];
}

/** Misbehaviours seen on the real internet; tests may change them while a server runs. */
export interface Faults {
  /** Answers REFUSED to everything: a lame delegation (RFC 1912 §2.8). */
  lame?: boolean;
  /** Receives (and counts) queries but never answers. */
  dead?: boolean;
  /** Always TC=1 over UDP with empty sections; full replies over TCP (RFC 7766 §5). */
  truncate?: boolean;
  /** Replies with another ID: the resolver must discard it (RFC 5452 §3). */
  wrongId?: boolean;
  /** Replies with a question about another name (RFC 5452 §3). */
  wrongQuestion?: boolean;
  /** Appends out-of-bailiwick records that the resolver's scrubber must drop (RFC 2181 §5.4.1). */
  poison?: Poison;
  servfail?: boolean;
  /** 'noAA': answers without the AA bit; 'upward': referral to the root (old lame BIND). */
  notAuth?: 'noAA' | 'upward';
  /** Echoes the question in lower case: a server that breaks 0x20 case randomisation. */
  noCaseEcho?: boolean;
  /** Answers FORMERR to any query with an OPT record (pre-EDNS software, RFC 6891 §7). */
  ednsIntolerant?: boolean;
  /** Tampers with DNS cookies: 'wrongClient' echoes another client cookie, 'drop' sends none. */
  cookie?: 'wrongClient' | 'drop';
  /** Delay before the reply leaves (socket host; the memory transport times out if ≥ timeout). */
  delayMs?: number;
}

export interface QueryLogEntry {
  /** The query name exactly as received (0x20 case kept, no trailing dot; "." for the root). */
  qname: string;
  qtype: number;
  protocol: Protocol;
  /** The DNS COOKIE option data received, hex (RFC 7873), if any. */
  cookie?: string;
}

export interface SimServerOptions {
  name: string;
  address: string;
  zones: Zone[];
  faults?: Faults;
  /** Answers DNS cookies (RFC 7873 §5.2): echoes the client cookie with a server cookie. */
  cookies?: boolean;
}

/** The query name as sent, case kept; undefined if it is compressed or malformed. */
function rawQname(query: Buffer): string | undefined {
  const parts: string[] = [];
  let pos = HEADER_SIZE;
  while (pos < query.length) {
    const len = query[pos]!;
    if (len === 0) return parts.length === 0 ? '.' : parts.join('.');
    if (len > 63 || pos + 1 + len > query.length) return undefined;
    parts.push(query.toString('latin1', pos + 1, pos + 1 + len));
    pos += len + 1;
  }
  return undefined;
}

const OPT_COOKIE = 10;

function safeOption(query: Buffer, code: number): Buffer | undefined {
  try {
    return ednsOption(query, code);
  } catch {
    return undefined;
  }
}

export class SimServer {
  readonly name: string;
  readonly address: string;
  readonly zones: Zone[];
  faults: Faults;
  cookies: boolean;
  queries = 0;
  udp = 0;
  tcp = 0;
  log: QueryLogEntry[] = [];

  constructor(options: SimServerOptions) {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.address)) {
      throw new Error(`SimServer ${options.name}: address ${options.address} is not in 127.0.0.0/8`);
    }
    this.name = options.name;
    this.address = options.address;
    this.zones = options.zones;
    this.faults = options.faults ?? {};
    this.cookies = options.cookies ?? false;
  }

  /** Handles one query; undefined means no reply leaves the server. Never throws on bad input. */
  handle(query: Buffer, protocol: Protocol): Buffer | undefined {
    this.queries++;
    if (protocol === 'udp') this.udp++;
    else this.tcp++;
    const f = this.faults;
    const d = decide(this.zones, query);
    const clientCookie = safeOption(query, OPT_COOKIE);
    if (d.kind === 'reply') {
      this.log.push({ qname: rawQname(query) ?? d.view.qname, qtype: d.view.qtype, protocol, ...(clientCookie ? { cookie: clientCookie.toString('hex') } : {}) });
    }
    if (f.dead || d.kind === 'drop') return undefined;
    if (d.kind === 'raw') return d.bytes;

    const { view } = d;
    let outcome: Outcome = d.outcome;
    const empty = (rcode: number): Outcome => ({ rcode, aa: false, answer: [], authority: [], additional: [] });
    if (f.ednsIntolerant && view.edns) {
      const reply = encodeReply(query, { ...view, edns: undefined }, empty(Rcode.FORMERR), protocol);
      return reply;
    }
    if (f.lame) outcome = empty(Rcode.REFUSED);
    else if (f.servfail) outcome = empty(Rcode.SERVFAIL);
    else if (f.notAuth === 'noAA') outcome = { ...outcome, aa: false };
    else if (f.notAuth === 'upward') {
      outcome = {
        rcode: Rcode.NOERROR,
        aa: false,
        answer: [],
        authority: [{ name: '.', type: 'NS', class: 'IN', ttl: 3600, data: this.name }],
        additional: [{ name: this.name, type: 'A', class: 'IN', ttl: 3600, data: this.address }],
      };
    }
    if (f.poison) {
      outcome = {
        ...outcome,
        answer: [...outcome.answer, ...(f.poison.answer ?? [])],
        authority: [...outcome.authority, ...(f.poison.authority ?? [])],
        additional: [...outcome.additional, ...(f.poison.additional ?? [])],
      };
    }
    const question = f.wrongQuestion
      ? encodeQuestion(parentName(view.qname) ?? 'wrong-question', view.qtype, view.qclass)
      : f.noCaseEcho
        ? encodeQuestion(view.qname, view.qtype, view.qclass)
        : undefined;
    const cookie = this.cookies && clientCookie && clientCookie.length >= 8 && f.cookie !== 'drop' ? this.cookieReply(clientCookie) : undefined;
    const reply = encodeReply(query, view, outcome, protocol, {
      forceTruncate: f.truncate === true && protocol === 'udp',
      ...(question ? { question } : {}),
      ...(cookie ? { ednsOptions: [{ code: OPT_COOKIE, data: cookie }] } : {}),
    });
    if (f.wrongId) reply.writeUInt16BE((view.id + 1) & 0xffff, 0);
    return reply;
  }

  /** Client cookie back plus an 8-octet server cookie derived from it (RFC 7873 §4.2). */
  private cookieReply(clientCookie: Buffer): Buffer {
    const client = Buffer.from(clientCookie.subarray(0, 8));
    if (this.faults.cookie === 'wrongClient') client[0] = client[0]! ^ 0xff;
    const server = createHash('sha256').update(this.address).update(client).digest().subarray(0, 8);
    return Buffer.concat([client, server]);
  }

  reset(): void {
    this.queries = 0;
    this.udp = 0;
    this.tcp = 0;
    this.log = [];
  }
}

export interface Totals {
  queries: number;
  udp: number;
  tcp: number;
}

/** Address → server: the whole simulated internet as the transports see it. */
export class SimNetwork {
  readonly #byAddress = new Map<string, SimServer>();

  add(server: SimServer): SimServer {
    if (this.#byAddress.has(server.address)) throw new Error(`address ${server.address} is already taken`);
    this.#byAddress.set(server.address, server);
    return server;
  }

  get(address: string): SimServer | undefined {
    return this.#byAddress.get(address);
  }

  servers(): SimServer[] {
    return [...this.#byAddress.values()];
  }

  /** The first server called `name` (a host name such as ns1.example.com). */
  byName(name: string): SimServer | undefined {
    return this.servers().find((s) => s.name === name);
  }

  totals(): Totals {
    const t: Totals = { queries: 0, udp: 0, tcp: 0 };
    for (const s of this.#byAddress.values()) {
      t.queries += s.queries;
      t.udp += s.udp;
      t.tcp += s.tcp;
    }
    return t;
  }

  reset(): void {
    for (const s of this.#byAddress.values()) s.reset();
  }
}
