// The resolver: answers a client question from the cache, or through the iterator, following
// CNAME chains across both, within one work budget; every step is judged by the DNSSEC
// validation stage before it is stored or answered; every failure becomes a SERVFAIL value.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { Rank, type CachedNegative, type CachedRRset, type DnssecStatus, type RecordCache } from '../cache/record-cache.ts';
import { selfAndAncestors } from '../dns/name.ts';
import type { Validator } from '../dnssec/validator.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { Budget, Work, WorkLimitExceeded } from './budget.ts';
import { UpstreamClient } from './exchange.ts';
import { InfraCache } from './infra.ts';
import { Iterator, type Finished, type Learned, type Step } from './iterator.ts';
import { capStep, restoreJudged, storeLearned } from './store.ts';
import { ValidationStage } from './validate.ts';
import { ReferralEvidence } from './referral-evidence.ts';
import type { ResolverOptions } from './options.ts';
import { forClient, type ClientQuestion, type Resolution } from './resolution.ts';
import { readCache } from '../cache/read.ts';
import { groupRRsets, setRecords } from './rrset.ts';
import { synthesiseCname, T } from './scrub.ts';
import type { UpstreamTransport } from './upstream.ts';
import { instruments } from '../telemetry/instruments.ts';

export interface ResolverDeps {
  transport: UpstreamTransport;
  cache: RecordCache;
  clock: Clock;
  options: ResolverOptions;
  log: Logger;
  /** Shared knowledge of upstream servers; one is made when not given. */
  infra?: InfraCache;
  /** DNSSEC validation (RFC 4035 §5); without it nothing is validated and AD is never earned. */
  validator?: Validator;
}

const TYPE_RRSIG = 46;
/** Bound on remembered DNAME owners (they are rare; the set only avoids blind cache lookups). */
const MAX_DNAME_OWNERS = 10_000;

/**
 * 'validate': a CD=0 client's lookup, and NS-address lookups. 'cd': a CD=1 client's,
 * unvalidated (RFC 4035 §3.2.2). 'raw': the validator's own DS/DNSKEY fetches (it checks
 * them itself and keeps the resulting key states in its key cache).
 */
type Mode = 'validate' | 'cd' | 'raw';

/** A step and the DNSSEC status it carries (absent: not validated). */
interface Judged {
  step: Step;
  status?: DnssecStatus;
}

/** A step found in the cache, with the entry it came from (to re-store it once validated). */
interface Cached extends Judged {
  entry: CachedRRset | CachedNegative;
  remaining: number;
  /** The TTL it was stored with; absent for a CNAME synthesised from a DNAME. */
  storedTtl?: number;
}

/** Where a lookup stands: the name reached, the CNAME chain and the statuses of its links. */
interface Walk {
  name: string;
  chain: RR[];
  statuses: (DnssecStatus | undefined)[];
  visited: Set<string>;
  links: number;
}

const startWalk = (name: string): Walk => ({ name, chain: [], statuses: [], visited: new Set([name]), links: 0 });
const copyWalk = (w: Walk): Walk => ({ name: w.name, chain: [...w.chain], statuses: [...w.statuses], visited: new Set(w.visited), links: w.links });
const isWalk = (x: Finished | Walk): x is Walk => !('kind' in x);

/** How a walk treats the cache: read then iterate; read only; or iterate at once where it starts. */
type How = 'iterate' | 'cache-only' | 'skip-first-read';
const ITERATE: How = 'iterate';
const CACHE_ONLY: How = 'cache-only';
const SKIP_FIRST_READ: How = 'skip-first-read';

/** `resolve(q, REFRESH)`: prefetch renews the cached answer to q, so it does not read it first. */
export const REFRESH = Symbol('refresh');

/** A cache entry that answered part of a question: prefetch compares `ttl` (left) with `storedTtl`. */
export interface CacheLink {
  name: string;
  type: number;
  entry: CachedRRset | CachedNegative;
  ttl: number;
  storedTtl: number;
}

/** Where the cache alone stopped answering a question; hand it back to `resolve`. */
export interface CacheMiss {
  kind: 'miss';
  /** @internal the walk to go on with. */
  walk: Walk;
  read: CacheLink[];
}

export type CacheOutcome = { kind: 'hit'; resolution: Resolution; read: CacheLink[] } | CacheMiss;

function modeOf(q: ClientQuestion, validation: ValidationStage | undefined): Mode {
  // RFC 4035 §3.2.2: CD=1 asks for the data unvalidated; the client validates it itself.
  // QTYPE RRSIG: the signatures themselves are the answer; they cannot be validated as an
  // RRset (each covers another), so they go back unvalidated and without AD, as the peers do.
  return !validation ? 'raw' : q.checkingDisabled || q.qtype === TYPE_RRSIG ? 'cd' : 'validate';
}

