// Generates a whole simulated internet from a seed: root, TLDs, second-level zones, faults, catalogue.

import type { RR } from '../../src/dns/message.ts';
import type { Faults } from './server.ts';
import { SimNetwork, SimServer } from './server.ts';
import { parseZone, type Zone } from './zone.ts';
import { seededRandom } from './random.ts';
import { addSpecialZones, type SpecialZones } from './internet-special.ts';
import { addSignedZones, signInternet, type Expected, type SignedInternet } from './internet-signed.ts';
import { addHostileZones, type HostileZones } from './internet-hostile.ts';

export interface RootHint {
  name: string;
  addresses: string[];
}

/** One test name and what a correct resolver answers for it. */
export interface CatalogueEntry {
  name: string;
  type: string;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';
  /** Types of the answer section in order (CNAME/DNAME chain first); [] for NODATA/NXDOMAIN. */
  answerTypes?: string[];
  /** Presentation rdata of the final RRset of `type` (names canonical, no trailing dot), any order. */
  rdata?: string[];
  /** Features the name exercises: glue, glueless, cname, wildcard, ent, nxdomain, nodata, lame… */
  tags: string[];
  /**
   * Signed internet only: what a validating resolver concludes (AD only on secure; bogus is
   * SERVFAIL with `ede`, when given) and the rcode a CD=1 query gets instead.
   */
  dnssec?: Expected & { cdRcode: CatalogueEntry['rcode'] };
}

export interface SimZone {
  zone: Zone;
  text: string;
  servers: SimServer[];
}

export interface Internet {
  network: SimNetwork;
  rootHints: RootHint[];
  catalogue: CatalogueEntry[];
  /** Every zone by apex, with its text (for debugging) and its servers. */
  zones: Map<string, SimZone>;
  /** Apexes and names of the special (faulty or hostile) cases. */
  special: SpecialZones;
  /** What the poisoning server injects: none of it may ever reach a cache. */
  poison: { address: string; records: RR[] };
  /** With `signed`: the root's DS (the trust anchor), as records and as zone-file text. */
  dnssec?: SignedInternet;
  /** With `hostile`: the zones that attack the resolver's upstream side (internet-hostile.ts). */
  hostile?: HostileZones;
}

export interface InternetOptions {
  seed?: number;
  /** Ordinary second-level zones (special zones come on top). */
  zones?: number;
  tlds?: string[];
  /** Sign the internet (internet-signed.ts): root, TLDs, most zones, plus one zone per failure. */
  signed?: boolean;
  /** Seconds since the epoch that signatures are valid around (default: the wall clock). */
  now?: number;
  /** Add the hostile zones (internet-hostile.ts): NRDelegation, DNAME loops, ghosts … */
  hostile?: boolean;
  /** Share of ordinary zones whose NS names live in another zone (no glue); default 0.25. */
  gluelessShare?: number;
  /** Signed internet: share of ordinary second-level zones that are signed; default 7 of 8. */
  signedShare?: number;
}

export const ROOT_ADDRESSES = ['127.53.0.1', '127.53.0.2', '127.53.0.3'];
/** Host data (A/AAAA of www, mail…) lives in 127.100/16 and 2001:db8::/32: no server there. */
const HOST_NET = '127.100';


interface ServerPlan {
  name: string;
  address: string;
  apexes: string[];
  faults: Faults;
}

/** Mutable state while the internet is being written as zone text. */
export class Builder {
  readonly random: () => number;
  readonly texts = new Map<string, string[]>();
  readonly plans: ServerPlan[] = [];
  readonly catalogue: CatalogueEntry[] = [];
  /** Zones delegated with glue, fit to host other zones' NS names. */
  readonly glueZones: string[] = [];
  /** Ordinary zones whose www name answers normally: targets for CNAME chains. */
  readonly healthy: { apex: string; www: string[] }[] = [];
  #nextServer = 0;
  #nextHost = 0;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Server addresses 127.53.2.1 upwards, skipping .0 and .255 in the last octet. */
  serverAddress(): string {
    const n = this.#nextServer++;
    return `127.53.${2 + Math.floor(n / 254)}.${(n % 254) + 1}`;
  }

