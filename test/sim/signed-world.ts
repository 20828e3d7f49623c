// An in-memory hierarchy of signed zones for validator tests: DS/DNSKEY fetches and ready-made answers.

import type { RR } from '../../src/dns/message.ts';
import { typeNumber } from '../../src/dns/message.ts';
import { isSubdomain, labelCount, parentName, selfAndAncestors } from '../../src/dns/name.ts';
import type { RrsigData } from '../../src/dnssec/canonical.ts';
import { T } from '../../src/dnssec/constants.ts';
import type { RRset } from '../../src/cache/record-cache.ts';
import type { FetchResult } from '../../src/dnssec/fetch.ts';
import type { AnswerInput } from '../../src/dnssec/validator.ts';
import { denialFor } from './dnssec-serving.ts';
import { signZone, type SignedZone, type SignOptions } from './signer.ts';
import type { Zone } from './zone.ts';

function typeOf(rr: RR): number {
  return typeNumber(rr.type) ?? 0;
}

/**
 * An in-memory hierarchy of signed zones that answers like authoritative servers would with
 * DO=1: for the validator's DS/DNSKEY fetches, and to build answers (with the NSEC/NSEC3
 * records a server would pick: those matching or covering the name, its ancestors and the
 * wildcards at them) for validateAnswer.
 */
export class SignedWorld {
  readonly zones: Zone[];
  /** (name/type) → how many times the validator asked. */
  readonly fetches = new Map<string, number>();

  constructor(zones: Zone[]) {
    this.zones = zones;
  }

  /** The zone that answers for (name, type): the parent side for DS (RFC 4035 §3.1.4.1). */
  zoneFor(name: string, type: number): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones) {
      if (!isSubdomain(name, z.apex) || (type === T.DS && name === z.apex && name !== '.')) continue;
      if (!best || labelCount(z.apex) > labelCount(best.apex)) best = z;
    }
    return best;
  }

  readonly fetch = async (name: string, type: number): Promise<FetchResult> => {
    const key = `${name}/${type}`;
    this.fetches.set(key, (this.fetches.get(key) ?? 0) + 1);
    const z = this.zoneFor(name, type);
    if (!z) return { kind: 'error', reason: `no zone for ${name}` };
    const rrset = this.rrset(z, name, type);
    if (rrset) return { kind: 'rrset', rrset };
    return { kind: 'negative', authority: this.negativeAuthority(z, name) };
  };

  rrset(z: Zone, name: string, type: number): RRset | undefined {
    const records = z.records.filter((r) => r.name === name && typeOf(r) === type);
    if (records.length === 0) return undefined;
    const signatures = z.records.filter((r) => r.name === name && r.type === 'RRSIG' && (r.data as RrsigData).typeCovered === records[0]!.type);
    return { name, type, records, signatures };
  }

  /** SOA plus the denial records a server would include for `name`. */
  negativeAuthority(z: Zone, name: string): RR[] {
    const out: RR[] = [];
    const soa = this.rrset(z, z.apex, T.SOA);
    if (soa) out.push(...soa.records, ...soa.signatures);
    return [...out, ...this.denialFor(z, name)];
  }

  denialFor(z: Zone, name: string): RR[] {
    return denialFor(z, name);
  }

  /** What a resolver would hand the validator for (qname, qtype), following CNAMEs and wildcards. */
  answer(qname: string, qtype: number): AnswerInput {
    const answer: RR[] = [];
    const authority: RR[] = [];
    let name = qname;
    for (let hop = 0; hop < 8; hop++) {
      const z = this.zoneFor(name, qtype);
      if (!z) break;
      const direct = this.rrset(z, name, qtype) ?? this.rrset(z, name, T.CNAME);
      const exists = z.records.some((r) => isSubdomain(r.name, name));
      let set = direct;
      let wildExists = false;
      if (!set && !exists) {
        // RFC 4592: the source of synthesis is "*." + the closest encloser.
        const ce = selfAndAncestors(name).find((a) => z.records.some((r) => isSubdomain(r.name, a)))!;
        const wildName = ce === '.' ? '*' : `*.${ce}`;
        wildExists = z.records.some((r) => r.name === wildName);
        const wild = this.rrset(z, wildName, qtype) ?? this.rrset(z, wildName, T.CNAME);
        if (wild) {
          set = { ...wild, name, records: wild.records.map((r) => ({ ...r, name }) as RR), signatures: wild.signatures.map((r) => ({ ...r, name }) as RR) };
          authority.push(...this.denialFor(z, name));
        }
      }
      if (!set) {
        authority.push(...this.negativeAuthority(z, name));
        return { qname, qtype, kind: exists || wildExists ? 'nodata' : 'nxdomain', answer, authority };
      }
      answer.push(...set.records, ...set.signatures);
      if (set.type === qtype || set.type !== T.CNAME) break;
      name = String((set.records[0] as { data: unknown }).data);
    }
    return { qname, qtype, kind: 'answer', answer, authority };
  }
}

/** Signs child zones first so each parent carries its children's DS records (and delegation NS). */
export function signHierarchy(
  zones: { zone: Zone; options?: Partial<SignOptions>; signed?: boolean }[],
  now: number,
): { world: SignedWorld; signed: Map<string, SignedZone | Zone> } {
  const order = [...zones].sort((a, b) => labelCount(b.zone.apex) - labelCount(a.zone.apex));
  const out = new Map<string, SignedZone | Zone>();
  for (const entry of order) {
    const apex = entry.zone.apex;
    const childDs = [...out.values()].filter((c) => parentOf(c.apex, zones.map((z) => z.zone.apex)) === apex).flatMap((c) => ('ds' in c ? c.ds : []));
    const zone = { apex, records: [...entry.zone.records, ...childDs] };
    out.set(apex, entry.signed === false ? zone : signZone(zone, { now, ...entry.options }));
  }
  return { world: new SignedWorld([...out.values()]), signed: out };
}

function parentOf(apex: string, apexes: string[]): string | undefined {
  for (let p = parentName(apex); p !== undefined; p = parentName(p)) if (apexes.includes(p)) return p;
  return undefined;
}