export class Resolver {
  private readonly cache: RecordCache;
  private readonly clock: Clock;
  private readonly options: ResolverOptions;
  private readonly log: Logger;
  private readonly iterator: Iterator;
  private readonly validation: ValidationStage | undefined;
  private readonly dnameOwners = new Set<string>();

  constructor(deps: ResolverDeps) {
    this.cache = deps.cache;
    this.clock = deps.clock;
    this.options = deps.options;
    this.log = deps.log;
    const evidence = deps.validator ? new ReferralEvidence() : undefined;
    this.validation = deps.validator && evidence ? new ValidationStage(deps.validator, deps.clock, evidence) : undefined;
    const infra = deps.infra ?? new InfraCache(deps.clock);
    // A getter: a reload may change the limits (operations/reload.ts) while this client lives.
    const options = deps.options;
    const settings = { upstreamPort: options.upstreamPort, get upstreamTimeoutMs() { return options.limits.upstreamTimeoutMs; } };
    const client = new UpstreamClient(deps.transport, infra, deps.clock, settings, deps.log);
    this.iterator = new Iterator({
      client,
      cache: deps.cache,
      infra,
      clock: deps.clock,
      options: deps.options,
      log: deps.log,
      // NS addresses are validated like any answer when validation is on, so that every
      // answer-rank entry in the cache carries a judged status (see judgedStep).
      lookup: (name, type, work) => this.lookup(name, type, work, this.validation ? 'validate' : 'raw'),
      ...(evidence ? { evidence } : {}),
      prime: (zone, work) => this.validation?.prime(zone, this.cache, (n, t, w) => this.lookup(n, t, w, 'raw'), work),
    });
  }

  /**
   * The driver's cache read (pipeline/driver.ts): what the cache alone says about `q`, CNAME
   * chains, DNAMEs, bogus marks and aggressive NSEC included. Never asks upstream for data (the
   * DS/DNSKEY to judge an unchecked entry may be fetched). A miss says where the walk stopped,
   * so that `resolve(q, miss)` goes on from there without reading those keys again.
   */
  async fromCache(q: ClientQuestion): Promise<CacheOutcome> {
    const read: CacheLink[] = [];
    if (q.qtype === T.ANY) return { kind: 'hit', resolution: minimalAny(q.qname), read };
    const walk = startWalk(q.qname);
    const looked = await this.guarded(q, (work) => this.walk(walk, q.qtype, work, modeOf(q, this.validation), CACHE_ONLY, read));
    return isWalk(looked) ? { kind: 'miss', walk: looked, read } : { kind: 'hit', resolution: this.finish(q, looked), read };
  }

  /**
   * Resolves one client question. Never rejects: every failure is a SERVFAIL value. `from`: the
   * miss fromCache returned for `q` (its reads are not repeated), or REFRESH to resolve afresh
   * without taking the cached answer to `q` itself (prefetch renews it).
   */
  async resolve(q: ClientQuestion, from?: CacheMiss | typeof REFRESH): Promise<Resolution> {
    if (q.qtype === T.ANY) return minimalAny(q.qname);
    const walk = from === undefined ? startWalk(q.qname) : from === REFRESH ? startWalk(q.qname) : copyWalk(from.walk);
    const how = from === undefined ? ITERATE : SKIP_FIRST_READ;
    const looked = await this.guarded(q, (work) => this.walk(walk, q.qtype, work, modeOf(q, this.validation), how));
    // ITERATE never stops at a miss.
    return isWalk(looked) ? servfail(EdeCode.OTHER, 'internal error', 'walk stopped') : this.finish(q, looked);
  }

  /** A CD=1 client validates for itself: no AD, even for data held as secure (RFC 4035 §3.2.2, RFC 6840 §5.7). */
  private finish(q: ClientQuestion, looked: Finished): Resolution {
    return forClient(q.checkingDisabled ? withoutStatus(looked) : looked, q);
  }

  /** Runs a walk within one work budget; a limit reached or a bug becomes a SERVFAIL value. */
  private async guarded(q: ClientQuestion, run: (work: Work) => Promise<Finished | Walk>): Promise<Finished | Walk> {
    const work = new Work(new Budget(this.options.limits, this.clock));
    try {
      return await run(work);
    } catch (err) {
      if (err instanceof WorkLimitExceeded) {
        instruments.limitHits.add(1, { limit: err.limit });
        this.log.info('work limit reached', { limit: err.limit, qtype: q.qtype });
        return servfail(EdeCode.OTHER, `andns work limit reached: ${err.limit}`, err.message);
      }
      this.log.error('resolver bug', { err: String((err as Error).stack ?? err) });
      return servfail(EdeCode.OTHER, 'internal error', String(err));
    }
  }

