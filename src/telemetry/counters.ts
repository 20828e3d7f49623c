// Plain-integer counters for the query path, read at scrape time by observable instruments
// (instruments.ts): an increment is one typed-array add, no attribute object, no call into
// the SDK, so the UDP cache-hit path stays allocation-free (PERFORMANCE.md).

/** Transports a query arrives on: the `transport` label of andns_queries_total. */
export const Transport = { UDP: 0, TCP: 1, DOT: 2, DOH: 3 } as const;
export type TransportId = (typeof Transport)[keyof typeof Transport];
export const TRANSPORT_NAMES = ['udp', 'tcp', 'dot', 'doh'] as const;

/** Where an answer came from: the `tier` label of andns_answers_total. */
export const Tier = { HOT: 0, SHARED: 1, RESOLVED: 2 } as const;
export const TIER_NAMES = ['hot', 'shared', 'resolved'] as const;

/**
 * Why a query got no answer at all: the `reason` label of andns_queries_dropped_total.
 * MALFORMED: not a query (admission drop). ACL: the client is not allowed and the policy
 * drops rather than refuses. RATE_LIMIT: response-rate limiting dropped it (a slipped,
 * truncated reply is an answer and is counted by its rcode instead).
 */
export const Drop = { MALFORMED: 0, ACL: 1, RATE_LIMIT: 2 } as const;
export type DropReason = (typeof Drop)[keyof typeof Drop];
export const DROP_NAMES = ['malformed', 'acl', 'ratelimit'] as const;

/** 4-bit header rcodes (RFC 1035 §4.1.1); the extended bits of EDNS are not split out. */
const RCODES = 16;

/** The counters of this process. Monotonic; never reset (Prometheus computes rates). */
export const counters = {
  /** Replies sent, indexed transport * 16 + rcode. */
  queries: new Float64Array(TRANSPORT_NAMES.length * RCODES),
  /** Answers by the tier that produced them, indexed by Tier. */
  answers: new Float64Array(TIER_NAMES.length),
  /** Queries dropped without a reply, indexed by Drop. */
  dropped: new Float64Array(DROP_NAMES.length),
  /** Open client connections, indexed by transport (the UDP slot stays 0). */
  connections: new Float64Array(TRANSPORT_NAMES.length),
  /** Queries refused (REFUSED + EDE 18) because the source is outside allowFrom, indexed by transport. */
  aclRefused: new Float64Array(TRANSPORT_NAMES.length),
  /** Client questions that joined a resolution already in flight in this process. */
  coalesced: 0,
};

/** Counts a reply sent on `transport`: its rcode is read from the header (byte 3, low nibble). */
export function countReply(transport: TransportId, reply: Buffer): void {
  counters.queries[transport * RCODES + (reply[3]! & 0x0f)]!++;
}

/** Counts a query dropped without a reply. For ACL and rate-limit code: `countDrop(Drop.ACL)`. */
export function countDrop(reason: DropReason): void {
  counters.dropped[reason]!++;
}

export function countAnswer(tier: (typeof Tier)[keyof typeof Tier]): void {
  counters.answers[tier]!++;
}

/** The rcode label of index `i` of a transport's row: the RFC 1035/2136/6895 mnemonic, or the number. */
export const RCODE_NAMES: readonly string[] = Array.from({ length: RCODES }, (_, i) =>
  ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'][i] ?? String(i));

export { RCODES };
