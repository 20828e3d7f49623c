// The signed variant of the simulated internet: a signed root (the trust anchor), signed and
// unsigned TLDs and second-level zones, one zone per validation failure, and the expected
// DNSSEC outcome (status, AD, EDE) of every catalogue name.

import { EdeCode } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { isSubdomain, labelCount, parentName, selfAndAncestors } from '../../src/dns/name.ts';
import { Alg } from '../../src/dnssec/constants.ts';
import type { Builder, CatalogueEntry, SimZone } from './internet.ts';
import { signZone, type SignOptions, type SignedZone } from './signer.ts';

export type Expected = { status: 'secure' | 'insecure' | 'bogus'; ede?: number };

/** How one zone is signed (or not), and what validation of a name in it must conclude. */
export interface Profile {
  sign?: Partial<SignOptions>;
  /** The parent's DS claims this algorithm (an unknown one: the zone is insecure, RFC 4035 §5.2). */
  dsAlgorithm?: number;
  /** The outcome for one catalogue entry of this zone; default: secure. */
  expect?: (entry: CatalogueEntry) => Expected;
}

/** The TLD left unsigned: everything below it is insecure, signed or not. */
export const UNSIGNED_TLD = 'example';

/** Second-level zones take these in turn: every algorithm andns validates, NSEC and NSEC3. */
const ORDINARY: (Profile | 'unsigned')[] = [
  { sign: { algorithm: Alg.ECDSAP256SHA256 } },
  { sign: { algorithm: Alg.RSASHA256, denial: { nsec3: {} } } },
  'unsigned',
  { sign: { algorithm: Alg.ED25519 } },
  { sign: { algorithm: Alg.ECDSAP384SHA384, denial: { nsec3: { salt: 'ab12', iterations: 5 } } } },
  { sign: { algorithm: Alg.ECDSAP256SHA256, csk: true, denial: { nsec3: {} } } },
  { sign: { algorithm: Alg.RSASHA512 } },
  { sign: { algorithm: Alg.ED448, denial: { nsec3: { iterations: 1 } } } },
];

const bogus = (ede: number): Profile['expect'] => () => ({ status: 'bogus', ede });
const negative = (e: CatalogueEntry): boolean => e.rcode === 'NXDOMAIN' || e.answerTypes?.length === 0;
/** Answers whose proof is a denial: negative answers and wildcard expansions (RFC 4035 §5.3.4). */
const denied = (e: CatalogueEntry): boolean => negative(e) || e.tags.includes('wildcard');

