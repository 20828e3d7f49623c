// One question to one server: builds the query (0x20, EDNS), sends it through the transport
// (TCP when truncated), learns the server's behaviour in the infra cache, and scrubs the reply.

import { Rcode } from '../dns/constants.ts';
import { decodeMessage, type Message } from '../dns/message.ts';
import { ednsOption, WireError } from '../dns/wire.ts';
import { CookieJar, OPT_COOKIE, RCODE_BADCOOKIE } from './cookies.ts';
import { instruments } from '../telemetry/instruments.ts';
import { traced } from '../telemetry/trace.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { WorkLimitExceeded, type Work } from './budget.ts';
import type { WorkLimits } from './options.ts';
import type { InfraCache } from './infra.ts';
import { buildQuery } from './query.ts';
import { chainLinks, scrubReply, type AskedQuestion, type ReplyKind } from './scrub.ts';
import { ExchangeError, withTcpFallback, type UpstreamTransport } from './upstream.ts';

export interface Ask extends AskedQuestion {
  /** Forwarders are asked with RD=1. */
  recursionDesired: boolean;
}

export interface ExchangeSettings {
  upstreamPort: number;
  upstreamTimeoutMs: number;
}

export class UpstreamClient {
  private readonly transport: UpstreamTransport;
  private readonly infra: InfraCache;
  private readonly clock: Clock;
  private readonly settings: ExchangeSettings;
  private readonly log: Logger;
  private readonly cookies = new CookieJar();

  constructor(transport: UpstreamTransport, infra: InfraCache, clock: Clock, settings: ExchangeSettings, log: Logger) {
    this.transport = withTcpFallback(transport);
    this.infra = infra;
    this.clock = clock;
    this.settings = settings;
    this.log = log;
  }

  /** The scrubbed reply of `address`, or undefined when it gave nothing at all. */
  async ask(address: string, q: Ask, work: Work): Promise<ReplyKind | undefined> {
    let randomiseCase = !this.infra.noCase(address);
    let edns = !this.infra.noEdns(address);
    // At most one retry for each fallback (0x20, EDNS, BADCOOKIE): four exchanges.
    for (let attempt = 0; attempt < 4; attempt++) {
      work.budget.upstreamQuery();
      const timeoutMs = Math.min(this.infra.timeoutMs(address, this.settings.upstreamTimeoutMs), work.budget.remainingMs());
      const cookie = edns ? this.cookies.optionFor(address) : undefined;
      const query = buildQuery({ name: q.name, type: q.type, recursionDesired: q.recursionDesired, edns, randomiseCase, ...(cookie ? { cookie } : {}) });
      // RFC 7873 §5.3: a reply that does not carry our client cookie back is not for us.
      const accept = (reply: Buffer): boolean => {
        if (!edns || this.cookies.accepts(address, cookieOf(reply))) return true;
        instruments.serverEvents.add(1, { event: 'cookie-rejected' });
        return false;
      };
      const started = this.clock.now();
      let bytes: Buffer;
      let message: Message;
      try {
        const port = this.settings.upstreamPort;
        // A span per exchange (TCP fallback included), nested under the client's resolution.
        bytes = await traced('dns upstream query', 'client', () => ({ 'server.address': address, 'server.port': port, 'dns.question.name': q.name, 'dns.question.type': q.type, 'andns.zone': q.zone }),
          () => this.transport.exchange({ address, port, query, protocol: 'udp', timeoutMs, accept }));
        instruments.upstreamQueries.add(1, { outcome: 'reply' });
        this.infra.recordRtt(address, this.clock.now() - started);
        // Counted from the header before decoding: a reply that lies about its counts fails
        // to decode anyway, and an honest huge one costs nothing more to refuse.
        if (recordCount(bytes) > work.budget.limits.maxRecordsPerReply) throw new WorkLimitExceeded('records-per-reply');
        message = decodeMessage(bytes);
        checkRRsetSizes(message, work.budget.limits);
      } catch (err) {
        if (err instanceof ExchangeError) instruments.upstreamQueries.add(1, { outcome: err.kind });
        // Our own cap on upstream TCP, not the server's fault: the client query ends here.
        if (err instanceof ExchangeError && err.kind === 'tcp-limit') throw new WorkLimitExceeded('upstream-tcp');
        if (err instanceof ExchangeError && err.kind === 'case-mismatch' && randomiseCase) {
          instruments.serverEvents.add(1, { event: 'case-fallback' });
          this.log.debug('server does not echo 0x20 case', { address });
          this.infra.setNoCase(address);
          randomiseCase = false;
          continue;
        }
        if (err instanceof ExchangeError || err instanceof WireError) {
          if (err instanceof ExchangeError && err.kind === 'timeout') this.infra.recordTimeout(address, timeoutMs);
          this.log.debug('upstream failed', { address, zone: q.zone, err: err.message });
          return undefined;
        }
        throw err;
      }
      if (edns) this.cookies.learn(address, cookieOf(bytes));
      const rcode = extendedRcode(message);
      if (rcode === RCODE_BADCOOKIE && attempt === 0) continue; // retry with the server cookie just learnt
      if (edns && (rcode === Rcode.FORMERR || rcode === Rcode.NOTIMP)) {
        // RFC 6891 §7: a server that rejects EDNS is asked again without it, and remembered.
        instruments.serverEvents.add(1, { event: 'edns-fallback' });
        this.infra.setNoEdns(address);
        edns = false;
        continue;
      }
      const kind = scrubReply(message, q, work.budget.limits.maxCnameChain);
      if ('chain' in kind && chainLinks(kind.chain) > work.budget.limits.maxCnameChain) throw new WorkLimitExceeded('cname-chain');
      if (kind.kind === 'lame') {
        this.infra.markLame(address, q.zone);
        this.log.debug('lame reply', { address, zone: q.zone, reason: kind.reason });
      }
      return kind;
    }
    return undefined;
  }
}

