// The faulty and hostile corners of the simulated internet: lame, dead, truncating, spoofing, loops.

import type { RR } from '../../src/dns/message.ts';
import type { Builder } from './internet.ts';
import type { Faults } from './server.ts';
import { rr } from './zone.ts';

/** Apexes (or, for chains, query names) of the special cases, for tests to aim at. */
export interface SpecialZones {
  lame: string;
  oneDead: string;
  allDead: string;
  truncating: string;
  wrongId: string;
  wrongQuestion: string;
  servfail: string;
  upward: string;
  noAA: string;
  slow: string;
  poisoner: string;
  dname: string;
  /** Two zones whose NS names live in each other, without glue: unresolvable. */
  nsLoop: [string, string];
  cnameLoop: string;
  longChain: string;
  /** A zone delegated to 200 NS names under a zone that does not exist (NXNSAttack). */
  nxns: string;
}

export const POISON_ADDRESS = '127.66.6.6';
export const POISON_NS = 'ns.evil.example';
const LONG_CHAIN_LINKS = 14;
const NXNS_NAMES = 200;

/** A zone with two servers, the given faults, and a www name with its expected outcome. */
function faulty(b: Builder, apex: string, faults: [Faults, Faults], tag: string, rcode: 'NOERROR' | 'SERVFAIL' = 'NOERROR'): string {
  b.delegate(apex, faults);
  b.www(apex, [tag], rcode);
  return apex;
}

/** Records a poisoning server appends, aimed at a healthy victim zone and at the TLD above it. */
function poisonFor(victim: string): { answer: RR[]; authority: RR[]; additional: RR[] } {
  const tld = victim.slice(victim.indexOf('.') + 1);
  return {
    answer: [rr(`www.${victim}. 86400 A ${POISON_ADDRESS}`)],
    authority: [rr(`${victim}. 86400 NS ${POISON_NS}.`), rr(`${tld}. 86400 NS ${POISON_NS}.`)],
    additional: [
      rr(`${POISON_NS}. 86400 A ${POISON_ADDRESS}`),
      rr(`ns1.${victim}. 86400 A ${POISON_ADDRESS}`),
      rr(`a.root-servers.net. 86400 A ${POISON_ADDRESS}`),
    ],
  };
}

export function addSpecialZones(b: Builder): { special: SpecialZones; poison: { address: string; records: RR[] } } {
  const healthy = b.healthy;
  const victim = healthy[0]!;

  const truncating = faulty(b, 'truncating.test', [{ truncate: true }, { truncate: true }], 'tcp');
  // Larger than 1232 octets: needs TCP even from a well-behaved server (RFC 7766 §1).
  const chunk = 'x'.repeat(200);
  b.lines(truncating).push(`big TXT ${Array.from({ length: 8 }, () => `"${chunk}"`).join(' ')}`);
  b.add({ name: `big.${truncating}`, type: 'TXT', rcode: 'NOERROR', answerTypes: ['TXT'], rdata: [chunk.repeat(8)], tags: ['tcp'] });

  const poison = poisonFor(victim.apex);
  const poisoner = faulty(b, 'poisoner.test', [{ poison }, { poison }], 'poison');
  b.add({ name: POISON_NS, type: 'A', rcode: 'NXDOMAIN', answerTypes: [], tags: ['poison', 'nxdomain'] });

  const dname = faulty(b, 'dname.test', [{}, {}], 'dname');
  const target = healthy[1 % healthy.length]!;
  b.lines(dname).push(`legacy DNAME ${target.apex}.`);
  b.add({
    name: `www.legacy.${dname}`,
    type: 'A',
    rcode: 'NOERROR',
    answerTypes: ['DNAME', 'CNAME', ...target.www.map(() => 'A')],
    rdata: target.www,
    tags: ['dname'],
  });

  const special: SpecialZones = {
    lame: faulty(b, 'lame-server.test', [{ lame: true }, {}], 'lame'),
    oneDead: faulty(b, 'one-dead.test', [{ dead: true }, {}], 'dead'),
    allDead: faulty(b, 'all-dead.test', [{ dead: true }, { dead: true }], 'dead', 'SERVFAIL'),
    truncating,
    wrongId: faulty(b, 'wrong-id.test', [{ wrongId: true }, {}], 'wrong-id'),
    wrongQuestion: faulty(b, 'wrong-question.test', [{ wrongQuestion: true }, {}], 'wrong-question'),
    servfail: faulty(b, 'servfail.test', [{ servfail: true }, {}], 'servfail'),
    upward: faulty(b, 'upward-referral.example', [{ notAuth: 'upward' }, {}], 'upward-referral'),
    noAA: faulty(b, 'no-aa.example', [{ notAuth: 'noAA' }, {}], 'no-aa'),
    slow: faulty(b, 'slow-server.test', [{ delayMs: 3000 }, {}], 'slow'),
    poisoner,
    dname,
    nsLoop: nsLoop(b),
    cnameLoop: cnameLoop(b),
    longChain: longChain(b),
    nxns: nxns(b),
  };
  const records = [...poison.answer, ...poison.authority, ...poison.additional];
  return { special, poison: { address: POISON_ADDRESS, records } };
}

