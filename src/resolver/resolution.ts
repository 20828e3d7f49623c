// What a resolution yields: outcomes are values (STYLE 5), so NXDOMAIN, NODATA and failures
// travel the same road as answers and nothing can skip a later stage by being thrown.

import { rrType, type RR } from '../dns/message.ts';
import type { DnssecStatus } from '../cache/record-cache.ts';

export interface ClientQuestion {
  /** Canonical name (lower case, no trailing dot; "." is the root). */
  qname: string;
  qtype: number;
  qclass: number;
  /** Client asked for DNSSEC records (EDNS DO bit). */
  dnssecOk: boolean;
  /** Client set CD: checking disabled (RFC 4035 §3.2.2). */
  checkingDisabled: boolean;
  /**
   * Client set RD; RD=0 is answered from the cache alone (the driver's branch; REFUSED when the
   * cache holds nothing). Nothing below the driver looks at it.
   */
  recursionDesired: boolean;
}

export interface ExtendedError {
  /** RFC 8914 info code. */
  code: number;
  /** Extra text for the operator; never contains client data. */
  text: string;
}

interface Sections {
  /** Answer section, CNAME/DNAME chain first, in order. Owner names canonical. */
  answer: RR[];
  authority: RR[];
  /**
   * DNSSEC status of the whole answer (the weakest of its parts, RFC 4035 §4.3); absent when
   * nothing was validated (validation off, or CD=1 on fresh data). Only 'secure' earns AD.
   */
  status?: DnssecStatus;
  /** An Extended DNS Error to send with the answer, e.g. 3 (Stale Answer, RFC 8767) from serve-stale. */
  ede?: ExtendedError;
}

export type Resolution =
  | ({ kind: 'answer' } & Sections)
  | ({ kind: 'nodata' } & Sections)
  | ({ kind: 'nxdomain' } & Sections)
  /** The query could not be answered; `reason` is for logs, `ede` goes to the client. */
  | { kind: 'servfail'; ede: ExtendedError; reason: string }
  /** Policy refused to answer (e.g. RD=0 with nothing cached). */
  | { kind: 'refused'; ede: ExtendedError; reason: string };

export interface Resolve {
  (question: ClientQuestion): Promise<Resolution>;
}

const TYPE_RRSIG = 46;
const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3']);

/**
 * The one DNSSEC-record rule for every answer, fresh or stale (RFC 4035 §3.2.1): without DO,
 * no RRSIG, NSEC or NSEC3 goes out unless the client asked for that type (then the answer
 * section keeps them). QTYPE RRSIG asks for the signatures themselves: nothing is taken out.
 */
export function forClient(r: Resolution, q: Pick<ClientQuestion, 'qtype' | 'dnssecOk'>): Resolution {
  if (q.dnssecOk || q.qtype === TYPE_RRSIG) return r;
  if (r.kind !== 'answer' && r.kind !== 'nxdomain' && r.kind !== 'nodata') return r;
  const inAnswer = (rr: RR): boolean => !DNSSEC_TYPES.has(rr.type) || rrType(rr) === q.qtype;
  const inAuthority = (rr: RR): boolean => !DNSSEC_TYPES.has(rr.type);
  if (r.answer.every(inAnswer) && r.authority.every(inAuthority)) return r;
  return { ...r, answer: r.answer.filter(inAnswer), authority: r.authority.filter(inAuthority) };
}
