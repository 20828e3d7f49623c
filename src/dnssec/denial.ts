// Denial-of-existence entry points: picks NSEC or NSEC3 (RFC 4035 §5.4, RFC 5155 §8) for one zone.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';

import type { Budget } from './limits.ts';
import { nsecNodata, nsecNoDs, nsecNxdomain, nsecOf, nsecWildcardAnswer } from './nsec.ts';
import { nsec3Nodata, nsec3NoDs, nsec3Nxdomain, nsec3Set, nsec3WildcardAnswer, type Nsec3Set } from './nsec3.ts';
import { proofBogus, type DsProof, type Proof } from './proof.ts';

/** Validated denial records of one zone (each RRset's signature already checked by the caller). */
export interface Denial {
  zone: string;
  nsec: RR[];
  nsec3: RR[];
  budget: Budget;
}

type Engine<R> = { nsec: (n: ReturnType<typeof nsecOf>[]) => R; nsec3: (s: Nsec3Set) => R };

function run<R extends DsProof>(d: Denial, what: string, engine: Engine<R>): R | Proof {
  if (d.nsec.length > 0) return engine.nsec(d.nsec.map(nsecOf));
  if (d.nsec3.length > 0) {
    const set = nsec3Set(d.nsec3, d.zone, d.budget);
    return 'records' in set ? engine.nsec3(set) : set;
  }
  return proofBogus(`no NSEC or NSEC3 from ${d.zone} to prove ${what}`, EdeCode.NSEC_MISSING);
}

/** NXDOMAIN: the name and the wildcard that could have matched it do not exist. */
export function proveNxdomain(d: Denial, qname: string): Proof {
  return run(d, `NXDOMAIN for ${qname}`, {
    nsec: (n) => nsecNxdomain(n, qname, d.zone),
    nsec3: (s) => nsec3Nxdomain(s, qname),
  });
}

/** NODATA: the name (or the wildcard that matched it) exists without `qtype`. */
export function proveNodata(d: Denial, qname: string, qtype: number): Proof {
  return run(d, `NODATA for ${qname}/${qtype}`, {
    nsec: (n) => nsecNodata(n, qname, qtype, d.zone),
    nsec3: (s) => nsec3Nodata(s, qname, qtype),
  });
}

/** A wildcard-synthesised answer: `owner` itself does not exist (RFC 4035 §5.3.4). */
export function proveWildcardAnswer(d: Denial, owner: string, wildcard: string): Proof {
  return run(d, `wildcard expansion of ${owner}`, {
    nsec: (n) => nsecWildcardAnswer(n, owner, wildcard, d.zone),
    nsec3: (s) => nsec3WildcardAnswer(s, owner, wildcard),
  });
}

/** DS absence at `name` during the chain walk: insecure delegation, not a zone cut, or bogus. */
export function proveNoDs(d: Denial, name: string): DsProof {
  return run<DsProof>(d, `no DS at ${name}`, {
    nsec: (n) => nsecNoDs(n, name, d.zone),
    nsec3: (s) => nsec3NoDs(s, name),
  });
}
