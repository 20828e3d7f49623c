// The iterator (RFC 1034 §5.3.3): from the deepest known zone cut (or the root, primed on
// first use) follow referrals to the servers that hold a name, chase CNAMEs across zones,
// look up the addresses of glue-less NS names as sub-queries, and cache what it learns.

import { EdeCode } from '../dns/constants.ts';
import { decodeMessage, type Message, type RR } from '../dns/message.ts';
import { isSubdomain, parentName, selfAndAncestors } from '../dns/name.ts';
import { Rank, type RecordCache, type RRset } from '../cache/record-cache.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { Budget, Work, WorkLimitExceeded } from './budget.ts';
import type { ResolverOptions } from './options.ts';
import { buildQuery } from './query.ts';
import type { ClientQuestion, Resolution } from './resolution.ts';
import { negativeTtl, scrubReply, T, type ReplyKind } from './scrub.ts';
import { setRecords, setTtl } from './rrset.ts';
import { ExchangeError, withTcpFallback, type UpstreamTransport } from './upstream.ts';
import { ServerList } from './servers.ts';

export interface ResolverDeps {
  transport: UpstreamTransport;
  cache: RecordCache;
  clock: Clock;
  options: ResolverOptions;
  log: Logger;
}

/** A step of a lookup: a finished outcome, or a CNAME whose target must be looked up next. */
type Step = Resolution | { kind: 'cname'; records: RR[]; target: string };
type Finished = Exclude<Step, { kind: 'cname' }>;
type Usable = Exclude<ReplyKind, { kind: 'lame' }>;

/** The servers of one zone: NS names and any addresses already known for them (glue). */
interface ZoneServers {
  zone: string;
  nsNames: string[];
  known: Map<string, string[]>;
  /** Forward zones are asked with RD=1 (their servers recurse for us). */
  forward: boolean;
}

export class Resolver {
  private readonly transport: UpstreamTransport;
  private readonly cache: RecordCache;
  private readonly clock: Clock;
  private readonly options: ResolverOptions;
  private readonly log: Logger;
  private priming: Promise<void> | undefined;

  constructor(deps: ResolverDeps) {
    this.transport = withTcpFallback(deps.transport);
    this.cache = deps.cache;
    this.clock = deps.clock;
    this.options = deps.options;
    this.log = deps.log;
  }

  /** Resolves one client question. Never rejects: every failure is a SERVFAIL value. */
  async resolve(q: ClientQuestion): Promise<Resolution> {
    const work = new Work(new Budget(this.options.limits, this.clock));
    try {
      const found = q.recursionDesired ? await this.lookup(q.qname, q.qtype, work) : await this.fromCacheOnly(q.qname, q.qtype);
      return q.dnssecOk || q.qtype === 46 ? found : withoutSignatures(found);
    } catch (err) {
      if (err instanceof WorkLimitExceeded) {
        this.log.info('work limit reached', { limit: err.limit, qtype: q.qtype });
        return servfail(EdeCode.OTHER, `andns work limit reached: ${err.limit}`, err.message);
      }
      this.log.error('resolver bug', { err: String((err as Error).stack ?? err) });
      return servfail(EdeCode.OTHER, 'internal error', String(err));
    }
  }

  /** RD=0: answer from the cache alone, never upstream. */
  private async fromCacheOnly(name: string, type: number): Promise<Finished> {
    const records: RR[] = [];
    for (let i = 0; i <= this.options.limits.maxCnameChain; i++) {
      const step = await this.fromCache(name, type);
      if (!step) break;
      if (step.kind !== 'cname') return prependChain(records, step);
      records.push(...step.records);
      name = step.target;
    }
    return { kind: 'refused', ede: { code: EdeCode.OTHER, text: 'not in cache and recursion not desired' }, reason: 'RD=0 miss' };
  }

  /** Looks up (name, type), following CNAMEs (cached or fresh) up to the chain limit. */
  private async lookup(name: string, type: number, work: Work): Promise<Finished> {
    const chain: RR[] = [];
    const visited = new Set<string>([name]);
    for (;;) {
      const step = (await this.fromCache(name, type)) ?? (await this.iterate(name, type, work));
      if (step.kind !== 'cname') return prependChain(chain, step);
      chain.push(...step.records);
      const links = chain.filter((r) => r.type === 'CNAME').length;
      if (visited.has(step.target) || links > this.options.limits.maxCnameChain) {
        return servfail(EdeCode.OTHER, 'CNAME chain too long or looping', `CNAME chain at ${step.target}`);
      }
      visited.add(step.target);
      name = step.target;
    }
  }

