// Scripted authoritative servers for the scenario corpus: match a query to an entry, build its
// reply, and sign it with the scenario's named keys through the project's signer.

import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { Flag, Rcode } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { packetTypeString } from '../../src/dns/message.ts';
import { canonicalName, isSubdomain, labels } from '../../src/dns/name.ts';
import { peekQuery, type QueryView } from '../../src/dns/wire.ts';
import { dsDigest, keyTag, type DnskeyData, type RrsigData } from '../../src/dnssec/canonical.ts';
import { encodeReply, type Outcome, type Protocol } from '../sim/authority.ts';
import { makeRrsig, type SigningKey } from '../sim/signer.ts';
import { rr as parseRecord } from '../sim/zone.ts';
import { algorithmNumber, ScenarioError, type Entry, type KeySpec, type Scenario } from './format.ts';

const RCODES: Record<string, number> = { ...Rcode, YXDOMAIN: 6, NOTAUTH: 9 };
const FLAG_BITS: Record<string, number> = { AA: Flag.AA, TC: Flag.TC, RA: Flag.RA, AD: Flag.AD, CD: Flag.CD, RD: Flag.RD };

const MNEMONICS: Record<number, string> = { 5: 'RSASHA1', 7: 'RSASHA1-NSEC3-SHA1', 8: 'RSASHA256', 10: 'RSASHA512', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448' };

const keyPairs = new Map<string, SigningKey>();

/** Key material per (algorithm, size, role, ordinal), made once per process: RSA is slow to generate. */
function keyFor(spec: KeySpec, ordinal: number): SigningKey {
  const flags = spec.role === 'ZSK' ? 256 : 257;
  const id = `${spec.algorithm}/${spec.bits}/${flags}/${ordinal}`;
  const cached = keyPairs.get(id);
  if (cached) return cached;
  const { publicKey, privateKey } = generate(spec.algorithm, spec.bits);
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  let key: Buffer;
  if (jwk.kty === 'RSA') {
    const e = raw(jwk.e);
    key = Buffer.concat([Buffer.from([e.length]), e, raw(jwk.n)]); // RFC 3110 §2
  } else if (jwk.kty === 'EC') key = Buffer.concat([raw(jwk.x), raw(jwk.y)]); // RFC 6605 §4
  else key = raw(jwk.x); // RFC 8080 §3
  const dnskey: DnskeyData = { flags, algorithm: spec.algorithm, key };
  const k: SigningKey = { algorithm: spec.algorithm, flags, dnskey, tag: keyTag(dnskey), privateKey };
  keyPairs.set(id, k);
  return k;
}

function generate(algorithm: number, bits: number): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (algorithm) {
    case 5:
    case 7:
    case 8:
    case 10:
      return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
    case 13:
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 14:
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 15:
      return generateKeyPairSync('ed25519');
    case 16:
      return generateKeyPairSync('ed448');
    default:
      // An algorithm nobody implements: an Ed25519 key pair carrying that number.
      return generateKeyPairSync('ed25519');
  }
}

/** A query as a scripted server saw it. */
export interface Seen {
  address: string;
  qname: string;
  qtype: string;
  dnssecOk: boolean;
  protocol: Protocol;
  /** The entry that answered, or undefined: nobody scripted this query. */
  entry: Entry | undefined;
}