  /** Looks up (name, type), following CNAMEs (cached or fresh) up to the chain limit. */
  private async lookup(name: string, type: number, work: Work, mode: Mode): Promise<Finished> {
    return (await this.walk(startWalk(name), type, work, mode, ITERATE)) as Finished;
  }

  /**
   * Follows (name, type) through CNAMEs, cached or fresh, up to the chain limit. With
   * CACHE_ONLY it stops at the first step the cache cannot answer and returns the walk there;
   * `read` collects the cache entries that answered (prefetch looks at their TTLs).
   */
  private async walk(w: Walk, type: number, work: Work, mode: Mode, how: How, read?: CacheLink[]): Promise<Finished | Walk> {
    let readCacheFirst = how !== SKIP_FIRST_READ;
    for (;;) {
      const judged = await this.judgedStep(w.name, type, work, mode, readCacheFirst, how !== CACHE_ONLY, read);
      readCacheFirst = true;
      if (!judged) return w;
      const { step, status } = judged;
      w.statuses.push(status);
      if (step.kind !== 'cname') return withStatus(prependChain(w.chain, step), w.statuses);
      w.chain.push(...step.records);
      // One step may carry many links (a server's whole chain): each counts, and each owner
      // is a name the chain must not come back to (RFC 1034 §3.6.2).
      const cnames = step.records.filter((r) => r.type === 'CNAME');
      w.links += Math.max(1, cnames.length);
      for (const r of cnames) w.visited.add(r.name);
      if (w.visited.has(step.target) || w.links > this.options.limits.maxCnameChain) {
        return servfail(EdeCode.OTHER, 'CNAME chain too long or looping', `CNAME chain at ${step.target}`);
      }
      w.visited.add(step.target);
      w.name = step.target;
    }
  }

  /**
   * One step of a lookup, judged: a bogus mark or an aggressive-NSEC answer (validate mode),
   * else the cache (unchecked entries validated now), else the iterator (validated, then
   * stored with the verdict). A bogus verdict is a SERVFAIL step; bogus data is never stored.
   */
  private async judgedStep(name: string, type: number, work: Work, mode: Mode, readCacheFirst: boolean, mayIterate: boolean, read?: CacheLink[]): Promise<Judged | undefined> {
    const v = mode === 'validate' ? this.validation : undefined;
    // Not reading first: the driver's read just missed here (or prefetch renews this answer).
    if (v && readCacheFirst) {
      const marked = v.marked(name, type);
      if (marked) {
        instruments.validations.add(1, { outcome: 'bogus-mark' });
        return { step: marked };
      }
      const denied = v.aggressive.answer(name, type);
      if (denied) {
        instruments.validations.add(1, { outcome: 'aggressive-nsec' });
        return { step: denied, status: 'secure' };
      }
    }
    const raw = (n: string, t: number, w: Work): Promise<Finished> => this.lookup(n, t, w, 'raw');
    const cached = readCacheFirst ? await this.fromCacheStep(name, type) : undefined;
    if (cached && read && cached.storedTtl !== undefined) read.push({ name, type, entry: cached.entry, ttl: cached.remaining, storedTtl: cached.storedTtl });
    if (cached) {
      if (!v || (cached.status !== undefined && cached.status !== 'unchecked')) return cached;
      const verdict = await v.judge(name, type, cached.step, [], this.cache, raw, work);
      if (verdict.status !== 'bogus') {
        await restoreJudged(this.cache, cached.entry, cached.remaining, verdict);
        return { step: capStep(cached.step, verdict.ttl), status: verdict.status };
      }
      // Unchecked data that does not validate (e.g. a wildcard answer cached without its
      // proof by a CD=1 query): ask afresh rather than condemn it on partial evidence.
    }
    if (!mayIterate) return undefined;
    const fresh = await this.iterator.iterate(name, type, work);
    const data = fresh.step.kind !== 'servfail' && fresh.step.kind !== 'refused';
    if (!v || !data) {
      // While validation is on, only judged data is stored: layers that read the cache
      // directly (serve-stale, prefetch, other front-ends) must never find an unjudged answer
      // a bogus zone may have sent. So CD=1 answers and the validator's fetches stay out.
      this.noteDnames(fresh.learned);
      if (!this.validation) await storeLearned(this.cache, fresh.learned, {}, this.clock.now());
      return { step: fresh.step };
    }
    const verdict = await v.judge(name, type, fresh.step, fresh.learned.proof.flatMap((s) => [...s.records, ...s.signatures]), this.cache, raw, work);
    if (verdict.status === 'bogus') return { step: v.servfail(verdict) };
    this.noteDnames(fresh.learned);
    await storeLearned(this.cache, fresh.learned, verdict, this.clock.now());
    const step = capStep(fresh.step, verdict.ttl);
    // RFC 8198: validated NSECs of a negative answer deny other names later, without upstream.
    if (verdict.status === 'secure' && fresh.learned.negative && (step.kind === 'nxdomain' || step.kind === 'nodata')) {
      v.aggressive.add(groupRRsets(step.authority), Math.min(fresh.learned.negative.ttl, verdict.ttl ?? Infinity));
    }
    return { step, status: verdict.status };
  }