/** The zones that exercise one validation outcome each, under the signed TLD "test". */
const SPECIAL: Record<string, Profile> = {
  'rsasha1.test': { sign: { algorithm: Alg.RSASHA1 } },
  'rsasha1-nsec3.test': { sign: { algorithm: Alg.RSASHA1_NSEC3_SHA1, denial: { nsec3: {} } } },
  // RFC 5155 §6: an NXDOMAIN proven by an opt-out NSEC3 says nothing about unsigned delegations.
  'optout.test': {
    sign: { algorithm: Alg.ECDSAP256SHA256, denial: { nsec3: { optOut: true } } },
    expect: (e) => ({ status: e.rcode === 'NXDOMAIN' || e.tags.includes('wildcard') ? 'insecure' : 'secure' }),
  },
  // RFC 9276 §3.2: above 150 iterations, denial is insecure (EDE 27); positive answers stay secure.
  'nsec3-iter200.test': {
    sign: { algorithm: Alg.ECDSAP256SHA256, denial: { nsec3: { iterations: 200 } } },
    expect: (e) => (denied(e) ? { status: 'insecure', ede: EdeCode.UNSUPPORTED_NSEC3_ITERATIONS } : { status: 'secure' }),
  },
  'unknown-ds-alg.test': { sign: { algorithm: Alg.ECDSAP256SHA256 }, dsAlgorithm: 253, expect: () => ({ status: 'insecure' }) },
  'sig-expired.test': { sign: { faults: { expired: true } }, expect: bogus(EdeCode.SIGNATURE_EXPIRED) },
  'sig-not-yet.test': { sign: { faults: { notYetValid: true } }, expect: bogus(EdeCode.SIGNATURE_NOT_YET_VALID) },
  // Only the positive answer names the cause; a denial signed by a non-enclosing zone looks unsigned.
  'wrong-signer.test': {
    sign: { faults: { signerName: 'elsewhere.test' } },
    expect: (e) => (e.name === 'www.wrong-signer.test' && e.type === 'A' ? { status: 'bogus', ede: EdeCode.DNSSEC_BOGUS } : { status: 'bogus' }),
  },
  'ds-mismatch.test': { sign: { faults: { dsMismatch: true } }, expect: bogus(EdeCode.DNSKEY_MISSING) },
  'no-zsk.test': { sign: { faults: { dropDnskey: 'zsk' } }, expect: bogus(EdeCode.DNSKEY_MISSING) },
  'no-rrsig.test': {
    sign: { faults: { dropRrsig: ['www.no-rrsig.test/A'] } },
    expect: (e) => (e.name === 'www.no-rrsig.test' && e.type === 'A' ? { status: 'bogus', ede: EdeCode.RRSIGS_MISSING } : { status: 'secure' }),
  },
  'no-denial.test': {
    sign: { faults: { stripDenial: true } },
    expect: (e) => (denied(e) ? { status: 'bogus', ede: EdeCode.NSEC_MISSING } : { status: 'secure' }),
  },
  // KeyTrap (CVE-2023-50387): 60 keys sharing the ZSK's tag, 20 bogus RRSIGs per RRset.
  'keytrap.test': { sign: { algorithm: Alg.RSASHA256, faults: { keyTagFlood: { keys: 60, signatures: 20 } } }, expect: bogus(EdeCode.DNSSEC_BOGUS) },
};

/** Adds the special DNSSEC zones to the builder (after every other zone, so those stay as they were). */
export function addSignedZones(b: Builder, signedShare?: number): Map<string, Profile> {
  const profiles = new Map<string, Profile>();
  for (const [apex, profile] of Object.entries(SPECIAL)) {
    const zone = b.delegate(apex);
    b.www(apex, ['dnssec']);
    zone.push('*.wild TXT "synthesised"');
    b.add({ name: `nx.${apex}`, type: 'A', rcode: 'NXDOMAIN', answerTypes: [], tags: ['dnssec', 'nxdomain'] });
    b.add({ name: `www.${apex}`, type: 'TXT', rcode: 'NOERROR', answerTypes: [], tags: ['dnssec', 'nodata'] });
    b.add({ name: `any.wild.${apex}`, type: 'TXT', rcode: 'NOERROR', answerTypes: ['TXT'], rdata: ['synthesised'], tags: ['dnssec', 'wildcard'] });
    profiles.set(apex, profile);
  }
  const signedProfiles = ORDINARY.filter((p) => p !== 'unsigned');
  for (let i = 0; i < b.healthy.length; i++) {
    // With a share, zone i is signed when it carries the running count of signed zones past a
    // whole number (evenly spread), cycling through the signed profiles.
    const p = signedShare === undefined ? ORDINARY[i % ORDINARY.length]! : Math.floor((i + 1) * signedShare) > Math.floor(i * signedShare) ? signedProfiles[Math.floor(i * signedShare) % signedProfiles.length]! : 'unsigned';
    profiles.set(b.healthy[i]!.apex, p === 'unsigned' ? { expect: () => ({ status: 'insecure' }) } : p);
  }
  return profiles;
}

export interface SignedInternet {
  /** The root's DS records in zone-file form: the trust anchor. */
  trustAnchor: string;
  rootDs: RR[];
}

/**
 * Signs every zone from the leaves up so each parent carries its children's DS, replaces each
 * SimZone's records, and writes the expected DNSSEC outcome into each catalogue entry.
 * Zones without a profile (root, TLDs, the faulty corners) are signed with defaults, except
 * the unsigned TLD and the faulty zones, which stay unsigned (insecure delegations).
 */
