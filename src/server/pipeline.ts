// The pipeline every transport shares: raw client bytes in, raw reply bytes out, in the order a
// query travels — admit → hot tier → the driver (pipeline/driver.ts: cache read, coalesce, lease,
// resolve) → respond. Front-ends only move bytes.

import { CLASSIC_UDP_SIZE, EdeCode, Flag, Rcode } from '../dns/constants.ts';
import { HEADER_SIZE, peekQuery, type QueryView } from '../dns/wire.ts';
import type { RR } from '../dns/message.ts';
import type { ClientQuestion, Resolution, Resolve } from '../resolver/resolution.ts';
import { CookieStatus, RCODE_BADCOOKIE, type CookieStatusCode } from '../policy/cookies.ts';
import type { ExposureGuard } from '../policy/guard.ts';
import { slipReply, Verdict } from '../policy/rrl.ts';
import { COOKIE_BADCOOKIE_SENT, policyCounters } from '../policy/stats.ts';
import { counters, countDrop, Drop, Tier } from '../telemetry/counters.ts';
import { instruments } from '../telemetry/instruments.ts';
import { traced } from '../telemetry/trace.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { Observer, type ClientInfo, type Tier as ObservedTier } from '../operations/observer.ts';
import { admit } from './admit.ts';
import type { ChaosOptions } from './options.ts';
import { hotKey, type HotAnswers } from './hot-answers.ts';
import { encodeReply, headerOnlyReply, MAX_MESSAGE_SIZE, type ReplyContent } from './reply.ts';

export interface PipelineDeps {
  /** The driver below the hot tier (pipeline/driver.ts): cache read, coalescing, lease, resolution. */
  resolve: Resolve;
  /** Resolutions the cache answered without resolving: the query log's "shared" tier. */
  answeredFromCache?: WeakSet<object>;
  log: Logger;
  /** Ready wire answers per process; without it every query goes through `resolve`. */
  hot?: HotAnswers;
  /** CHAOS identity answers (RFC 4892); absent or empty: such queries are refused. */
  chaos?: ChaosOptions;
  /** Exposure policy (policy/guard.ts): client limits, cookies, UDP response-rate limiting. */
  guard?: ExposureGuard;
  clock?: Clock;
  /** The query log and dnstap; they see the queries whose transport describes the client. */
  observer?: Observer;
}

/** Answers one client message. Never throws: a bug becomes a logged SERVFAIL. */
export interface Pipeline {
  /**
   * `maxUdpSize` is the largest UDP reply this server sends (1232: DNS Flag Day 2020); the
   * reply is cut to what the client can take. `null` for stream transports (TCP), where only
   * the 65 535-byte message limit applies. Resolves to undefined when nothing is to be sent.
   */
  handle(message: Buffer, maxUdpSize: number | null, padBlock?: number, source?: string, observed?: ClientInfo, picked?: number): Promise<Buffer | undefined>;
  /**
   * For transports that need more than the bytes (DoH, the JSON API): a stream transport's
   * reply with what it says, or `malformed` when the message cannot be read as a query at all
   * (HTTP answers that with 400, RFC 8484 §4.2.1). Always made from records, never the hot tier.
   */
  answer(message: Buffer, padBlock: number, source?: string, observed?: ClientInfo): Promise<Answered>;
  /**
   * The hot-tier reply to a plain query, synchronously, or undefined (then call `handle`), or
   * null when the query was answered by sending nothing (a limit dropped it). `source` is the
   * client's address as the socket gives it. The cache-hit path: no promise, no decoding, no
   * per-record objects (PERFORMANCE.md).
   */
  fromHot(message: Buffer, maxUdpSize: number | null, source?: string): Buffer | null | undefined;
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
  | { kind: 'reply'; reply: Buffer; content: ReplyContent; tier?: ObservedTier };

const NO_RECORDS: readonly never[] = [];

/** What the slow path learns about a client for the UDP response-rate check after resolving. */
interface ClientContext {
  source: string;
  /** The query carried a valid server cookie: its address is proven, so RRL does not apply (RFC 7873 §5.2.5). */
  verified: boolean;
  /** The COOKIE option for the reply, when the query carried a client cookie. */
  cookie: Buffer | undefined;
  questionEnd: number;
  edns: boolean;
  dnssecOk: boolean;
}

const OVER_LIMIT = { code: EdeCode.OTHER, text: 'client over its query limit' } as const;

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { resolve, log, hot, guard } = deps;
  const clock = deps.clock ?? systemClock;

