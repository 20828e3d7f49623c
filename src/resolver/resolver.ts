// The resolver: answers a client question from the cache, or through the iterator, following
// CNAME chains across both, within one work budget; every failure becomes a SERVFAIL value.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import type { RecordCache } from '../cache/record-cache.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { Budget, Work, WorkLimitExceeded } from './budget.ts';
import { UpstreamClient } from './exchange.ts';
import { InfraCache } from './infra.ts';
import { Iterator, type Finished, type Step } from './iterator.ts';
import type { ResolverOptions } from './options.ts';
import type { ClientQuestion, Resolution } from './resolution.ts';
import { setRecords } from './rrset.ts';
import { T } from './scrub.ts';
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
}

const TYPE_RRSIG = 46;

export class Resolver {
  private readonly cache: RecordCache;
  private readonly clock: Clock;
  private readonly options: ResolverOptions;
  private readonly log: Logger;
  private readonly iterator: Iterator;

  constructor(deps: ResolverDeps) {
    this.cache = deps.cache;
    this.clock = deps.clock;
    this.options = deps.options;
    this.log = deps.log;
    const infra = deps.infra ?? new InfraCache(deps.clock);
    const settings = { upstreamPort: deps.options.upstreamPort, upstreamTimeoutMs: deps.options.limits.upstreamTimeoutMs };
    const client = new UpstreamClient(deps.transport, infra, deps.clock, settings, deps.log);
    this.iterator = new Iterator({
      client,
      cache: deps.cache,
      infra,
      options: deps.options,
      log: deps.log,
      lookup: (name, type, work) => this.lookup(name, type, work),
    });
  }

  /** Resolves one client question. Never rejects: every failure is a SERVFAIL value. */
  async resolve(q: ClientQuestion): Promise<Resolution> {
    if (q.qtype === T.ANY) return minimalAny(q.qname);
    const work = new Work(new Budget(this.options.limits, this.clock));
    try {
      const found = q.recursionDesired ? await this.lookup(q.qname, q.qtype, work) : await this.fromCacheOnly(q.qname, q.qtype);
      return q.dnssecOk || q.qtype === TYPE_RRSIG ? found : withoutDnssecRecords(found);
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
  private async lookup(name: string, type: number, work: Work): Promise<Finished> {
    const chain: RR[] = [];
    const visited = new Set<string>([name]);
    for (let links = 0; ; links++) {
      const step = (await this.fromCache(name, type)) ?? (await this.iterator.iterate(name, type, work));
      if (step.kind !== 'cname') return prependChain(chain, step);
      chain.push(...step.records);
      if (visited.has(step.target) || links >= this.options.limits.maxCnameChain) {
        return servfail(EdeCode.OTHER, 'CNAME chain too long or looping', `CNAME chain at ${step.target}`);
      }
      visited.add(step.target);
      name = step.target;
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

  private async fromCache(name: string, type: number): Promise<Step | undefined> {
    const now = this.clock.now();
    const remaining = (expiresAt: number): number => Math.max(0, Math.ceil((expiresAt - now) / 1000));
    // One call: a shared cache fetches the RRset, negative and CNAME keys in one round trip.
    const found = await this.cache.answer(name, type);
    switch (found?.kind) {
      case undefined:
        return undefined;
      case 'rrset':
        return { kind: 'answer', answer: setRecords(found.rrset, remaining(found.rrset.expiresAt), true), authority: [] };
      case 'negative': {
        const ttl = remaining(found.negative.expiresAt);
        return { kind: found.negative.kind, answer: [], authority: found.negative.authority.map((r) => ({ ...r, ttl }) as RR) };
      }
      case 'cname': {
        if (found.cname.records.length !== 1) return undefined;
        const target = found.cname.records[0]!.data as string;
        return { kind: 'cname', records: setRecords(found.cname, remaining(found.cname.expiresAt), true), target };
      }
    }
  }
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

/** RFC 4035 §3.2.1: without DO, no RRSIG/NSEC/NSEC3 unless asked for by type. */
function withoutDnssecRecords(r: Finished): Finished {
  if (r.kind !== 'answer' && r.kind !== 'nxdomain' && r.kind !== 'nodata') return r;
  const keep = (rr: RR): boolean => rr.type !== 'RRSIG' && rr.type !== 'NSEC' && rr.type !== 'NSEC3';
  return { ...r, answer: r.answer.filter((rr) => rr.type !== 'RRSIG'), authority: r.authority.filter(keep) };
}

function servfail(code: number, text: string, reason: string): Resolution {
  return { kind: 'servfail', ede: { code, text }, reason };
}
