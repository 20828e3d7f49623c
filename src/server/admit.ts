// Admission: decides from the header and question alone whether a query is dropped, refused
// with an error at once, or handed to resolution. Every rule cites the RFC it follows.

import { EdeCode, Opcode, QClass, Rcode } from '../dns/constants.ts';
import { hasEscapedOctet, HEADER_SIZE, peekQuery, type QueryView } from '../dns/wire.ts';
import type { ExtendedError } from '../resolver/resolution.ts';

/** RFC 6891 §9: extended rcode 16, "unsupported EDNS version". */
export const BADVERS = 16;
const QTYPE_IXFR = 251;
const QTYPE_TXT = 16;
const CHAOS_NAMES = new Map<string, 'identity' | 'version'>([
  ['id.server', 'identity'],
  ['hostname.bind', 'identity'],
  ['version.bind', 'version'],
  ['version.server', 'version'],
]);
const QTYPE_AXFR = 252;

export type Admission =
  /** Answer nothing: too short to carry an ID, or a response (RFC 1035 §4.1.1; answering responses makes loops). */
  | { kind: 'drop' }
  /** Answer at once with `rcode`. Without `query` the reply carries no question (it could not be read). */
  | { kind: 'error'; rcode: number; ede: ExtendedError | undefined; query: QueryView | undefined; reason: string }
  | { kind: 'resolve'; query: QueryView }
  /** A CHAOS-class TXT question for the server's identity or version (RFC 4892). */
  | { kind: 'chaos'; query: QueryView; about: 'identity' | 'version' };

const DROP: Admission = { kind: 'drop' };

export function admit(message: Buffer): Admission {
  // RFC 1035 §4.1.1 / RFC 6895 §2.2: andns only knows QUERY. Other opcodes (NOTIFY, UPDATE)
  // give the sections other meanings, so they get NOTIMP before their question is read.
  if (message.length >= HEADER_SIZE && (message[2]! & 0x80) === 0) {
    const opcode = (message[2]! >> 3) & 0x0f;
    if (opcode !== Opcode.QUERY) return error(Rcode.NOTIMP, undefined, undefined, `opcode ${opcode}`);
  }
  const peeked = peekQuery(message);
  if (!peeked.ok) {
    return peeked.action === 'drop' ? DROP : error(Rcode.FORMERR, undefined, undefined, peeked.reason);
  }
  const query = peeked.query;
  // RFC 6891 §6.1.3: a version we do not implement gets BADVERS and our highest version (0).
  if (query.edns && query.edns.version > 0) return error(BADVERS, undefined, query, `EDNS version ${query.edns.version}`);
  // RFC 2181 §11 lets any octet stand in a label, and the peek reads such names exactly (\DDD).
  // The rest of the path is not byte-true yet: dns-packet's name encoder writes labels as UTF-8
  // text split at ".", its decoder reads them as UTF-8, and the DNSSEC canonical form builds
  // labels from text. Resolving such a name would ask upstream for another name, so it is
  // refused, with the client's exact question echoed, rather than answered wrongly.
  if (hasEscapedOctet(query.qname)) {
    return error(Rcode.REFUSED, { code: EdeCode.NOT_SUPPORTED, text: 'names with octets outside printable ASCII are not resolved yet' }, query, 'escaped octet in qname');
  }
  // RFC 4892 §2: the server-identity names of class CHAOS, answered by the pipeline's policy.
  if (query.qclass === QClass.CH && query.qtype === QTYPE_TXT) {
    const about = CHAOS_NAMES.get(query.qname);
    if (about) return { kind: 'chaos', query, about };
  }
  // Only the Internet class has a namespace to resolve.
  if (query.qclass !== QClass.IN) {
    return error(Rcode.REFUSED, { code: EdeCode.NOT_SUPPORTED, text: 'only class IN is served' }, query, `class ${query.qclass}`);
  }
  // Zone transfers (RFC 5936, RFC 1995) are an authoritative server's business; a resolver
  // holds no zone to transfer. REFUSED, as Unbound and BIND's resolvers answer, marks it policy.
  if (query.qtype === QTYPE_AXFR || query.qtype === QTYPE_IXFR) {
    return error(Rcode.REFUSED, { code: EdeCode.NOT_SUPPORTED, text: 'zone transfers are not served' }, query, 'zone transfer');
  }
  return { kind: 'resolve', query };
}

function error(rcode: number, ede: ExtendedError | undefined, query: QueryView | undefined, reason: string): Admission {
  return { kind: 'error', rcode, ede, query, reason };
}