/** Everything a scenario's servers need: its keys, signed zones and clock. */
export class ScenarioWorld {
  readonly scenario: Scenario;
  readonly keys = new Map<string, SigningKey>();
  readonly log: Seen[] = [];
  private readonly used = new Map<Entry, number>();
  /** Current time in seconds (signatures are made around the scenario's start). */
  private readonly start: number;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.start = scenario.now;
    const ordinals = new Map<string, number>();
    for (const spec of scenario.keys.values()) {
      const group = `${spec.algorithm}/${spec.bits}/${spec.role}`;
      const n = ordinals.get(group) ?? 0;
      ordinals.set(group, n + 1);
      this.keys.set(spec.name, keyFor(spec, n));
    }
    for (const [apex, names] of scenario.zones) {
      if (names.length === 1 && names[0] === 'unsigned') names.length = 0;
      for (const n of names) if (!this.keys.has(n)) throw new ScenarioError(scenario.file, 0, `zone ${apex}: no key "${n}"`);
    }
  }

  key(name: string, line: number): SigningKey {
    const k = this.keys.get(name.replace(/^@/, ''));
    if (!k) throw new ScenarioError(this.scenario.file, line, `no key "${name}"`);
    return k;
  }

  /**
   * A record line as an RR. `@key` stands for a key's data: "owner ttl DNSKEY @k [flags=N]
   * [alg=N]", "owner ttl DS @k [digest=N] [alg=N] [tag=N] [broken]".
   */
  record(text: string, line: number): RR {
    const tokens = text.split(/\s+/);
    const at = tokens.findIndex((t) => t.startsWith('@'));
    try {
      if (at < 1) return parseRecord(text);
      const type = tokens[at - 1]!.toUpperCase();
      const owner = canonicalName(tokens[0]!);
      const ttl = /^\d+$/.test(tokens[1] ?? '') ? Number(tokens[1]) : 3600;
      const k = this.key(tokens[at]!, line);
      const opts = new Map(tokens.slice(at + 1).map((o) => (o.split('=') as [string, string?])).map(([a, b]) => [a, b ?? '']));
      const num = (name: string, dflt: number): number => (opts.has(name) ? (algorithmNumber(opts.get(name)!) ?? NaN) : dflt);
      if (type === 'DNSKEY') {
        const data = { flags: num('flags', k.dnskey.flags), algorithm: num('alg', k.algorithm), key: k.dnskey.key };
        return { name: owner, type: 'DNSKEY', ttl, class: 'IN', data } as RR;
      }
      if (type === 'DS') {
        const digestType = num('digest', 2);
        const digest = dsDigest(owner, k.dnskey, digestType) ?? randomBytes(32);
        if (opts.has('broken')) digest[0] = digest[0]! ^ 0xff;
        const data = { keyTag: num('tag', k.tag), algorithm: num('alg', k.algorithm), digestType, digest };
        return { name: owner, type: 'DS', ttl, class: 'IN', data } as RR;
      }
      throw new Error(`@key is for DNSKEY and DS records, not ${type}`);
    } catch (err) {
      if (err instanceof ScenarioError) throw err;
      throw new ScenarioError(this.scenario.file, line, `bad record "${text}": ${(err as Error).message}`);
    }
  }

  /** A trust anchor line in presentation form (the config takes text), `@key` resolved. */
  anchorText(text: string, line: number): string {
    if (!text.includes('@')) return text;
    const rr = this.record(text, line);
    // "mnemonic": the algorithm written as its mnemonic (RFC 4034 §5.3), e.g. RSASHA256.
    const alg = (n: number): string => (/\bmnemonic\b/.test(text) ? (MNEMONICS[n] ?? String(n)) : String(n));
    if (rr.type === 'DS') {
      const d = rr.data as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return `${rr.name} ${rr.ttl} IN DS ${d.keyTag} ${alg(d.algorithm)} ${d.digestType} ${d.digest.toString('hex').toUpperCase()}`;
    }
    const d = rr.data as DnskeyData;
    return `${rr.name} ${rr.ttl} IN DNSKEY ${d.flags} 3 ${alg(d.algorithm)} ${d.key.toString('base64')}`;
  }

  /** The servers as the memory transport sees them. */
  network(): { get(address: string): { handle(q: Buffer, p: Protocol): Buffer | undefined; faults: object } | undefined } {
    const servers = new Map(this.scenario.servers.map((s) => [s.address, s]));
    return {
      get: (address) => {
        const spec = servers.get(address);
        if (!spec) return undefined;
        return { faults: {}, handle: (q, p) => this.handle(spec.address, spec.entries, q, p) };
      },
    };
  }

  private handle(address: string, entries: Entry[], query: Buffer, protocol: Protocol): Buffer | undefined {
    const peek = peekQuery(query);
    if (!peek.ok) return undefined;
    const view = peek.query;
    const qtype = packetTypeString(view.qtype);
    const entry = entries.find((e) => this.matches(e, view, qtype, protocol));
    this.log.push({ address, qname: view.qname, qtype, dnssecOk: view.edns?.dnssecOk ?? false, protocol, entry });
    if (!entry || entry.drop) return undefined;
    this.used.set(entry, (this.used.get(entry) ?? 0) + 1);
    const flags = entry.flags.map((f) => {
      const bit = FLAG_BITS[f];
      if (bit === undefined) throw new ScenarioError(this.scenario.file, entry.line, `unknown flag ${f}`);
      return bit;
    });
    const rcode = RCODES[entry.rcode] ?? Number(entry.rcode);
    if (!Number.isInteger(rcode)) throw new ScenarioError(this.scenario.file, entry.line, `unknown rcode ${entry.rcode}`);
    const outcome: Outcome = {
      rcode,
      aa: entry.flags.includes('AA'),
      answer: this.section(entry, 'answer', view),
      authority: this.section(entry, 'authority', view),
      additional: this.section(entry, 'additional', view),
    };
    const tc = entry.flags.includes('TC');
    const reply = encodeReply(query, view, outcome, protocol, { forceTruncate: tc && protocol === 'udp' });
    // The header says exactly what the entry says (plus QR, and RD/CD copied from the query).
    const copied = view.flags & (Flag.RD | Flag.CD | 0x7800);
    const given = flags.reduce((a, b) => a | b, 0) & ~(protocol === 'tcp' ? Flag.TC : 0);
    reply.writeUInt16BE(Flag.QR | copied | given | (reply.readUInt16BE(2) & 0x000f), 2);
    return reply;
  }

  private matches(e: Entry, view: QueryView, qtype: string, protocol: Protocol): boolean {
    const m = e.match;
    if (e.times !== undefined && (this.used.get(e) ?? 0) >= e.times) return false;
    if (m.qtype !== '*' && m.qtype !== qtype) return false;
    if (m.qname.startsWith('*.')) {
      const zone = m.qname.slice(2);
      if (view.qname === zone || !isSubdomain(view.qname, zone)) return false;
    } else if (m.qname !== '*' && m.qname !== view.qname) return false;
    for (const [flag, want] of m.flags) {
      const have = flag === 'do' ? (view.edns?.dnssecOk ?? false)
        : flag === 'cd' ? (view.flags & Flag.CD) !== 0
        : flag === 'rd' ? (view.flags & Flag.RD) !== 0
        : flag === 'tcp' ? protocol === 'tcp'
        : view.edns === undefined;
      if (have !== want) return false;
    }
    return true;
  }

  /** A section's records, each RRset followed by its RRSIGs when the query had DO. */
  private section(entry: Entry, name: 'answer' | 'authority' | 'additional', view: QueryView): RR[] {
    const records = entry.sections[name].map((l) => this.record(l.text, l.line));
    const sets: RR[][] = [];
    for (const r of records) {
      const set = sets.find((s) => s[0]!.name === r.name && s[0]!.type === r.type && r.type !== 'RRSIG');
      if (set) set.push(r);
      else sets.push([r]);
    }
    const dnssecOk = view.edns?.dnssecOk ?? false;
    // "sig OWNER TYPE: only": the RRSIGs without the RRset (an answer to QTYPE RRSIG), sent with or without DO.
    const only = (set: RR[]): boolean => entry.sigs.some((r) => r.mods.includes('only') && (r.owner === '*' || r.owner === set[0]!.name) && (r.type === '*' || r.type === set[0]!.type));
    return sets.flatMap((set) => (only(set) ? this.signatures(entry, name, set) : dnssecOk ? [...set, ...this.signatures(entry, name, set)] : set));
  }

  /** The RRSIGs an RRset gets: the zone's default (see README.md), changed by "sig" rules. */
  private signatures(entry: Entry, section: string, set: RR[]): RR[] {
    const first = set[0]!;
    if (first.type === 'RRSIG') return [];
    const rule = entry.sigs.find((r) => (r.owner === '*' || r.owner === first.name) && (r.type === '*' || r.type === first.type));
    const mods = new Map((rule?.mods ?? []).map((m) => (m.split('=') as [string, string?])).map(([a, b]) => [a, b ?? '']));
    if (mods.has('none')) return [];
    const delegation = first.type === 'NS' && section === 'authority' && !entry.flags.includes('AA');
    if ((section === 'additional' || delegation) && !mods.has('sign') && !mods.has('key') && !mods.has('zone')) return [];
    const zone = mods.get('zone') ?? this.signingZone(first.name, first.type === 'DS');
    if (zone === undefined) return [];
    let keys: SigningKey[];
    if (mods.has('key')) keys = mods.get('key')!.split(',').map((n) => this.key(n, rule!.line));
    else {
      const names = this.scenario.zones.get(canonicalName(zone));
      if (names?.length === 0) return []; // declared unsigned
      if (!names) throw new ScenarioError(this.scenario.file, rule?.line ?? entry.line, `zone ${zone} is not declared`);
      const specs = names.map((n) => this.scenario.keys.get(n)!);
      const ksks = specs.filter((s) => s.role !== 'ZSK');
      const zsks = specs.filter((s) => s.role !== 'KSK');
      keys = (first.type === 'DNSKEY' ? ksks : zsks.length ? zsks : ksks).map((s) => this.keys.get(s.name)!);
    }
    const now = this.start;
    const [inception, expiration] = mods.has('expired') ? [now - 31 * 86400, now - 2 * 86400]
      : mods.has('future') ? [now + 2 * 86400, now + 30 * 86400]
      : [now - 3600, now + 30 * 86400];
    const signer = mods.has('signer') ? canonicalName(mods.get('signer')!) : canonicalName(zone);
    return keys.map((k) => {
      const sig = makeRrsig(set, signer, k, inception, expiration);
      const d = sig.data as unknown as RrsigData;
      // Fields changed after signing: the signature no longer matches what the RRSIG claims.
      if (mods.has('labels')) d.labels = Number(mods.get('labels'));
      if (mods.has('ttl')) d.originalTTL = Number(mods.get('ttl'));
      if (mods.has('alg')) d.algorithm = algorithmNumber(mods.get('alg')!) ?? 0;
      if (mods.has('tag')) d.keyTag = Number(mods.get('tag'));
      if (mods.has('corrupt')) d.signature = Buffer.from(d.signature.map((b, i) => (i === 0 ? b ^ 0xff : b)));
      if (mods.has('covers')) d.typeCovered = mods.get('covers')!;
      return sig;
    });
  }

  /** The deepest declared signed zone holding `owner` (a DS belongs to the parent's side). */
  private signingZone(owner: string, parentSide: boolean): string | undefined {
    let best: string | undefined;
    for (const apex of this.scenario.zones.keys()) {
      if (!isSubdomain(owner, apex) || (parentSide && owner === apex)) continue;
      if (best === undefined || labels(apex).length > labels(best).length) best = apex;
    }
    return best;
  }

  /** Queries nobody scripted (they went unanswered). */
  unscripted(): Seen[] {
    return this.log.filter((s) => s.entry === undefined);
  }
}
