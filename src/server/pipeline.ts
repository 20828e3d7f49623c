// The one driver every transport shares: raw client bytes in, raw reply bytes out, in the
// order a query travels — admit → resolve → respond. Front-ends only move bytes.

import { CLASSIC_UDP_SIZE, EdeCode, Flag, Rcode } from '../dns/constants.ts';
import { HEADER_SIZE, peekQuery, type QueryView } from '../dns/wire.ts';
import type { ClientQuestion, Resolution, Resolve } from '../resolver/resolution.ts';
import type { Logger } from '../util/log.ts';
import { admit } from './admit.ts';
import { hotKey, type HotAnswers } from './hot-answers.ts';
import { encodeReply, headerOnlyReply, MAX_MESSAGE_SIZE, type ReplyContent } from './reply.ts';

export interface PipelineDeps {
  resolve: Resolve;
  log: Logger;
  /** Ready wire answers per process; without it every query goes through `resolve`. */
  hot?: HotAnswers;
}

/** Answers one client message. Never throws: a bug becomes a logged SERVFAIL. */
export interface Pipeline {
  /**
   * `maxUdpSize` is the largest UDP reply this server sends (1232: DNS Flag Day 2020); the
   * reply is cut to what the client can take. `null` for stream transports (TCP), where only
   * the 65 535-byte message limit applies. Resolves to undefined when nothing is to be sent.
   */
  handle(message: Buffer, maxUdpSize: number | null): Promise<Buffer | undefined>;
  /**
   * The hot-tier reply to a plain query, synchronously, or undefined (then call `handle`).
   * The cache-hit path: no promise, no decoding, no per-record objects (PERFORMANCE.md).
   */
  fromHot(message: Buffer, maxUdpSize: number | null): Buffer | undefined;
}

const NO_RECORDS: readonly never[] = [];

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { resolve, log, hot } = deps;

  function fromHot(message: Buffer, maxUdpSize: number | null): Buffer | undefined {
    if (!hot || hot.size === 0) return undefined;
    try {
      const admission = admit(message);
      if (admission.kind !== 'resolve') return undefined;
      const query = admission.query;
      return hot.reply(message, query, hotKey(query), replyLimit(query, maxUdpSize));
    } catch (err) {
      log.error('hot path bug; taking the slow path', { err: String((err as Error)?.stack ?? err) });
      return undefined;
    }
  }

  async function handle(message: Buffer, maxUdpSize: number | null): Promise<Buffer | undefined> {
    try {
      const admission = admit(message);
      if (admission.kind === 'drop') return undefined;
      if (admission.kind === 'error') {
        const content = { rcode: admission.rcode, answer: NO_RECORDS, authority: NO_RECORDS, ede: admission.ede };
        return admission.query
          ? encodeReply(message, admission.query, content, MAX_MESSAGE_SIZE)
          : headerOnlyReply(message, admission.rcode);
      }
      const query = admission.query;
      const limit = replyLimit(query, maxUdpSize);
      const key = hot ? hotKey(query) : '';
      const cached = hot?.reply(message, query, key, limit);
      if (cached) return cached;
      const resolution = await resolve(clientQuestion(query));
      if (resolution.kind === 'servfail') log.debug('servfail', { reason: resolution.reason, qtype: query.qtype });
      const content = replyContent(resolution);
      // Only plain outcomes are kept: errors and answers carrying an EDE are made afresh.
      if (hot && content.ede === undefined && (content.rcode === Rcode.NOERROR || content.rcode === Rcode.NXDOMAIN)) {
        hot.store(key, content.rcode, 0, content.answer, content.authority);
      }
      return encodeReply(message, query, content, limit);
    } catch (err) {
      log.error('pipeline bug; answering SERVFAIL', { err: String((err as Error)?.stack ?? err) });
      return internalErrorReply(message, log);
    }
  }

  return { handle, fromHot };
}

function clientQuestion(query: QueryView): ClientQuestion {
  return {
    qname: query.qname,
    qtype: query.qtype,
    qclass: query.qclass,
    dnssecOk: query.edns?.dnssecOk ?? false,
    checkingDisabled: (query.flags & Flag.CD) !== 0,
    recursionDesired: (query.flags & Flag.RD) !== 0,
  };
}

/**
 * UDP: 512 bytes without EDNS (RFC 1035 §4.2.1); with EDNS the client's size, never below 512
 * (RFC 6891 §6.2.5) and never above ours. Stream transports: the message limit.
 */
export function replyLimit(query: QueryView, maxUdpSize: number | null): number {
  if (maxUdpSize === null) return MAX_MESSAGE_SIZE;
  const client = query.edns ? Math.max(CLASSIC_UDP_SIZE, query.edns.udpSize) : CLASSIC_UDP_SIZE;
  return Math.min(client, maxUdpSize);
}

function replyContent(r: Resolution): ReplyContent {
  switch (r.kind) {
    case 'answer':
    case 'nodata':
      return { rcode: Rcode.NOERROR, answer: r.answer, authority: r.authority, ede: undefined };
    case 'nxdomain':
      return { rcode: Rcode.NXDOMAIN, answer: r.answer, authority: r.authority, ede: undefined };
    case 'servfail':
      return { rcode: Rcode.SERVFAIL, answer: NO_RECORDS, authority: NO_RECORDS, ede: r.ede };
    case 'refused':
      return { rcode: Rcode.REFUSED, answer: NO_RECORDS, authority: NO_RECORDS, ede: r.ede };
  }
}

/** SERVFAIL for a query that hit a bug: with its question if it can be read, else header only. */
function internalErrorReply(message: Buffer, log: Logger): Buffer | undefined {
  try {
    if (message.length < HEADER_SIZE || (message[2]! & 0x80) !== 0) return undefined;
    const peeked = peekQuery(message);
    if (!peeked.ok) return headerOnlyReply(message, Rcode.SERVFAIL);
    const content = { rcode: Rcode.SERVFAIL, answer: NO_RECORDS, authority: NO_RECORDS, ede: { code: EdeCode.OTHER, text: 'andns internal error' } };
    return encodeReply(message, peeked.query, content, MAX_MESSAGE_SIZE);
  } catch (err) {
    log.error('cannot even answer SERVFAIL', { err: String(err) });
    return undefined;
  }
}