  private async fromCache(name: string, type: number): Promise<Step | undefined> {
    const now = this.clock.now();
    const remaining = (expiresAt: number): number => Math.max(0, Math.ceil((expiresAt - now) / 1000));
    const set = await this.cache.getRRset(name, type);
    if (set && set.rank >= Rank.NONAUTH_ANSWER) {
      return { kind: 'answer', answer: setRecords(set, remaining(set.expiresAt), true), authority: [] };
    }
    const negative = await this.cache.getNegative(name, type);
    if (negative) {
      const ttl = remaining(negative.expiresAt);
      return { kind: negative.kind, answer: [], authority: negative.authority.map((r) => ({ ...r, ttl }) as RR) };
    }
    if (type === T.CNAME) return undefined;
    const cname = await this.cache.getRRset(name, T.CNAME);
    if (cname && cname.rank >= Rank.NONAUTH_ANSWER && cname.records.length === 1) {
      const target = (cname.records[0] as { data: string }).data;
      return { kind: 'cname', records: setRecords(cname, remaining(cname.expiresAt), true), target };
    }
    return undefined;
  }

  /** Asks the servers of the closest known zone cut, following referrals down to an outcome. */
  private async iterate(name: string, type: number, work: Work): Promise<Step> {
    let servers = await this.closestServers(name, type, work);
    for (;;) {
      const reply = await this.askZone(servers, name, type, work);
      if (!reply) {
        return servfail(EdeCode.NO_REACHABLE_AUTHORITY, `no server of ${servers.zone} answered usefully`, `zone ${servers.zone}`);
      }
      if (reply.kind !== 'referral') return this.learnOutcome(reply, type);
      work.budget.referral();
      if (servers.forward) return servfail(EdeCode.OTHER, 'forwarder sent a referral', `forwarder for ${servers.zone}`);
      await this.cache.putRRset(reply.ns, Rank.NONAUTH_AUTHORITY);
      for (const glue of reply.glue) await this.cache.putRRset(glue, Rank.GLUE);
      for (const ds of reply.ds) await this.cache.putRRset(ds, Rank.NONAUTH_AUTHORITY);
      servers = { zone: reply.child, nsNames: nsTargets(reply.ns), known: addressMap(reply.glue), forward: false };
    }
  }

  /** Caches an answer, CNAME or negative reply and turns it into a step. */
  private async learnOutcome(reply: Exclude<Usable, { kind: 'referral' }>, type: number): Promise<Step> {
    const rank = reply.authoritative ? Rank.AUTH_ANSWER : Rank.NONAUTH_ANSWER;
    for (const set of reply.chain) await this.cache.putRRset(set, rank);
    const chain = reply.chain.flatMap((s) => setRecords(s, setTtl(s), true));
    switch (reply.kind) {
      case 'answer':
        for (const set of reply.answer) await this.cache.putRRset(set, rank);
        return { kind: 'answer', answer: [...chain, ...reply.answer.flatMap((s) => setRecords(s, setTtl(s), true))], authority: [] };
      case 'cname':
        return { kind: 'cname', records: chain, target: reply.target };
      case 'nxdomain':
      case 'nodata': {
        const ttl = negativeTtl(reply.soa);
        const authority = [reply.soa, ...reply.proof].flatMap((s) => (s ? setRecords(s, ttl, true) : []));
        if (reply.soa) {
          await this.cache.putNegative({ name: reply.name, type, kind: reply.kind, authority }, ttl);
        }
        return { kind: reply.kind, answer: chain, authority };
      }
    }
  }

  /** The deepest zone cut known for `name` (DS lives at the parent side: start above it). */
  private async closestServers(name: string, type: number, work: Work): Promise<ZoneServers> {
    const start = type === T.DS && name !== '.' ? (parentName(name) ?? '.') : name;
    const forward = this.options.forwardZones
      .filter((f) => isSubdomain(start, f.zone))
      .sort((a, b) => b.zone.length - a.zone.length)[0];
    if (forward) {
      return { zone: forward.zone, nsNames: [forward.zone], known: new Map([[forward.zone, forward.addresses]]), forward: true };
    }
    for (const cut of selfAndAncestors(start)) {
      if (cut === '.') break;
      const ns = await this.cache.getRRset(cut, T.NS);
      if (ns) return { zone: cut, nsNames: nsTargets(ns), known: new Map(), forward: false };
    }
    return this.rootServers(work);
  }

  /** The root's servers: from the cache once primed (RFC 8109), else from the hints. */
  private async rootServers(work: Work): Promise<ZoneServers> {
    let ns = await this.cache.getRRset('.', T.NS);
    if (!ns) {
      this.priming ??= this.primeRoot(work).finally(() => (this.priming = undefined));
      await this.priming;
      ns = await this.cache.getRRset('.', T.NS);
    }
    if (ns) return { zone: '.', nsNames: nsTargets(ns), known: new Map(), forward: false };
    const hints = this.options.rootHints;
    return { zone: '.', nsNames: hints.map((h) => h.name), known: new Map(hints.map((h) => [h.name, h.addresses])), forward: false };
  }