  function fromHot(message: Buffer, maxUdpSize: number | null, source?: string): Buffer | null | undefined {
    if (!hot || hot.size === 0) return undefined;
    try {
      const admission = admit(message);
      if (admission.kind !== 'resolve') return undefined;
      const query = admission.query;
      if (guard === undefined || source === undefined) {
        const plain = hot.reply(message, query, hotKey(query), replyLimit(query, maxUdpSize));
        if (plain !== undefined) counters.answers[Tier.HOT]!++; // a typed-array add: nothing allocated
        return plain;
      }
      // Policy on the hit path, allocation-free: numeric address, cookie, client rate, RRL.
      const now = clock.now();
      guard.see(source);
      let optionLength = 0;
      let verified = false;
      let status: CookieStatusCode = CookieStatus.NONE;
      if (query.edns && guard.cookies) {
        status = guard.cookie(message, query.questionEnd, now);
        if (status !== CookieStatus.NONE) {
          // FORMERR (malformed option) and BADCOOKIE are the slow path's to answer.
          if (status === CookieStatus.MALFORMED) return undefined;
          if (status !== CookieStatus.VALID && guard.requireCookieOverUdp && maxUdpSize !== null) return undefined;
          optionLength = guard.cookieOption.length;
          verified = status === CookieStatus.VALID;
        }
      }
      const option = optionLength > 0 ? guard.cookieOption : undefined;
      const reply = hot.reply(message, query, hotKey(query), replyLimit(query, maxUdpSize), option, optionLength);
      if (reply === undefined) return undefined;
      // Counted and charged only on a hit: a miss is counted and charged once, by the slow path.
      if (status !== CookieStatus.NONE) policyCounters.cookies[status]!++;
      if (!guard.allowQuery(now)) {
        countDrop(Drop.RATE_LIMIT);
        return null;
      }
      if (maxUdpSize === null || verified) {
        counters.answers[Tier.HOT]!++;
        return reply;
      }
      const verdict = guard.judge(reply, now);
      if (verdict === Verdict.SEND) {
        counters.answers[Tier.HOT]!++;
        return reply;
      }
      if (verdict === Verdict.DROP) {
        countDrop(Drop.RATE_LIMIT);
        return null;
      }
      return slipReply(message, query.questionEnd, query.edns !== undefined, query.edns?.dnssecOk ?? false, option);
    } catch (err) {
      log.error('hot path bug; taking the slow path', { err: String((err as Error)?.stack ?? err) });
      return undefined;
    }
  }

