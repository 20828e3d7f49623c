// The exposure policy the pipeline applies to each client query: who the client is (numeric
// address, exempt or not), its query rate and in-flight cap, its DNS cookie, and response-rate
// limiting of UDP replies. One instance per process; its scratch state is valid only until the
// next call (every method is synchronous, so one query's checks never interleave with another's).

import { randomBytes } from 'node:crypto';
import { inPrefixes, parseAddress } from './address.ts';
import { TokenTable } from './buckets.ts';
import { ClientLimits } from './client-limits.ts';
import { CookieStatus, SECRET_BYTES, ServerCookies, type CookieStatusCode } from './cookies.ts';
import type { CookieOptions, RateLimitOptions } from './options.ts';
import { ResponseRateLimiter, Verdict, type VerdictCode } from './rrl.ts';
import { policyCounters } from './stats.ts';


export interface GuardOptions {
  rateLimit: RateLimitOptions;
  cookies: CookieOptions;
}

export class ExposureGuard {
  /** The client address of the last `see`, as parseAddress leaves it. */
  readonly words = new Uint32Array(4);
  family: 0 | 4 | 6 = 0;
  /** Limits apply to the client of the last `see` (a readable address, not exempt). */
  limited = false;
  /** Buckets of both the response-rate limiter and the client rate (synchronised together). */
  readonly table: TokenTable;
  readonly rrl: ResponseRateLimiter;
  readonly clients: ClientLimits;
  readonly cookies: ServerCookies | undefined;
  readonly requireCookieOverUdp: boolean;
  /** Whether the cookie secret was configured (else made up by this process). */
  readonly sharedSecret: boolean;
  private readonly options: RateLimitOptions;

  constructor(options: GuardOptions) {
    this.options = options.rateLimit;
    this.table = new TokenTable(options.rateLimit.maxBuckets);
    this.rrl = new ResponseRateLimiter(options.rateLimit, this.table);
    this.clients = new ClientLimits(options.rateLimit, this.table);
    const c = options.cookies;
    this.sharedSecret = c.secret !== undefined;
    this.cookies = c.enabled ? new ServerCookies({ current: c.secret ?? new Uint8Array(randomBytes(SECRET_BYTES)), previous: c.previousSecret }) : undefined;
    this.requireCookieOverUdp = c.enabled && c.requireOverUdp;
  }

  /** The refill rate of the buckets carrying `tag` (rrl.ts: 1 + kind (+8 for IPv6); client-limits.ts: 16, 17). */
  rateOfTag(tag: number): number {
    if (tag >= 16) return this.options.clientQueriesPerSecond;
    return this.rrl.rateOfKind((tag - 1) & 7);
  }

  /** Reads the client's address `source` (text as Node gives it); returns whether limits apply to it. */
  see(source: string): boolean {
    this.family = parseAddress(source, this.words);
    this.limited = this.family !== 0 && !inPrefixes(this.family, this.words, this.options.exempt);
    return this.limited;
  }

  /** The client's query rate: false when this query is over it (counted). */
  allowQuery(now: number): boolean {
    if (!this.limited || this.family === 0) return true;
    if (this.clients.allowQuery(this.family, this.words, now)) return true;
    policyCounters.client[0]!++;
    return false;
  }

  /** Starts a resolution for the client: a key for `leave`, '' when no cap applies, undefined when over the cap. */
  enter(): string | undefined {
    if (!this.limited || this.family === 0) return '';
    const key = this.clients.enter(this.family, this.words);
    if (key === undefined) policyCounters.client[1]!++;
    return key;
  }

  leave(key: string): void {
    if (key !== '') this.clients.leave(key);
  }

  /** The query's COOKIE status; afterwards `cookieOption` holds the option to send back. */
  cookie(message: Buffer, questionEnd: number, nowMs: number): CookieStatusCode {
    if (!this.cookies || this.family === 0) return CookieStatus.NONE;
    return this.cookies.inspect(message, questionEnd, this.family, this.words, Math.floor(nowMs / 1000));
  }

  get cookieOption(): Buffer {
    return this.cookies!.option;
  }

  /** Response-rate limiting of a UDP reply to the client of the last `see`. */
  judge(reply: Buffer, now: number): VerdictCode {
    if (!this.limited || this.family === 0) return Verdict.SEND;
    const verdict = this.rrl.judge(reply, this.family, this.words, now);
    if (verdict !== Verdict.SEND) policyCounters.rrl[this.rrl.lastKind * 2 + (verdict === Verdict.DROP ? 0 : 1)]!++;
    return verdict;
  }
}