export function signInternet(zones: Map<string, SimZone>, catalogue: CatalogueEntry[], profiles: Map<string, Profile>, now: number): SignedInternet {
  const apexes = [...zones.keys()];
  const tlds = new Set(apexes.filter((a) => labelCount(a) === 1));
  const signedApex = (a: string): boolean => a === '.' || (tlds.has(a) && a !== UNSIGNED_TLD) || (profiles.has(a) && profiles.get(a)!.sign !== undefined);
  const ds = new Map<string, RR[]>();
  for (const apex of [...apexes].sort((x, y) => labelCount(y) - labelCount(x))) {
    const sim = zones.get(apex)!;
    const childDs = apexes.filter((c) => c !== apex && parentOf(c, apexes) === apex).flatMap((c) => ds.get(c) ?? []);
    const zone = { apex, records: [...sim.zone.records, ...childDs] };
    if (!signedApex(apex)) {
      sim.zone.records = zone.records;
      continue;
    }
    const profile = profiles.get(apex);
    const signed: SignedZone = signZone(zone, { now, ...profile?.sign });
    sim.zone.records = signed.records;
    ds.set(apex, profile?.dsAlgorithm ? signed.ds.map((r) => ({ ...r, data: { ...(r.data as object), algorithm: profile.dsAlgorithm } }) as RR) : signed.ds);
  }
  const expect = (name: string, entry: CatalogueEntry): Expected => {
    const holder = deepestZone(name, apexes);
    for (const a of selfAndAncestors(holder)) if (!signedApex(a) || profiles.get(a)?.dsAlgorithm) return { status: 'insecure' };
    return profiles.get(holder)?.expect?.(entry) ?? { status: 'secure' };
  };
  for (const entry of catalogue) annotate(entry, chainNames(entry.name, zones, apexes).map((n) => expect(n, entry)));
  const rootDs = ds.get('.')!;
  const trustAnchor = rootDs.map((r) => dsText(r)).join('\n') + '\n';
  return { trustAnchor, rootDs };
}

/** Combines the outcomes along a CNAME chain: bogus wins, then insecure (RFC 4035 §5). */
function annotate(entry: CatalogueEntry, parts: Expected[]): void {
  if (entry.rcode === 'SERVFAIL') return; // fails for other reasons; no DNSSEC expectation
  const worst = parts.find((p) => p.status === 'bogus') ?? parts.find((p) => p.status === 'insecure') ?? { status: 'secure' as const };
  entry.dnssec = { ...worst, cdRcode: entry.rcode };
  if (worst.status === 'bogus') {
    entry.rcode = 'SERVFAIL';
    delete entry.answerTypes;
    delete entry.rdata;
  }
}

/** The names an answer for `name` passes through (CNAME and DNAME targets), read from the zones. */
function chainNames(name: string, zones: Map<string, SimZone>, apexes: string[]): string[] {
  const out = [name];
  let cur = name;
  for (let hop = 0; hop < 8; hop++) {
    const records = zones.get(deepestZone(cur, apexes))!.zone.records;
    const cname = records.find((r) => r.name === cur && r.type === 'CNAME');
    const dname = records.find((r) => r.type === 'DNAME' && r.name !== cur && isSubdomain(cur, r.name));
    if (cname) cur = cname.data as string;
    else if (dname) cur = `${cur.slice(0, cur.length - dname.name.length - 1)}.${dname.data as string}`;
    else break;
    out.push(cur);
  }
  return out;
}

function deepestZone(name: string, apexes: string[]): string {
  return selfAndAncestors(name).find((a) => apexes.includes(a)) ?? '.';
}

function parentOf(apex: string, apexes: string[]): string | undefined {
  for (let p = parentName(apex); p !== undefined; p = parentName(p)) if (apexes.includes(p)) return p;
  return undefined;
}

function dsText(r: RR): string {
  const d = r.data as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
  return `. 3600 IN DS ${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toString('hex').toUpperCase()}`;
}
