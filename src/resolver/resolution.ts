// What a resolution yields: outcomes are values (STYLE 5), so NXDOMAIN, NODATA and failures
// travel the same road as answers and nothing can skip a later stage by being thrown.

import type { RR } from '../dns/message.ts';
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
  /** Client set RD; RD=0 is answered from cache only. */
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
  /** Policy refused to answer (e.g. RD=0 with nothing cached is not this: that is an empty answer). */
  | { kind: 'refused'; ede: ExtendedError; reason: string };

export interface Resolve {
  (question: ClientQuestion): Promise<Resolution>;
}