  /**
   * admit → hot tier → resolve → respond. The hot tier keeps unpadded bytes without records, so
   * it is skipped when the reply is to be padded (encrypted transports) or its records are wanted.
   */
  async function run(message: Buffer, maxUdpSize: number | null, padBlock: number, useHot: boolean, client?: ClientContext): Promise<Step> {
    try {
      const admission = admit(message);
      if (admission.kind === 'drop') {
        countDrop(Drop.MALFORMED);
        return { kind: 'drop', reason: 'not a query' };
      }
      const udp = maxUdpSize !== null;
      let option: Buffer | undefined;
      const seen = admission.query;
      if (client && guard && seen) {
        // Policy before any work: the client's rate, then its cookie (RFC 7873 §5.2).
        const now = clock.now();
        guard.see(client.source);
        if (!guard.allowQuery(now)) return overLimit(message, seen, udp, padBlock);
        client.questionEnd = seen.questionEnd;
        client.edns = seen.edns !== undefined;
        client.dnssecOk = seen.edns?.dnssecOk ?? false;
        const status: CookieStatusCode = seen.edns ? guard.cookie(message, seen.questionEnd, now) : CookieStatus.NONE;
        if (status !== CookieStatus.NONE) policyCounters.cookies[status]!++;
        if (status === CookieStatus.MALFORMED) {
          // RFC 7873 §5.2.2: a COOKIE option of a bad length is FORMERR.
          const content = { rcode: Rcode.FORMERR, answer: NO_RECORDS, authority: NO_RECORDS, ede: undefined };
          return { kind: 'reply', reply: encodeReply(message, seen, content, MAX_MESSAGE_SIZE, padBlock), content };
        }
        if (status !== CookieStatus.NONE) {
          option = Buffer.from(guard.cookieOption);
          client.cookie = option;
          client.verified = status === CookieStatus.VALID;
          if (!client.verified && udp && guard.requireCookieOverUdp) {
            // RFC 7873 §5.2.3/§5.2.4: BADCOOKIE with a fresh server cookie; the client retries with it.
            policyCounters.cookies[COOKIE_BADCOOKIE_SENT]!++;
            const content = { rcode: RCODE_BADCOOKIE, answer: NO_RECORDS, authority: NO_RECORDS, ede: undefined };
            return { kind: 'reply', reply: encodeReply(message, seen, content, MAX_MESSAGE_SIZE, padBlock, option), content };
          }
        }
      }
      if (admission.kind === 'error') {
        const content = { rcode: admission.rcode, answer: NO_RECORDS, authority: NO_RECORDS, ede: admission.ede };
        return admission.query
          ? { kind: 'reply', reply: encodeReply(message, admission.query, content, MAX_MESSAGE_SIZE, padBlock, option), content }
          : { kind: 'unread', reply: headerOnlyReply(message, admission.rcode), rcode: admission.rcode, reason: admission.reason };
      }
      const query = admission.query;
      const limit = replyLimit(query, maxUdpSize);
      if (admission.kind === 'chaos') {
        const content = chaosContent(query, admission.about === 'identity' ? deps.chaos?.identity : deps.chaos?.version);
        return { kind: 'reply', reply: encodeReply(message, query, content, limit, padBlock, option), content };
      }
      const key = hot ? hotKey(query) : '';
      const cached = useHot ? hot?.reply(message, query, key, limit, option, option?.length ?? 0) : undefined;
      if (cached) {
        counters.answers[Tier.HOT]!++;
        return { kind: 'hot', reply: cached };
      }
      // DNSBomb: a client's resolutions in flight are capped (the guard still holds its address: no await since see()).
      const flight = client && guard ? guard.enter() : '';
      if (flight === undefined) return overLimit(message, query, udp, padBlock);
      const question = clientQuestion(query);
      const started = performance.now();
      let resolution: Resolution;
      try {
        resolution = await traced('dns resolve', 'server', () => ({ 'dns.question.name': question.qname, 'dns.question.type': question.qtype }), async (span) => {
          const r = await resolve(question);
          span?.setAttribute('dns.outcome', r.kind);
          return r;
        });
      } finally {
        if (flight !== '') guard!.leave(flight);
      }
      instruments.resolutionDuration.record((performance.now() - started) / 1000);
      if (resolution.kind === 'servfail') log.debug('servfail', { reason: resolution.reason, qtype: query.qtype });
      const content = replyContent(resolution);
      // Only plain outcomes are kept: errors and answers carrying an EDE are made afresh.
      if (hot && content.ede === undefined && (content.rcode === Rcode.NOERROR || content.rcode === Rcode.NXDOMAIN)) {
        hot.store(key, content.rcode, content.authentic ? Flag.AD : 0, content.answer, content.authority);
      }
      return { kind: 'reply', reply: encodeReply(message, query, content, limit, padBlock, option), content, tier: deps.answeredFromCache?.has(resolution) ? 'shared' : 'resolved' };
    } catch (err) {
      log.error('pipeline bug; answering SERVFAIL', { err: String((err as Error)?.stack ?? err) });
      return internalErrorReply(message, log);
    }
  }