  hostAddress(): string {
    const n = this.#nextHost++;
    return `${HOST_NET}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }

  lines(apex: string): string[] {
    const l = this.texts.get(apex);
    if (!l) throw new Error(`no zone ${apex}`);
    return l;
  }

  /** Starts a zone: origin, default TTL, SOA (RFC 2308 §4 minimum) and apex NS. */
  startZone(apex: string, nsNames: string[], minimum = 300): string[] {
    const l = [
      `$ORIGIN ${apex === '.' ? '.' : `${apex}.`}`,
      '$TTL 3600',
      `@ SOA ${nsNames[0]}. hostmaster.${apex === '.' ? '' : `${apex}.`} 2026010101 7200 900 1209600 ${minimum}`,
      ...nsNames.map((n) => `@ NS ${n}.`),
    ];
    this.texts.set(apex, l);
    return l;
  }

  /**
   * Creates a delegated zone with two servers. With `host` the NS names live in that other
   * zone and the parent holds no glue (a glue-less delegation); otherwise ns1/ns2 in the zone.
   */
  delegate(apex: string, faults: [Faults, Faults] = [{}, {}], host?: string): string[] {
    const parent = apex.slice(apex.indexOf('.') + 1);
    const label = apex.slice(0, apex.indexOf('.'));
    const addresses = [this.serverAddress(), this.serverAddress()];
    const nsNames = host ? [`ns1-${label}.${host}`, `ns2-${label}.${host}`] : [`ns1.${apex}`, `ns2.${apex}`];
    const zone = this.startZone(apex, nsNames);
    const parentLines = this.lines(parent);
    nsNames.forEach((ns, i) => {
      parentLines.push(`${apex}. NS ${ns}.`);
      if (host) this.lines(host).push(`${ns}. A ${addresses[i]}`);
      else {
        parentLines.push(`${ns}. A ${addresses[i]}`); // glue (RFC 1034 §4.2.1)
        zone.push(`${ns}. A ${addresses[i]}`);
      }
      this.plans.push({ name: ns, address: addresses[i]!, apexes: [apex], faults: faults[i]! });
    });
    if (!host) this.glueZones.push(apex);
    return zone;
  }

  /** A www name with 1–2 addresses, and its catalogue entry. */
  www(apex: string, tags: string[], rcode: CatalogueEntry['rcode'] = 'NOERROR'): string[] {
    const addrs = this.random() < 0.3 ? [this.hostAddress(), this.hostAddress()] : [this.hostAddress()];
    for (const a of addrs) this.lines(apex).push(`www A ${a}`);
    this.add({ name: `www.${apex}`, type: 'A', rcode, ...(rcode === 'NOERROR' ? { answerTypes: addrs.map(() => 'A'), rdata: addrs } : {}), tags });
    return addrs;
  }

  add(entry: CatalogueEntry): void {
    this.catalogue.push(entry);
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'do', 'fa', 'gu', 'hi', 'po', 'be'];

/** One ordinary second-level zone with hosts, mail, text, and maybe a wildcard or an ENT. */
function ordinaryZone(b: Builder, i: number, tlds: string[], gluelessShare: number): void {
  const label = `${b.pick(SYLLABLES)}${b.pick(SYLLABLES)}${i.toString(36)}`;
  const apex = `${label}.${b.pick(tlds)}`;
  const glueless = b.glueZones.length > 0 && b.random() < gluelessShare;
  const host = glueless ? b.pick(b.glueZones) : undefined;
  const z = b.delegate(apex, [{}, {}], host);
  const tag = glueless ? 'glueless' : 'glue';
  const ttl = b.pick([60, 300, 3600, 86400]);
  const www = b.www(apex, [tag]);
  const v6 = `2001:db8:${(i + 1).toString(16)}::80`;
  const mail = b.hostAddress();
  const txt = `v=spf1 ip4:${mail} -all`;
  z.push(`www ${ttl} AAAA ${v6}`, `mail A ${mail}`, '@ MX 10 mail', `@ TXT "${txt}"`);
  b.add({ name: `www.${apex}`, type: 'AAAA', rcode: 'NOERROR', answerTypes: ['AAAA'], rdata: [v6], tags: [tag] });
  b.add({ name: apex, type: 'MX', rcode: 'NOERROR', answerTypes: ['MX'], rdata: [`10 mail.${apex}`], tags: [tag, 'mx'] });
  b.add({ name: apex, type: 'TXT', rcode: 'NOERROR', answerTypes: ['TXT'], rdata: [txt], tags: [tag, 'txt'] });
  b.add({ name: `mail.${apex}`, type: 'A', rcode: 'NOERROR', answerTypes: ['A'], rdata: [mail], tags: [tag] });
  b.add({ name: `nx${Math.floor(b.random() * 1e6)}.${apex}`, type: 'A', rcode: 'NXDOMAIN', answerTypes: [], tags: [tag, 'nxdomain'] });
  b.add({ name: `www.${apex}`, type: 'TXT', rcode: 'NOERROR', answerTypes: [], tags: [tag, 'nodata'] });
  if (b.random() < 0.15) {
    // RFC 4592: any name below dyn.<zone> is synthesised from the wildcard, owner = the qname.
    const a = b.hostAddress();
    z.push(`*.dyn A ${a}`);
    b.add({ name: `h${Math.floor(b.random() * 1e6)}.dyn.${apex}`, type: 'A', rcode: 'NOERROR', answerTypes: ['A'], rdata: [a], tags: [tag, 'wildcard'] });
  }
  if (b.random() < 0.15) {
    // b.<zone> exists only because a.b.<zone> does: an empty non-terminal answers NODATA.
    const a = b.hostAddress();
    z.push(`a.b A ${a}`);
    b.add({ name: `b.${apex}`, type: 'A', rcode: 'NOERROR', answerTypes: [], tags: [tag, 'ent', 'nodata'] });
    b.add({ name: `a.b.${apex}`, type: 'A', rcode: 'NOERROR', answerTypes: ['A'], rdata: [a], tags: [tag, 'ent'] });
  }
  b.healthy.push({ apex, www });
}

/** CNAME chains of 1–3 links, each link in another zone (and often another TLD). */
function cnameChains(b: Builder, count: number): void {
  for (let c = 0; c < count && b.healthy.length >= 2; c++) {
    const links = 1 + Math.floor(b.random() * 3);
    const hops = Array.from({ length: links }, () => b.pick(b.healthy));
    const target = b.pick(b.healthy);
    const names = hops.map((h, k) => `cn${c}-${k}.${h.apex}`);
    names.forEach((n, k) => b.lines(hops[k]!.apex).push(`${n}. CNAME ${names[k + 1] ?? `www.${target.apex}`}.`));
    b.add({
      name: names[0]!,
      type: 'A',
      rcode: 'NOERROR',
      answerTypes: [...names.map(() => 'CNAME'), ...target.www.map(() => 'A')],
      rdata: target.www,
      tags: ['cname', `chain-${links}`],
    });
  }
}

/** Builds the internet. Deterministic: the same options always give the same zones and names. */
export function generateInternet(options: InternetOptions = {}): Internet {
  const seed = options.seed ?? 1;
  const tlds = [...new Set([...(options.tlds ?? ['com', 'net', 'org', 'test', 'example']), 'net', 'test', 'example'])];
  const b = new Builder(seed);

  const rootNames = ['a', 'b', 'c'].map((l) => `${l}.root-servers.net`);
  const root = b.startZone('.', rootNames, 86400);
  rootNames.forEach((n, i) => {
    root.push(`${n}. A ${ROOT_ADDRESSES[i]}`);
    b.plans.push({ name: n, address: ROOT_ADDRESSES[i]!, apexes: ['.', 'root-servers.net'], faults: {} });
  });
  tlds.forEach((tld, t) => {
    const ns = [`ns1.nic.${tld}`, `ns2.nic.${tld}`];
    const zone = b.startZone(tld, ns, 900);
    ns.forEach((n, k) => {
      const address = `127.53.1.${2 * t + k + 1}`;
      root.push(`${tld}. NS ${n}.`, `${n}. A ${address}`);
      zone.push(`${n}. A ${address}`);
      b.plans.push({ name: n, address, apexes: [tld], faults: {} });
    });
    b.add({ name: tld, type: 'NS', rcode: 'NOERROR', answerTypes: ['NS', 'NS'], rdata: ns, tags: ['tld'] });
  });
  // root-servers.net is served by the root servers themselves, as on the real internet.
  const rs = b.startZone('root-servers.net', rootNames);
  rootNames.forEach((n, i) => {
    rs.push(`${n}. A ${ROOT_ADDRESSES[i]}`);
    b.lines('net').push(`root-servers.net. NS ${n}.`, `${n}. A ${ROOT_ADDRESSES[i]}`);
  });

  for (let i = 0; i < (options.zones ?? 300); i++) ordinaryZone(b, i, tlds, options.gluelessShare ?? 0.25);
  cnameChains(b, Math.max(2, Math.floor((options.zones ?? 300) / 5)));
  const { special, poison } = addSpecialZones(b);
  const hostile = options.hostile ? addHostileZones(b) : undefined;
  const profiles = options.signed ? addSignedZones(b, options.signedShare) : undefined;

  const network = new SimNetwork();
  const zones = new Map<string, SimZone>();
  for (const [apex, lines] of b.texts) {
    const text = `${lines.join('\n')}\n`;
    zones.set(apex, { zone: parseZone(text), text, servers: [] });
  }
  const dnssec = profiles ? signInternet(zones, b.catalogue, profiles, options.now ?? Math.floor(Date.now() / 1000)) : undefined;
  for (const plan of b.plans) {
    const served = plan.apexes.map((a) => zones.get(a)!);
    const server = network.add(new SimServer({ name: plan.name, address: plan.address, zones: served.map((s) => s.zone), faults: plan.faults }));
    for (const s of served) s.servers.push(server);
  }
  const rootHints = rootNames.map((name, i) => ({ name, addresses: [ROOT_ADDRESSES[i]!] }));
  return { network, rootHints, catalogue: b.catalogue, zones, special, poison, ...(dnssec ? { dnssec } : {}), ...(hostile ? { hostile } : {}) };
}

/** The root hints in named.root format (what Unbound's root-hints option reads). */
export function rootHintsText(hints: RootHint[]): string {
  const owner = (n: string): string => n.padEnd(28);
  const lines = ['; simulated root hints (named.root format) for andns tests'];
  for (const h of hints) lines.push(`${owner('.')} 3600000 NS ${h.name}.`);
  for (const h of hints) {
    for (const a of h.addresses) lines.push(`${owner(`${h.name}.`)} 3600000 ${a.includes(':') ? 'AAAA' : 'A'} ${a}`);
  }
  return `${lines.join('\n')}\n`;
}