  /** Remembers the owners of DNAMEs learnt, so cache lookups below them can synthesise. */
  private noteDnames(learned: Learned): void {
    for (const { set } of learned.rrsets) {
      if (set.type !== T.DNAME) continue;
      this.dnameOwners.add(set.name);
      if (this.dnameOwners.size > MAX_DNAME_OWNERS) this.dnameOwners.delete(this.dnameOwners.values().next().value!);
    }
  }

  /** RFC 6672: a cached DNAME above `name` answers it with the DNAME and a synthesised CNAME. */
  private async fromCachedDname(name: string, remaining: (expiresAt: number) => number): Promise<Cached | undefined> {
    if (this.dnameOwners.size === 0) return undefined;
    for (const owner of selfAndAncestors(name).slice(1)) {
      if (!this.dnameOwners.has(owner)) continue;
      const dname = await this.cache.getRRset(owner, T.DNAME);
      if (!dname || dname.rank < Rank.NONAUTH_ANSWER || dname.records.length !== 1) continue;
      const cname = synthesiseCname(dname, name);
      if (!cname) return undefined;
      const ttl = remaining(dname.expiresAt);
      const records = [...setRecords(dname, ttl, true), ...setRecords(cname, ttl, false)];
      const target = cname.records[0]!.data as string;
      return { step: { kind: 'cname', records, target }, entry: dname, remaining: ttl, ...statusOf(dname.status) };
    }
    return undefined;
  }

  /** The fresh cache read (cache/read.ts) as a step of a lookup; a DNAME above the name when none. */
  private async fromCacheStep(name: string, type: number): Promise<Cached | undefined> {
    const now = this.clock.now();
    const found = await readCache(this.cache, name, type, now);
    if (!found) return this.fromCachedDname(name, (expiresAt) => Math.max(0, Math.ceil((expiresAt - now) / 1000)));
    const judged = { entry: found.entry, remaining: found.ttl, storedTtl: found.storedTtl, ...statusOf(found.status) };
    switch (found.kind) {
      case 'answer':
        return { step: { kind: 'answer', answer: found.records, authority: [] }, ...judged };
      case 'nxdomain':
      case 'nodata':
        return { step: { kind: found.kind, answer: [], authority: found.authority }, ...judged };
      case 'cname':
        return { step: { kind: 'cname', records: found.records, target: found.target }, ...judged };
    }
  }
}

function statusOf(status: DnssecStatus | undefined): { status?: DnssecStatus } {
  return status === undefined || status === 'unchecked' ? {} : { status };
}

/**
 * The answer's status is the weakest of its steps' (RFC 4035 §4.3): secure only if every link
 * of a CNAME chain is; absent when nothing was validated.
 */
function withStatus(r: Finished, statuses: (DnssecStatus | undefined)[]): Finished {
  if (r.kind !== 'answer' && r.kind !== 'nodata' && r.kind !== 'nxdomain') return r;
  if (statuses.every((s) => s === undefined)) return r;
  const weakest = statuses.find((s) => s !== 'secure') ?? 'secure';
  return { ...r, status: weakest };
}

function withoutStatus(r: Finished): Finished {
  if ((r.kind !== 'answer' && r.kind !== 'nodata' && r.kind !== 'nxdomain') || r.status === undefined) return r;
  const { status: _, ...rest } = r;
  return rest;
}

/** RFC 8482 §4.2: answer ANY with one synthesised HINFO instead of everything at the name. */
function minimalAny(qname: string): Resolution {
  const hinfo = { name: qname, type: 'HINFO', class: 'IN', ttl: 3600, data: { cpu: 'RFC8482', os: '' } } as RR;
  return { kind: 'answer', answer: [hinfo], authority: [] };
}

function prependChain(chain: RR[], step: Finished): Finished {
  if (chain.length === 0 || (step.kind !== 'answer' && step.kind !== 'nxdomain' && step.kind !== 'nodata')) return step;
  return { ...step, answer: [...chain, ...step.answer] };
}

function servfail(code: number, text: string, reason: string): Resolution {
  return { kind: 'servfail', ede: { code, text }, reason };
}