  /** What was sent (after response-rate limiting) and the step that made it. */
  async function respond(message: Buffer, maxUdpSize: number | null, padBlock: number, source: string | undefined): Promise<[Buffer | undefined, Step]> {
    const client = guard && source !== undefined ? newContext(source) : undefined;
    const step = await run(message, maxUdpSize, padBlock, padBlock === 0, client);
    if (step.kind === 'drop') return [undefined, step];
    // UDP response-rate limiting, unless a valid server cookie proved the client's address.
    if (!client || !guard || maxUdpSize === null || client.verified) return [step.reply, step];
    guard.see(client.source);
    const verdict = guard.judge(step.reply, clock.now());
    if (verdict === Verdict.SEND) return [step.reply, step];
    if (verdict === Verdict.DROP) {
      countDrop(Drop.RATE_LIMIT);
      return [undefined, step];
    }
    // A reply without a readable question is header-only: already as small as a slip.
    if (step.kind === 'unread' || client.questionEnd === 0) return [step.reply, step];
    return [slipReply(message, client.questionEnd, client.edns, client.dnssecOk, client.cookie), step];
  }

  /** The observer sees a query when it is on and the transport described the client. */
  /** `picked`: the transport already asked the observer (UDP); otherwise it is asked here. */
  async function handle(message: Buffer, maxUdpSize: number | null, padBlock = 0, source?: string, observed?: ClientInfo, picked?: number): Promise<Buffer | undefined> {
    const observer = deps.observer;
    const watch = observer?.active && observed ? (picked ?? observer.pick()) : 0;
    if (watch === 0) return (await respond(message, maxUdpSize, padBlock, source))[0];
    const start = Observer.now();
    const [reply, step] = await respond(message, maxUdpSize, padBlock, source);
    observer!.note(watch, observed!, message, reply, start, tierOf(step), step.kind === 'reply' ? step.content.ede?.code : undefined);
    return reply;
  }

  async function answer(message: Buffer, padBlock: number, source?: string, observed?: ClientInfo): Promise<Answered> {
    const observer = deps.observer;
    const watch = observer?.active && observed ? observer.pick() : 0;
    const start = watch !== 0 ? Observer.now() : -1;
    const step = await run(message, null, padBlock, false, guard && source !== undefined ? newContext(source) : undefined);
    if (watch !== 0) observer!.note(watch, observed!, message, step.kind === 'drop' ? undefined : step.reply, start, tierOf(step), step.kind === 'reply' ? step.content.ede?.code : undefined);
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

function tierOf(step: Step): ObservedTier {
  return step.kind === 'hot' ? 'hot' : step.kind === 'reply' ? (step.tier ?? 'local') : 'local';
}

function newContext(source: string): ClientContext {
  return { source, verified: false, cookie: undefined, questionEnd: 0, edns: false, dnssecOk: false };
}

/** A client over its query rate or in-flight cap: UDP drops (a spoofed flood gets nothing back); streams get REFUSED. */
function overLimit(message: Buffer, query: QueryView, udp: boolean, padBlock: number): Step {
  if (udp) {
    countDrop(Drop.RATE_LIMIT);
    return { kind: 'drop', reason: 'client over its limit' };
  }
  const content = { rcode: Rcode.REFUSED, answer: NO_RECORDS, authority: NO_RECORDS, ede: OVER_LIMIT };
  return { kind: 'reply', reply: encodeReply(message, query, content, MAX_MESSAGE_SIZE, padBlock), content };
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