/** ANCOUNT + NSCOUNT + ARCOUNT of a reply (RFC 1035 §4.1.1); the OPT record counts too. */
function recordCount(reply: Buffer): number {
  if (reply.length < 12) return 0;
  return reply.readUInt16BE(6) + reply.readUInt16BE(8) + reply.readUInt16BE(10);
}

/**
 * No RRset of any section larger than the cap (BIND's max-records-per-rrset, CVE-2024-1737):
 * such sets cost every later lookup, validation and cache write, and no zone needs them.
 * The OPT pseudo-record is not an RRset; each RRSIG set is counted by the type it covers.
 */
function checkRRsetSizes(message: Message, limits: WorkLimits): void {
  const counts = new Map<string, number>();
  for (const section of [message.answers, message.authorities, message.additionals]) {
    for (const rr of section ?? []) {
      if (rr.type === 'OPT') continue;
      const covered = rr.type === 'RRSIG' ? `/${(rr.data as { typeCovered?: string } | undefined)?.typeCovered ?? ''}` : '';
      const key = `${rr.name.toLowerCase()}|${rr.type}${covered}|${(rr as { class?: string }).class ?? ''}`;
      const n = (counts.get(key) ?? 0) + 1;
      if (n > limits.maxRecordsPerRRset) throw new WorkLimitExceeded('records-per-rrset');
      counts.set(key, n);
    }
  }
}

function cookieOf(reply: Buffer): Buffer | undefined {
  try {
    return ednsOption(reply, OPT_COOKIE);
  } catch {
    return undefined;
  }
}

/** The 12-bit RCODE: header bits plus the OPT record's upper 8 bits (RFC 6891 §6.1.3). */
function extendedRcode(message: Message): number {
  const opt = (message.additionals ?? []).find((a) => a.type === 'OPT') as { extendedRcode?: number } | undefined;
  return ((opt?.extendedRcode ?? 0) << 4) | ((message.flags ?? 0) & 0x0f);
}
