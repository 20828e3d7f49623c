// Hostile corners of the simulated internet that attack the resolver's upstream side: a large
// delegation whose servers all give unusable referrals (NRDelegation), oversized RRsets, DNAME
// loops, a ghost domain, a forwarder that returns out-of-zone data, stray NS in authority
// sections. Opt-in (InternetOptions.hostile), so the ordinary catalogue stays as it was.

import type { RR } from '../../src/dns/message.ts';
import type { Builder, Internet } from './internet.ts';
import type { Poison } from './server.ts';
import { rr } from './zone.ts';

export interface HostileZones {
  /** Delegated to NRD_SERVERS glued servers that all answer with an upward referral. */
  nrDelegation: string;
  /** Delegated to more NS names than any sane RRset holds (limits.maxRecordsPerRRset). */
  hugeDelegation: string;
  /** A name whose A RRset is larger than limits.maxRecordsPerRRset. */
  hugeRRset: string;
  /** Zone with DNAMEs a→b and b→a: `x.a.<zone>` loops. */
  dnameLoop: string;
  /** A name under a DNAME whose target lies below its owner: every step grows the name. */
  dnameGrowth: string;
  /** A zone the test can revoke at its parent (revokeDelegation) while its servers stay up. */
  ghost: string;
  /** A forward zone's server, which appends out-of-zone records and CNAMEs out of its zone. */
  forward: { zone: string; address: string; cname: string; victim: string };
  /** A zone whose servers add stray NS RRsets (own apex, a child, the parent) to every reply. */
  strayNs: string;
  /** What the hostile servers inject; none of it may ever reach a cache. */
  injected: RR[];
}

export const NRD_SERVERS = 60;
export const HUGE_NS = 150;
export const HUGE_RRSET = 150;
export const EVIL_NS = 'ns.evil-hostile.example';
const EVIL_ADDRESS = '127.66.6.7';

