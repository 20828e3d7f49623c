// A deliberately naive iterative resolver (no cache) that checks the generated catalogue is true.

import dnsPacket from 'dns-packet';
import type { RR } from '../../src/dns/message.ts';
import { isSubdomain } from '../../src/dns/name.ts';
import type { UpstreamTransport } from '../../src/resolver/upstream.ts';
import type { RootHint } from './internet.ts';
import { type DecodedReply, decodeReply } from './probe.ts';

export interface ReferenceAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';
  answers: RR[];
}

const MAX_CNAMES = 12;
const MAX_DEPTH = 4; // nested NS-address lookups
const MAX_REFERRALS = 10;

/**
 * Walks from the root for every query (RFC 1034 §5.3.3, minus the cache), trying each server
 * of a zone in turn over UDP, then TCP on TC=1. A reply counts only if it is an answer or a
 * referral strictly below the zone asked; anything else (REFUSED, SERVFAIL, upward
 * referral, timeout) moves on to the next server. Out-of-bailiwick data is ignored.
 * Not a model for andns: it exists to prove the simulated internet's catalogue right.
 */
export class ReferenceResolver {
  readonly #transport: UpstreamTransport;
  readonly #hints: RootHint[];
  readonly #port: number;
  #nextId = 1;

  constructor(transport: UpstreamTransport, hints: RootHint[], port = 53) {
    this.#transport = transport;
    this.#hints = hints;
    this.#port = port;
  }

  async resolve(name: string, type: string, depth = 0): Promise<ReferenceAnswer> {
    const fail: ReferenceAnswer = { rcode: 'SERVFAIL', answers: [] };
    const chain: RR[] = [];
    let qname = name;
    for (let cnames = 0; cnames <= MAX_CNAMES; cnames++) {
      const step = await this.#iterate(qname, type, depth);
      if (!step) return fail;
      // Keep only the chain that starts at qname: anything else in the answer is not ours.
      let owner = qname;
      for (;;) {
        const dname = step.answers.find((r) => r.type === 'DNAME' && isSubdomain(owner, r.name) && owner !== r.name);
        if (dname) chain.push(dname);
        const next = step.answers.find((r) => r.name === owner && (r.type === 'CNAME' || r.type === type));
        if (!next || next.type !== 'CNAME' || type === 'CNAME') break;
        chain.push(next);
        owner = next.data as string;
        if (chain.filter((r) => r.type === 'CNAME').length > MAX_CNAMES) return fail;
      }
      const final = step.answers.filter((r) => r.name === owner && r.type === type);
      if (final.length > 0 || owner === qname) {
        if (step.rcode === 'NXDOMAIN') return { rcode: 'NXDOMAIN', answers: chain };
        return { rcode: step.rcode === 'NOERROR' ? 'NOERROR' : 'SERVFAIL', answers: [...chain, ...final] };
      }
      if (step.rcode === 'NXDOMAIN') return { rcode: 'NXDOMAIN', answers: chain };
      qname = owner; // the chain left the zone: start again from the root for its target
    }
    return fail;
  }

  /** Root to answer for one name; undefined when no server gave a usable reply. */
  async #iterate(qname: string, type: string, depth: number): Promise<DecodedReply | undefined> {
    let cut = '.';
    let servers: { name: string; addresses: string[] }[] = this.#hints;
    for (let i = 0; i < MAX_REFERRALS; i++) {
      const reply = await this.#askZone(servers, cut, qname, type, depth);
      if (!reply) return undefined;
      const ns = reply.authorities.filter((r) => r.type === 'NS');
      if (reply.answers.length > 0 || reply.aa || reply.rcode !== 'NOERROR' || ns.length === 0) return reply;
      cut = ns[0]!.name;
      servers = ns.map((r) => ({
        name: r.data as string,
        addresses: reply.additionals.filter((g) => g.name === r.data && g.type === 'A').map((g) => g.data as string),
      }));
    }
    return undefined;
  }

  async #askZone(servers: { name: string; addresses: string[] }[], cut: string, qname: string, type: string, depth: number) {
    for (const s of servers) {
      let addresses = s.addresses;
      if (addresses.length === 0) {
        if (depth >= MAX_DEPTH) continue;
        const a = await this.resolve(s.name, 'A', depth + 1);
        addresses = a.answers.filter((r) => r.type === 'A').map((r) => r.data as string);
      }
      for (const address of addresses) {
        const reply = await this.#exchange(address, qname, type);
        if (!reply || !['NOERROR', 'NXDOMAIN'].includes(reply.rcode)) continue;
        const ns = reply.authorities.filter((r) => r.type === 'NS');
        const isReferral = !reply.aa && reply.answers.length === 0 && ns.length > 0;
        // A referral must lead strictly down, towards qname (else: lame, RFC 1034 §5.3.3 step 4).
        if (isReferral && !(isSubdomain(ns[0]!.name, cut) && ns[0]!.name !== cut && isSubdomain(qname, ns[0]!.name))) continue;
        return reply;
      }
    }
    return undefined;
  }

  async #exchange(address: string, qname: string, type: string): Promise<DecodedReply | undefined> {
    const query = dnsPacket.encode({
      type: 'query',
      id: this.#nextId++ & 0xffff,
      questions: [{ name: qname, type: type as 'A', class: 'IN' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as unknown as dnsPacket.Answer],
    });
    for (const protocol of ['udp', 'tcp'] as const) {
      try {
        const reply = decodeReply(await this.#transport.exchange({ address, port: this.#port, query, protocol, timeoutMs: 1000 }));
        if (!reply.tc) return reply;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}