  /** Priming (RFC 8109): ask a hinted root server for ". NS" and cache the answer and addresses. */
  private async primeRoot(work: Work): Promise<void> {
    const hints = this.options.rootHints;
    const servers = { zone: '.', nsNames: hints.map((h) => h.name), known: new Map(hints.map((h) => [h.name, h.addresses])), forward: false };
    const reply = await this.askZone(servers, '.', T.NS, work);
    if (reply?.kind !== 'answer') {
      this.log.warn('root priming failed; using the hints as they are');
      return;
    }
    for (const set of reply.answer) await this.cache.putRRset(set, Rank.AUTH_ANSWER);
    for (const set of reply.additional) await this.cache.putRRset(set, Rank.ADDITIONAL);
  }

  /**
   * Asks the zone's servers one at a time until one gives a usable (non-lame) reply: first
   * those whose addresses are known, then glue-less NS names resolved as sub-queries.
   */
  private async askZone(servers: ZoneServers, name: string, type: number, work: Work): Promise<Usable | undefined> {
    const list = new ServerList(servers.nsNames, this.options.ipv6Upstream);
    for (const ns of servers.nsNames) list.add(ns, servers.known.get(ns) ?? (await this.cachedAddresses(ns)));
    for (;;) {
      for (let address = list.next(); address !== undefined; address = list.next()) {
        const reply = await this.ask(address, servers, name, type, work);
        if (reply && reply.kind !== 'lame') return reply;
      }
      // No known address answered: look up one more glue-less NS name (NXNSAttack: bounded).
      const ns = list.nextUnresolved((n) => !isSubdomain(n, servers.zone) && !work.isResolving(addressKey(n)));
      if (ns === undefined || list.lookups >= this.options.limits.maxNsLookupsPerDelegation) return undefined;
      list.add(ns, await this.resolveAddresses(ns, work));
    }
  }

  /** One upstream exchange, scrubbed; undefined when the server gave nothing usable. */
  private async ask(address: string, servers: ZoneServers, name: string, type: number, work: Work): Promise<ReplyKind | undefined> {
    work.budget.upstreamQuery();
    const timeoutMs = Math.min(this.options.limits.upstreamTimeoutMs, work.budget.remainingMs());
    const query = buildQuery({ name, type, recursionDesired: servers.forward, edns: true });
    let message: Message;
    try {
      const bytes = await this.transport.exchange({ address, port: this.options.upstreamPort, query, protocol: 'udp', timeoutMs });
      message = decodeMessage(bytes);
    } catch (err) {
      if (err instanceof ExchangeError || (err as Error).name === 'WireError') {
        this.log.debug('upstream failed', { address, zone: servers.zone, err: (err as Error).message });
        return undefined;
      }
      throw err;
    }
    const kind = scrubReply(message, { zone: servers.zone, name, type });
    if (kind.kind === 'lame') this.log.debug('lame reply', { address, zone: servers.zone, reason: kind.reason });
    return kind;
  }

  private async cachedAddresses(ns: string): Promise<string[]> {
    const types = this.options.ipv6Upstream ? [T.A, T.AAAA] : [T.A];
    const out: string[] = [];
    for (const t of types) {
      const set = await this.cache.getRRset(ns, t);
      if (set) out.push(...set.records.map((r) => (r as { data: string }).data));
    }
    return out;
  }

  /** Sub-query for an NS name's addresses, sharing the client query's budget. */
  private async resolveAddresses(ns: string, work: Work): Promise<string[]> {
    const sub = work.child(addressKey(ns));
    const types = this.options.ipv6Upstream ? [T.A, T.AAAA] : [T.A];
    const out: string[] = [];
    for (const t of types) {
      const r = await this.lookup(ns, t, sub);
      if (r.kind === 'answer') out.push(...r.answer.filter((rr) => rr.type === (t === T.A ? 'A' : 'AAAA')).map((rr) => (rr as { data: string }).data));
    }
    return out;
  }
}

function addressKey(ns: string): string {
  return `${ns}|addr`;
}

function nsTargets(ns: RRset): string[] {
  return ns.records.map((r) => (r as { data: string }).data);
}

function addressMap(glue: RRset[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const set of glue) {
    const list = map.get(set.name) ?? [];
    list.push(...set.records.map((r) => (r as { data: string }).data));
    map.set(set.name, list);
  }
  return map;
}

function prependChain(chain: RR[], step: Finished): Finished {
  if (chain.length === 0 || (step.kind !== 'answer' && step.kind !== 'nxdomain' && step.kind !== 'nodata')) return step;
  return { ...step, answer: [...chain, ...step.answer] };
}

function withoutSignatures(r: Finished): Finished {
  if (r.kind !== 'answer' && r.kind !== 'nxdomain' && r.kind !== 'nodata') return r;
  const keep = (rr: RR): boolean => rr.type !== 'RRSIG' && rr.type !== 'NSEC' && rr.type !== 'NSEC3';
  return { ...r, answer: r.answer.filter((rr) => rr.type !== 'RRSIG'), authority: r.authority.filter(keep) };
}

function servfail(code: number, text: string, reason: string): Resolution {
  return { kind: 'servfail', ede: { code, text }, reason };
}