export function addHostileZones(b: Builder): HostileZones {
  const victim = b.healthy[0]!;

  // NRDelegation (Afek et al., CVE-2022-2795-like): many glued servers, each one useless.
  const nrd = 'nrdelegation.test';
  const nrdNames = Array.from({ length: NRD_SERVERS }, (_, i) => `ns${i}.${nrd}`);
  const nrdZone = b.startZone(nrd, nrdNames);
  for (const ns of nrdNames) {
    const address = b.serverAddress();
    b.lines('test').push(`${nrd}. NS ${ns}.`, `${ns}. A ${address}`);
    nrdZone.push(`${ns}. A ${address}`);
    b.plans.push({ name: ns, address, apexes: [nrd], faults: { notAuth: 'upward' } });
  }
  nrdZone.push('www A 127.100.200.1');
  b.add({ name: `www.${nrd}`, type: 'A', rcode: 'SERVFAIL', tags: ['hostile', 'nrdelegation'] });

  // A delegation to 150 glue-less NS names: refused on sight, before any of them is looked up.
  const huge = 'hugedelegation.test';
  for (let i = 0; i < HUGE_NS; i++) b.lines('test').push(`${huge}. NS n${i}.nowhere-hostile.example.`);
  b.add({ name: `www.${huge}`, type: 'A', rcode: 'SERVFAIL', tags: ['hostile', 'huge-delegation'] });

  // Oversized RRset in an answer.
  const bigset = b.delegate('bigset.test');
  for (let i = 0; i < HUGE_RRSET; i++) bigset.push(`many A 127.100.${201 + Math.floor(i / 250)}.${(i % 250) + 1}`);
  b.add({ name: 'many.bigset.test', type: 'A', rcode: 'SERVFAIL', tags: ['hostile', 'huge-rrset'] });

  // DNAME loop and DNAME growth (RFC 6672 §2.3 forbids neither in a zone file; resolvers must cope).
  const loop = 'dname-loop.test';
  b.delegate(loop).push(`a DNAME b.${loop}.`, `b DNAME a.${loop}.`, `g DNAME x.g.${loop}.`);
  b.add({ name: `x.a.${loop}`, type: 'A', rcode: 'SERVFAIL', tags: ['hostile', 'dname-loop'] });
  b.add({ name: `y.g.${loop}`, type: 'A', rcode: 'SERVFAIL', tags: ['hostile', 'dname-growth'] });

  // Ghost domain (Jiang et al., NDSS 2012): its servers keep serving after the parent drops it.
  const ghost = 'ghost.test';
  b.delegate(ghost);
  b.www(ghost, ['hostile', 'ghost']);

  // A forwarder that adds out-of-zone answers, authority and glue, and CNAMEs out of its zone.
  const forwardZone = 'fwd-hostile.example';
  const forwardAddress = b.serverAddress();
  const fwd = b.startZone(forwardZone, [`ns.${forwardZone}`]);
  fwd.push(`ns A ${forwardAddress}`, 'www A 127.100.210.1', `alias CNAME www.${victim.apex}.`);
  const forwardInjected: Poison = {
    answer: [rr(`www.${victim.apex}. 86400 A ${EVIL_ADDRESS}`)],
    authority: [rr(`${victim.apex}. 86400 NS ${EVIL_NS}.`), rr(`example. 86400 NS ${EVIL_NS}.`)],
    additional: [rr(`${EVIL_NS}. 86400 A ${EVIL_ADDRESS}`), rr(`a.root-servers.net. 86400 A ${EVIL_ADDRESS}`)],
  };
  b.plans.push({ name: `ns.${forwardZone}`, address: forwardAddress, apexes: [forwardZone], faults: { poison: forwardInjected } });

  // Stray NS: the zone's own apex re-pointed, a child that is not delegated, and the parent.
  const stray = 'stray-ns.test';
  const strayInjected: Poison = {
    authority: [rr(`${stray}. 86400 NS ${EVIL_NS}.`), rr(`sub.${stray}. 86400 NS ${EVIL_NS}.`), rr(`test. 86400 NS ${EVIL_NS}.`)],
    additional: [rr(`${EVIL_NS}. 86400 A ${EVIL_ADDRESS}`)],
  };
  b.delegate(stray, [{ poison: strayInjected }, { poison: strayInjected }]).push('a.sub A 127.100.211.1');
  b.www(stray, ['hostile', 'stray-ns']);
  b.add({ name: `a.sub.${stray}`, type: 'A', rcode: 'NOERROR', answerTypes: ['A'], rdata: ['127.100.211.1'], tags: ['hostile', 'stray-ns'] });

  const injected = [forwardInjected, strayInjected].flatMap((p) => [...(p.answer ?? []), ...(p.authority ?? []), ...(p.additional ?? [])]);
  return {
    nrDelegation: nrd,
    hugeDelegation: huge,
    hugeRRset: 'many.bigset.test',
    dnameLoop: `x.a.${loop}`,
    dnameGrowth: `y.g.${loop}`,
    ghost,
    forward: { zone: forwardZone, address: forwardAddress, cname: `alias.${forwardZone}`, victim: `www.${victim.apex}` },
    strayNs: stray,
    injected,
  };
}

/**
 * Revokes `child`'s delegation at its parent (NS and glue gone) while the child's own servers
 * keep serving it: the first step of a ghost-domain attack. Each parent server gets a new zone
 * object, since the authority indexes zones by identity.
 */
export function revokeDelegation(internet: Internet, child: string): void {
  const parent = child.slice(child.indexOf('.') + 1);
  const sim = internet.zones.get(parent)!;
  const glue = new Set(sim.zone.records.filter((r) => r.name === child && r.type === 'NS').map((r) => r.data as string));
  const zone = { ...sim.zone, records: sim.zone.records.filter((r) => !(r.name === child && r.type === 'NS') && !(glue.has(r.name) && (r.type === 'A' || r.type === 'AAAA'))) };
  for (const server of sim.servers) {
    const i = server.zones.indexOf(sim.zone);
    if (i >= 0) server.zones[i] = zone;
  }
  sim.zone = zone;
}
