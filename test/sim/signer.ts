// Signs simulated zones with node:crypto (any andns algorithm, NSEC or NSEC3) and breaks them on request.

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { RR } from '../../src/dns/message.ts';
import { packetTypeString, typeNumber } from '../../src/dns/message.ts';
import { isSubdomain, labelCount, parentName, selfAndAncestors } from '../../src/dns/name.ts';
import { compareNames, dsDigest, keyTag, nameWire, signedData, type DnskeyData, type RrsigData } from '../../src/dnssec/canonical.ts';
import { Alg, KeyFlag, T } from '../../src/dnssec/constants.ts';
import { base32hexEncode } from '../../src/dns/base32hex.ts';
import { DNSSEC_TYPES, dnssecRecord, logicalRecords, splitRecord } from '../../src/dnssec/presentation.ts';
import { parseZone, type Zone } from './zone.ts';

export interface SigningKey {
  algorithm: number;
  flags: number;
  dnskey: DnskeyData;
  tag: number;
  privateKey: KeyObject;
}

/** Ways to break a signed zone, one per validator failure the tests must see. */
export interface Faults {
  /** Every RRSIG expired two days before `now`. */
  expired?: boolean;
  /** Every RRSIG's inception two days after `now`. */
  notYetValid?: boolean;
  /** RRSIGs over non-DNSKEY data claim this signer (the signature is made over that claim). */
  signerName?: string;
  /** The DS handed to the parent matches no key (digest flipped). */
  dsMismatch?: boolean;
  /** RRsets whose RRSIGs are removed, as "name/TYPE" strings. */
  dropRrsig?: string[];
  /** Removes this key from the DNSKEY RRset (its signatures stay). */
  dropDnskey?: 'zsk' | 'ksk';
  /** Removes every NSEC/NSEC3 record and its RRSIGs. */
  stripDenial?: boolean;
  /**
   * KeyTrap: `keys` extra DNSKEYs sharing the ZSK's tag and algorithm (RSA only: any modulus
   * imports, so each costs a real verification), and `signatures` bogus RRSIGs with that tag
   * over every data RRset.
   */
  keyTagFlood?: { keys: number; signatures: number };
}

export interface SignOptions {
  /** Seconds since the epoch; signatures run from now − 1 h to now + 30 days unless overridden. */
  now: number;
  algorithm?: number;
  /** One combined key (CSK) instead of a KSK + ZSK pair. */
  csk?: boolean;
  /** Which cached key pair to use; different values give different keys. */
  keySet?: number;
  denial?: 'nsec' | { nsec3: { iterations?: number; salt?: string; optOut?: boolean } };
  inception?: number;
  expiration?: number;
  faults?: Faults;
}

export interface SignedZone extends Zone {
  /** DS records (SHA-256) for the parent, one per KSK. */
  ds: RR[];
  keys: SigningKey[];
}

const keyCache = new Map<string, SigningKey>();

/** A key pair per (algorithm, role, set), generated once per process: RSA generation is slow. */
export function signingKey(algorithm: number, ksk: boolean, keySet = 0): SigningKey {
  const id = `${algorithm}:${ksk}:${keySet}`;
  const cached = keyCache.get(id);
  if (cached) return cached;
  const flags = KeyFlag.ZONE | (ksk ? KeyFlag.SEP : 0);
  const { publicKey, privateKey } = generate(algorithm);
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  let key: Buffer;
  if (jwk.kty === 'RSA') {
    const e = raw(jwk.e);
    key = Buffer.concat([Buffer.from([e.length]), e, raw(jwk.n)]); // RFC 3110 §2
  } else if (jwk.kty === 'EC') key = Buffer.concat([raw(jwk.x), raw(jwk.y)]); // RFC 6605 §4
  else key = raw(jwk.x); // RFC 8080 §3
  const dnskey = { flags, algorithm, key };
  const k = { algorithm, flags, dnskey, tag: keyTag(dnskey), privateKey };
  keyCache.set(id, k);
  return k;
}

