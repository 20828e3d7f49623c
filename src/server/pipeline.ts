// The one driver every transport shares: raw client bytes in, raw reply bytes out, in the
// order a query travels — admit → resolve → respond. Front-ends only move bytes.

import { CLASSIC_UDP_SIZE, EdeCode, Flag, Rcode } from '../dns/constants.ts';
import { HEADER_SIZE, peekQuery, type QueryView } from '../dns/wire.ts';
import type { RR } from '../dns/message.ts';
import type { ClientQuestion, Resolution, Resolve } from '../resolver/resolution.ts';
import type { Logger } from '../util/log.ts';
import { admit } from './admit.ts';
import type { ChaosOptions } from './options.ts';
import { hotKey, type HotAnswers } from './hot-answers.ts';
import { encodeReply, headerOnlyReply, MAX_MESSAGE_SIZE, type ReplyContent } from './reply.ts';

export interface PipelineDeps {
  resolve: Resolve;
  log: Logger;
  /** Ready wire answers per process; without it every query goes through `resolve`. */
  hot?: HotAnswers;
  /** CHAOS identity answers (RFC 4892); absent or empty: such queries are refused. */
  chaos?: ChaosOptions;
}

/** Answers one client message. Never throws: a bug becomes a logged SERVFAIL. */
export interface Pipeline {
  /**
   * `maxUdpSize` is the largest UDP reply this server sends (1232: DNS Flag Day 2020); the
   * reply is cut to what the client can take. `null` for stream transports (TCP), where only
   * the 65 535-byte message limit applies. Resolves to undefined when nothing is to be sent.
   */
  handle(message: Buffer, maxUdpSize: number | null, padBlock?: number): Promise<Buffer | undefined>;
  /**
   * For transports that need more than the bytes (DoH, the JSON API): a stream transport's
   * reply with what it says, or `malformed` when the message cannot be read as a query at all
   * (HTTP answers that with 400, RFC 8484 §4.2.1). Always made from records, never the hot tier.
   */
  answer(message: Buffer, padBlock: number): Promise<Answered>;
  /**
   * The hot-tier reply to a plain query, synchronously, or undefined (then call `handle`).
   * The cache-hit path: no promise, no decoding, no per-record objects (PERFORMANCE.md).
   */
  fromHot(message: Buffer, maxUdpSize: number | null): Buffer | undefined;
}

export type Answered =
  | { kind: 'malformed'; reason: string }
  /** `content` is what `reply` carries: its sections are empty when the reply is truncated. */
  | { kind: 'reply'; reply: Buffer; content: ReplyContent };

