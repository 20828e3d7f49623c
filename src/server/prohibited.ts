// The answer to a client outside allowFrom: REFUSED with Extended DNS Error 18 (Prohibited,
// RFC 8914 §4.19), as a pipeline that resolves nothing, so every transport can swap it in.

import { EdeCode, Rcode } from '../dns/constants.ts';
import { counters, Transport as TransportIds } from '../telemetry/counters.ts';
import { admit } from './admit.ts';
import type { Pipeline } from './pipeline.ts';
import { encodeReply, MAX_MESSAGE_SIZE, type ReplyContent } from './reply.ts';

const NO_RECORDS: readonly never[] = [];
const CONTENT: ReplyContent = {
  rcode: Rcode.REFUSED,
  answer: NO_RECORDS,
  authority: NO_RECORDS,
  ede: { code: EdeCode.PROHIBITED, text: 'client address not allowed (allowFrom)' },
};

export type Transport = 'udp' | 'tcp' | 'dot' | 'doh';
const INDEX: Record<Transport, number> = { udp: TransportIds.UDP, tcp: TransportIds.TCP, dot: TransportIds.DOT, doh: TransportIds.DOH };

/**
 * REFUSED + EDE 18 echoing the client's question, or undefined when the message is no query we
 * can read (not a query, malformed): a stranger gets nothing to reflect off us. The reply is no
 * larger than the query plus an EDE option, so refusing amplifies by little more than 1×.
 */
export function prohibitedReply(message: Buffer, transport: Transport): Buffer | undefined {
  const admission = admit(message);
  if (admission.kind === 'drop' || admission.query === undefined) return undefined;
  counters.aclRefused[INDEX[transport]]!++; // a typed-array add, read at scrape time (andns.acl.refused)
  return encodeReply(message, admission.query, CONTENT, MAX_MESSAGE_SIZE);
}

/** A pipeline for a client that is not allowed: every readable query gets REFUSED + EDE 18. */
export function prohibitedPipeline(transport: Transport): Pipeline {
  return {
    fromHot: () => undefined,
    handle: (message) => Promise.resolve(prohibitedReply(message, transport)),
    answer: (message) => {
      const reply = prohibitedReply(message, transport);
      return Promise.resolve(reply ? { kind: 'reply', reply, content: CONTENT } : { kind: 'malformed', reason: 'not a readable query' });
    },
  };
}