function generate(algorithm: number): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (algorithm) {
    case Alg.RSASHA1:
    case Alg.RSASHA1_NSEC3_SHA1:
    case Alg.RSASHA256:
    case Alg.RSASHA512:
      return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    case Alg.ECDSAP256SHA256:
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case Alg.ECDSAP384SHA384:
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case Alg.ED25519:
      return generateKeyPairSync('ed25519');
    case Alg.ED448:
      return generateKeyPairSync('ed448');
    default:
      throw new Error(`signer: algorithm ${algorithm} not supported`);
  }
}

const HASH: Record<number, string | null> = { 5: 'sha1', 7: 'sha1', 8: 'sha256', 10: 'sha512', 13: 'sha256', 14: 'sha384', 15: null, 16: null };

function rawSign(k: SigningKey, data: Buffer): Buffer {
  const hash = HASH[k.algorithm] ?? null;
  if (k.algorithm === Alg.ECDSAP256SHA256 || k.algorithm === Alg.ECDSAP384SHA384) {
    return sign(hash, data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  }
  return sign(hash, data, k.privateKey);
}

function typeOf(rr: RR): number {
  return typeNumber(rr.type) ?? 0;
}

function ttlOf(rr: RR): number {
  return 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
}

/** Makes one RRSIG over `records` (one RRset) with key `k`. */
export function makeRrsig(records: RR[], signer: string, k: SigningKey, inception: number, expiration: number): RR {
  const first = records[0]!;
  const owner = first.name;
  const wildcard = owner.startsWith('*.') ? 1 : 0; // RFC 4034 §3.1.3: "*" is not counted
  const sig: RrsigData = {
    typeCovered: first.type,
    algorithm: k.algorithm,
    labels: labelCount(owner) - wildcard,
    originalTTL: ttlOf(first),
    expiration: expiration >>> 0,
    inception: inception >>> 0,
    keyTag: k.tag,
    signersName: signer,
    signature: Buffer.alloc(0),
  };
  sig.signature = rawSign(k, signedData(sig, owner, records));
  return { name: owner, type: 'RRSIG', ttl: ttlOf(first), class: 'IN', data: sig };
}

/** NSEC3 hash (RFC 5155 §5) for the signer; the validator has its own, budgeted copy. */
export function nsec3HashName(name: string, salt: Buffer, iterations: number): string {
  let h = createHash('sha1').update(nameWire(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash('sha1').update(h).update(salt).digest();
  return base32hexEncode(h);
}

interface Node {
  name: string;
  types: Set<number>;
}

/** Signs `zone`: DNSKEYs, RRSIGs over authoritative RRsets, an NSEC or NSEC3 chain, DS for the parent. */
export function signZone(zone: Zone, options: SignOptions): SignedZone {
  const algorithm = options.algorithm ?? Alg.ECDSAP256SHA256;
  const f = options.faults ?? {};
  // Faulty windows lie days away from now: validators allow clock skew (andns 5 min, Unbound
  // up to a day: 10 % of the validity period), and every one of them must see the fault.
  const inception = options.inception ?? (f.notYetValid ? options.now + 2 * 86400 : f.expired ? options.now - 31 * 86400 : options.now - 3600);
  const expiration = options.expiration ?? (f.expired ? options.now - 2 * 86400 : options.now + 30 * 86400);
  const ksk = signingKey(algorithm, true, options.keySet);
  const zsk = options.csk ? ksk : signingKey(algorithm, false, options.keySet);
  const keys = options.csk ? [ksk] : [ksk, zsk];
  const apex = zone.apex;
  const soa = zone.records.find((r) => r.type === 'SOA' && r.name === apex);
  const minimum = soa ? Math.min(ttlOf(soa), (soa.data as { minimum?: number }).minimum ?? 3600) : 3600;

  // Delegation points: NS owners below the apex. Names under them are glue: neither signed nor chained.
  const cuts = new Set(zone.records.filter((r) => r.type === 'NS' && r.name !== apex).map((r) => r.name));
  const underCut = (n: string): boolean => selfAndAncestors(n).some((a) => a !== n && cuts.has(a));
  // DS stays (it is the parent's data); DNSKEY, RRSIG and denial records are made afresh.
  const data = zone.records.filter((r) => isSubdomain(r.name, apex) && !underCut(r.name) && (r.type === 'DS' || !DNSSEC_TYPES.has(r.type)));

  const dnskeyTtl = soa ? ttlOf(soa) : 3600;
  let dnskeys: RR[] = keys.map((k) => ({ name: apex, type: 'DNSKEY', ttl: dnskeyTtl, class: 'IN', data: k.dnskey }) as RR);
  const flood = f.keyTagFlood ? floodKeys(zsk, f.keyTagFlood.keys) : [];
  dnskeys = [...flood.map((d) => ({ name: apex, type: 'DNSKEY', ttl: dnskeyTtl, class: 'IN', data: d }) as RR), ...dnskeys];

  if (f.dropDnskey) {
    // The published DNSKEY RRset lacks the key (and is signed that way); its signatures elsewhere stay.
    const drop = f.dropDnskey === 'zsk' ? zsk : ksk;
    dnskeys = dnskeys.filter((r) => (r.data as DnskeyData).key !== drop.dnskey.key);
  }

  const nodes = new Map<string, Node>();
  for (const r of data) {
    const node = nodes.get(r.name) ?? { name: r.name, types: new Set<number>() };
    node.types.add(typeOf(r));
    nodes.set(r.name, node);
  }
  nodes.get(apex)?.types.add(T.DNSKEY);

  let denial: RR[] = [];
  if (options.denial === undefined || options.denial === 'nsec') denial = nsecChain(nodes, minimum);
  else denial = nsec3Chain(apex, nodes, cuts, minimum, options.denial.nsec3);

  // Group every RRset to sign: authoritative data (not delegation NS), DNSKEY, denial records.
  const sets = new Map<string, RR[]>();
  for (const r of [...data, ...dnskeys, ...denial]) {
    const k = `${r.name}/${r.type}`;
    sets.set(k, [...(sets.get(k) ?? []), r]);
  }
  const sigs: RR[] = [];
  for (const [k, rrs] of sets) {
    const [name] = k.split('/') as [string];
    const type = typeOf(rrs[0]!);
    if (type === T.NS && cuts.has(name)) continue; // RFC 4035 §2.2: delegation NS is not signed
    if (f.dropRrsig?.includes(`${name}/${rrs[0]!.type}`)) continue;
    if (f.stripDenial && (type === T.NSEC || type === T.NSEC3)) continue;
    const signers = type === T.DNSKEY ? [ksk] : [zsk]; // a CSK is both
    const signerName = type !== T.DNSKEY && f.signerName ? f.signerName : apex;
    if (f.keyTagFlood && type !== T.DNSKEY) {
      for (let i = 0; i < f.keyTagFlood.signatures; i++) sigs.push(bogusRrsig(makeRrsig(rrs, signerName, zsk, inception, expiration), i));
    }
    for (const s of signers) sigs.push(makeRrsig(rrs, signerName, s, inception, expiration));
  }

  if (f.stripDenial) denial = [];

  const ds = [ksk].map((k) => makeDs(apex, k, f.dsMismatch ?? false));
  return { apex, records: [...data, ...dnskeys, ...denial, ...sigs, ...glue(zone, cuts)], ds, keys };
}

/** Glue: records below a delegation point stay in the zone unsigned (RFC 4035 §2.2). */
function glue(zone: Zone, cuts: Set<string>): RR[] {
  return zone.records.filter((r) => [...cuts].some((c) => r.name !== c && isSubdomain(r.name, c)));
}

export function makeDs(owner: string, k: SigningKey, broken = false): RR {
  const digest = dsDigest(owner, k.dnskey, 2)!;
  if (broken) digest[0] = digest[0]! ^ 0xff;
  return { name: owner, type: 'DS', ttl: 3600, class: 'IN', data: { keyTag: k.tag, algorithm: k.algorithm, digestType: 2, digest } };
}

/** RSA keys whose key tag equals `k`'s: move one unit between two modulus octets of equal parity. */
function floodKeys(k: SigningKey, count: number): DnskeyData[] {
  if (k.algorithm !== Alg.RSASHA256 && k.algorithm !== Alg.RSASHA512) throw new Error('keyTagFlood needs an RSA zone (8 or 10)');
  const out: DnskeyData[] = [];
  const base = k.dnskey.key;
  const start = 1 + base[0]! + 8; // past the exponent and the modulus's top octets
  for (let i = 0; out.length < count; i++) {
    const key = Buffer.from(base);
    const a = start + 2 * (i % 100);
    const b = a + 2 * (1 + Math.floor(i / 100));
    if (b >= key.length || key[a] === 255 || key[b] === 0) continue;
    key[a]! += 1;
    key[b]! -= 1;
    out.push({ flags: k.dnskey.flags, algorithm: k.algorithm, key });
  }
  return out;
}

function bogusRrsig(real: RR, i: number): RR {
  const d = real.data as RrsigData;
  const signature = Buffer.from(d.signature);
  signature[i % signature.length]! ^= 0x5a;
  return { ...real, data: { ...d, signature } } as RR;
}

/** Names that must appear in a denial chain: owners (not glue) plus empty non-terminals. */
function chainNames(apex: string, nodes: Map<string, Node>): Map<string, Node> {
  const all = new Map(nodes);
  for (const n of nodes.keys()) {
    for (let p = parentName(n); p !== undefined && isSubdomain(p, apex) && p !== apex; p = parentName(p)) {
      if (!all.has(p)) all.set(p, { name: p, types: new Set() });
    }
  }
  return all;
}

function bitmap(types: Iterable<number>): string[] {
  return [...new Set(types)].sort((a, b) => a - b).map(packetTypeString);
}

function nsecChain(nodes: Map<string, Node>, ttl: number): RR[] {
  // RFC 4035 §2.3: NSEC chains only names that own data (empty non-terminals have none).
  const names = [...nodes.keys()].sort(compareNames);
  return names.map((name, i) => {
    // RRSIG is always present: the NSEC itself is signed, even at an unsigned delegation.
    const types = [...nodes.get(name)!.types, T.NSEC, T.RRSIG];
    return { name, type: 'NSEC', ttl, class: 'IN', data: { nextDomain: names[(i + 1) % names.length]!, rrtypes: bitmap(types) } } as RR;
  });
}

function nsec3Chain(
  apex: string,
  nodes: Map<string, Node>,
  cuts: Set<string>,
  ttl: number,
  p: { iterations?: number; salt?: string; optOut?: boolean },
): RR[] {
  const salt = Buffer.from(p.salt ?? '', 'hex');
  const iterations = p.iterations ?? 0;
  const optOut = p.optOut ?? false;
  nodes.get(apex)?.types.add(51); // NSEC3PARAM
  const all = chainNames(apex, nodes);
  const entries: { hash: string; node: Node }[] = [];
  for (const node of all.values()) {
    // RFC 5155 §7.1: with opt-out, insecure delegations (no DS) get no NSEC3.
    if (optOut && cuts.has(node.name) && !node.types.has(T.DS)) continue;
    entries.push({ hash: nsec3HashName(node.name, salt, iterations), node });
  }
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.hash), Buffer.from(b.hash)));
  const records: RR[] = entries.map((e, i) => {
    const types = [...e.node.types];
    // RRSIG bit: the original name has signed RRsets (not an ENT, not an unsigned delegation).
    const signed = types.length > 0 && !(cuts.has(e.node.name) && !e.node.types.has(T.DS));
    if (signed) types.push(T.RRSIG);
    const next = entries[(i + 1) % entries.length]!.hash;
    return dnssecRecord(`${e.hash}.${apex === '.' ? '' : apex}`.replace(/\.$/, ''), ttl, 'NSEC3', [
      '1',
      optOut ? '1' : '0',
      String(iterations),
      salt.length ? salt.toString('hex') : '-',
      next,
      ...bitmap(types),
    ]);
  });
  const param = Buffer.concat([Buffer.from([1, 0, iterations >> 8, iterations & 255, salt.length]), salt]);
  records.push({ name: apex, type: 'NSEC3PARAM', ttl, class: 'IN', data: param } as RR);
  return records;
}

/** Parses signer output (ldns-signzone, dnssec-signzone -O full): DNSSEC types here, the rest via zone.ts. */
export function loadSignedZone(text: string, apex: string): Zone {
  const records: RR[] = [];
  for (const tokens of logicalRecords(text)) {
    const { owner, ttl, type, rdata } = splitRecord(tokens);
    if (DNSSEC_TYPES.has(type)) records.push(dnssecRecord(owner, ttl ?? 3600, type, rdata));
    else if (type === 'NSEC3PARAM') continue;
    else records.push(...parseZone(tokens.join(' ')).records);
  }
  return { apex, records };
}