/** One message's way through the pipeline, before a transport takes what it needs. */
type Step =
  | { kind: 'drop'; reason: string }
  /** Answered without a question: the question could not be read (FORMERR), or the opcode is unknown. */
  | { kind: 'unread'; reply: Buffer; rcode: number; reason: string }
  | { kind: 'hot'; reply: Buffer }
  | { kind: 'reply'; reply: Buffer; content: ReplyContent };

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

  /**
   * admit → hot tier → resolve → respond. The hot tier keeps unpadded bytes without records, so
   * it is skipped when the reply is to be padded (encrypted transports) or its records are wanted.
   */
  async function run(message: Buffer, maxUdpSize: number | null, padBlock: number, useHot: boolean): Promise<Step> {
    try {
      const admission = admit(message);
      if (admission.kind === 'drop') return { kind: 'drop', reason: 'not a query' };
      if (admission.kind === 'error') {
        const content = { rcode: admission.rcode, answer: NO_RECORDS, authority: NO_RECORDS, ede: admission.ede };
        return admission.query
          ? { kind: 'reply', reply: encodeReply(message, admission.query, content, MAX_MESSAGE_SIZE, padBlock), content }
          : { kind: 'unread', reply: headerOnlyReply(message, admission.rcode), rcode: admission.rcode, reason: admission.reason };
      }
      const query = admission.query;
      const limit = replyLimit(query, maxUdpSize);
      if (admission.kind === 'chaos') {
        const content = chaosContent(query, admission.about === 'identity' ? deps.chaos?.identity : deps.chaos?.version);
        return { kind: 'reply', reply: encodeReply(message, query, content, limit, padBlock), content };
      }
      const key = hot ? hotKey(query) : '';
      const cached = useHot ? hot?.reply(message, query, key, limit) : undefined;
      if (cached) return { kind: 'hot', reply: cached };
      const resolution = await resolve(clientQuestion(query));
      if (resolution.kind === 'servfail') log.debug('servfail', { reason: resolution.reason, qtype: query.qtype });
      const content = replyContent(resolution);
      // Only plain outcomes are kept: errors and answers carrying an EDE are made afresh.
      if (hot && content.ede === undefined && (content.rcode === Rcode.NOERROR || content.rcode === Rcode.NXDOMAIN)) {
        hot.store(key, content.rcode, content.authentic ? Flag.AD : 0, content.answer, content.authority);
      }
      return { kind: 'reply', reply: encodeReply(message, query, content, limit, padBlock), content };
    } catch (err) {
      log.error('pipeline bug; answering SERVFAIL', { err: String((err as Error)?.stack ?? err) });
      return internalErrorReply(message, log);
    }
  }

  async function handle(message: Buffer, maxUdpSize: number | null, padBlock = 0): Promise<Buffer | undefined> {
    const step = await run(message, maxUdpSize, padBlock, padBlock === 0);
    return step.kind === 'drop' ? undefined : step.reply;
  }

  async function answer(message: Buffer, padBlock: number): Promise<Answered> {
    const step = await run(message, null, padBlock, false);
    switch (step.kind) {
      case 'reply': {
        // A truncated reply carries no records: describe what was sent, not what was resolved.
        const truncated = (step.reply.readUInt16BE(2) & Flag.TC) !== 0;
        return truncated ? { ...step, content: { ...step.content, answer: NO_RECORDS, authority: NO_RECORDS } } : step;
      }
      case 'unread':
        // NOTIMP for an unknown opcode answers a readable header: a DNS reply, not an HTTP error.
        if (step.rcode !== Rcode.FORMERR) {
          return { kind: 'reply', reply: step.reply, content: { rcode: step.rcode, answer: NO_RECORDS, authority: NO_RECORDS, ede: undefined } };
        }
        return { kind: 'malformed', reason: step.reason };
      case 'drop':
        return { kind: 'malformed', reason: step.reason };
      case 'hot':
        throw new Error('unreachable: answer() never uses the hot tier');
    }
  }

  return { handle, answer, fromHot };
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

/** `authentic`: validated secure (RFC 4035 §3.2.3); encodeReply sets AD if the client asked for it. */
function replyContent(r: Resolution): ReplyContent {
  switch (r.kind) {
    case 'answer':
    case 'nodata':
      return { rcode: Rcode.NOERROR, answer: r.answer, authority: r.authority, ede: r.ede, authentic: r.status === 'secure' };
    case 'nxdomain':
      return { rcode: Rcode.NXDOMAIN, answer: r.answer, authority: r.authority, ede: r.ede, authentic: r.status === 'secure' };
    case 'servfail':
      return { rcode: Rcode.SERVFAIL, answer: NO_RECORDS, authority: NO_RECORDS, ede: r.ede };
    case 'refused':
      return { rcode: Rcode.REFUSED, answer: NO_RECORDS, authority: NO_RECORDS, ede: r.ede };
  }
}

/** The TXT answer to a CHAOS identity query, or REFUSED when the operator set none (RFC 4892 §2). */
function chaosContent(query: QueryView, text: string | undefined): ReplyContent {
  if (!text) {
    return { rcode: Rcode.REFUSED, answer: NO_RECORDS, authority: NO_RECORDS, ede: { code: EdeCode.NOT_SUPPORTED, text: 'CHAOS identity queries are not answered here' } };
  }
  const txt = { name: query.qname, type: 'TXT', class: 'CH', ttl: 0, data: [text] } as unknown as RR;
  return { rcode: Rcode.NOERROR, answer: [txt], authority: NO_RECORDS, ede: undefined };
}

/** SERVFAIL for a query that hit a bug: with its question if it can be read, else header only. */
function internalErrorReply(message: Buffer, log: Logger): Step {
  try {
    if (message.length < HEADER_SIZE || (message[2]! & 0x80) !== 0) return { kind: 'drop', reason: 'not a query' };
    const peeked = peekQuery(message);
    if (!peeked.ok) return { kind: 'unread', reply: headerOnlyReply(message, Rcode.SERVFAIL), rcode: Rcode.SERVFAIL, reason: 'internal error' };
    const content = { rcode: Rcode.SERVFAIL, answer: NO_RECORDS, authority: NO_RECORDS, ede: { code: EdeCode.OTHER, text: 'andns internal error' } };
    return { kind: 'reply', reply: encodeReply(message, peeked.query, content, MAX_MESSAGE_SIZE), content };
  } catch (err) {
    log.error('cannot even answer SERVFAIL', { err: String(err) });
    return { kind: 'drop', reason: 'internal error' };
  }
}