/** loop-a.net's NS is in loop-b.example and vice versa, with no glue anywhere: no way in. */
function nsLoop(b: Builder): [string, string] {
  const zones: [string, string] = ['loop-a.net', 'loop-b.example'];
  const ns = [`ns.${zones[1]}`, `ns.${zones[0]}`]; // zone k's NS name lives in the other zone
  const addresses = [b.serverAddress(), b.serverAddress()];
  zones.forEach((apex, k) => b.startZone(apex, [ns[k]!]));
  zones.forEach((apex, k) => {
    b.lines(apex.slice(apex.indexOf('.') + 1)).push(`${apex}. NS ${ns[k]}.`);
    b.lines(zones[1 - k]!).push(`${ns[k]}. A ${addresses[k]}`);
    b.plans.push({ name: ns[k]!, address: addresses[k]!, apexes: [apex], faults: {} });
    b.www(apex, ['ns-loop', 'glueless'], 'SERVFAIL');
  });
  return zones;
}

/** Two CNAMEs pointing at each other across zones. */
function cnameLoop(b: Builder): string {
  const [x, y] = [b.healthy[0]!.apex, b.healthy[b.healthy.length - 1]!.apex];
  b.lines(x).push(`cnloop.${x}. CNAME cnloop.${y}.`);
  b.lines(y).push(`cnloop.${y}. CNAME cnloop.${x}.`);
  b.add({ name: `cnloop.${x}`, type: 'A', rcode: 'SERVFAIL', tags: ['cname', 'cname-loop'] });
  return `cnloop.${x}`;
}

/** A chain of 14 CNAMEs, one per zone where there are enough zones: past any sane limit. */
function longChain(b: Builder): string {
  const names = Array.from({ length: LONG_CHAIN_LINKS }, (_, k) => `long${k}.${b.healthy[k % b.healthy.length]!.apex}`);
  const end = b.healthy[LONG_CHAIN_LINKS % b.healthy.length]!;
  names.forEach((n, k) => {
    const zone = n.slice(n.indexOf('.') + 1);
    b.lines(zone).push(`${n}. CNAME ${names[k + 1] ?? `www.${end.apex}`}.`);
  });
  b.add({ name: names[0]!, type: 'A', rcode: 'SERVFAIL', tags: ['cname', 'long-chain'] });
  return names[0]!;
}

/** nxns.test → 200 glue-less NS names under nxns-void.example, which is not delegated. */
function nxns(b: Builder): string {
  const apex = 'nxns.test';
  const parent = b.lines('test');
  for (let i = 0; i < NXNS_NAMES; i++) parent.push(`${apex}. NS n${i}.nxns-void.example.`);
  b.add({ name: `www.${apex}`, type: 'A', rcode: 'SERVFAIL', tags: ['nxns'] });
  b.add({ name: 'n0.nxns-void.example', type: 'A', rcode: 'NXDOMAIN', answerTypes: [], tags: ['nxns', 'nxdomain'] });
  return apex;
}
