// The iterator (RFC 1034 §5.3.3): from the deepest known zone cut (or the root, primed on first
// use) follow referrals toward a name, revealing one label more per step (QNAME minimisation,
// RFC 9156), find glue-less servers through sub-queries, and cache what it learns.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { isSubdomain, labelCount, parentName, selfAndAncestors, suffixOf } from '../dns/name.ts';
import { Rank, type NegativeAnswer, type RecordCache, type RRset } from '../cache/record-cache.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { Work } from './budget.ts';
import { ZoneGate } from './zone-gate.ts';
import type { UpstreamClient } from './exchange.ts';
import type { InfraCache } from './infra.ts';
import type { ReferralEvidence } from './referral-evidence.ts';
import { InflightQuestions } from './inflight.ts';
import type { ResolverOptions } from './options.ts';
import type { Resolution } from './resolution.ts';
import { negativeTtl, T, type ReplyKind } from './scrub.ts';
import { setRecords, setTtl } from './rrset.ts';
import { ServerList } from './servers.ts';
import { instruments } from '../telemetry/instruments.ts';
import { Lru } from '../util/lru.ts';

/** A step of a lookup: a finished outcome, or a CNAME whose target must be looked up next. */
export type Step = Resolution | { kind: 'cname'; records: RR[]; target: string };
export type Finished = Exclude<Step, { kind: 'cname' }>;

/**
 * What an answer taught, for the resolver to judge before anything reaches the cache (DESIGN
 * §1: resolve → validate → store; bogus data is never cached). Referral data (NS, glue, DS)
 * and NS addresses are cached by the iterator itself, as the iteration needs them at once.
 */
export interface Learned {
  rrsets: { set: RRset; rank: Rank }[];
  negative?: { answer: NegativeAnswer; ttl: number };
  /** NSEC/NSEC3 RRsets (with RRSIGs) of the reply's authority section. */
  proof: RRset[];
}

/** The iterator's result: the step and what to store once it has been judged. */
export interface Fresh {
  step: Step;
  learned: Learned;
}

const NOTHING: Learned = Object.freeze({ rrsets: [], proof: [] }) as Learned;
type Usable = Exclude<ReplyKind, { kind: 'lame' }>;
type Lookup = (name: string, type: number, work: Work) => Promise<Finished>;

/** The servers of one zone: NS names and any addresses already known for them (glue). */
interface ZoneServers {
  zone: string;
  nsNames: string[];
  known: Map<string, string[]>;
  /** Forward zones are asked with RD=1 (their servers recurse for us). */
  forward: boolean;
  /** Found in the cache rather than in a referral just received: its glue may be gone. */
  cached?: boolean;
  /** NS names inside the zone may be looked up (the primed root, through the hints). */
  inZoneLookups?: boolean;
}

// RFC 9156 §2.3: one label per step for the first few, then bigger steps, and a cap.
const MAX_MINIMISE_COUNT = 10;
const MINIMISE_ONE_LAB = 4;
const MINIMISED_NX_HOLD_MS = 60_000;
const MINIMISED_NX_MAX = 10_000;
/** Glue-less NS names looked up at once when no server address is known. */
const PARALLEL_NS_LOOKUPS = 2;

export interface IteratorDeps {
  client: UpstreamClient;
  cache: RecordCache;
  infra: InfraCache;
  clock: Clock;
  options: ResolverOptions;
  log: Logger;
  /** The resolver's full lookup (cache + CNAMEs), for NS address sub-queries. */
  lookup: Lookup;
  /** Where referrals leave their DS or its denial for the validator (absent: validation off). */
  evidence?: ReferralEvidence;
  /** Starts learning a signed child's keys at its referral (validation on only). */
  prime?: (zone: string, work: Work) => void;
}

export class Iterator {
  private readonly d: IteratorDeps;
  private readonly gate: ZoneGate;
  /** Minimised names that drew NXDOMAIN, until when (relaxed minimisation, see below). */
  private readonly minimisedNx = new Lru<number>({ maxEntries: MINIMISED_NX_MAX });
  private priming: Promise<void> | undefined;
  /** Zones whose servers gave a usable reply lately, and when (bounded like minimisedNx). */
  private readonly worked = new Lru<number>({ maxEntries: MINIMISED_NX_MAX });
  /** Questions being asked upstream, shared by every resolution of this resolver. */
  private readonly inflight = new InflightQuestions<{ reply: Usable | undefined; replies: number }>();

  constructor(deps: IteratorDeps) {
    this.d = deps;
    this.gate = new ZoneGate(deps.options.limits.maxInflightPerZone);
  }

  /** Asks the servers of the closest known zone cut, following referrals down to an outcome. */
  async iterate(name: string, type: number, work: Work): Promise<Fresh> {
    let servers = await this.closestServers(name, type, work);
    let known = servers.zone; // deepest name known to exist in servers.zone (minimisation)
    let minimise = this.d.options.qnameMinimisation && !servers.forward;
    let steps = 0;
    for (;;) {
      if (this.d.infra.zoneFailed(servers.zone)) {
        return failed(EdeCode.CACHED_ERROR, `servers of ${servers.zone} failed moments ago`, 'RFC 9520 cached failure');
      }
      let target = minimise && steps < MAX_MINIMISE_COUNT ? minimisedName(known, name, steps) : name;
      if (target !== name && this.minimisedNxdomain(target)) {
        // This zone's servers said NXDOMAIN to this minimised name moments ago; ask the full name.
        minimise = false;
        target = name;
      }
      const minimised = target !== name;
      if (minimised) {
        steps++;
        // Known to exist (cached data, NODATA or CNAME): no need to ask, reveal one more label
        // (Unbound skips such queries too).
        if (await this.d.cache.answer(target, T.A)) {
          known = target;
          continue;
        }
      }
      // RFC 9156 §3: A (as Unbound) or NS (as Knot Resolver) for the minimised names.
      const askType = minimised ? (this.d.options.qnameMinimisationType === 'NS' ? T.NS : T.A) : type;
      // Servers that replied uselessly to this question but answered others moments ago are
      // lame for this question only (e.g. for AAAA): the failure is remembered for it alone.
      // Otherwise (silence, or nothing useful from the zone lately) the whole zone is marked,
      // so that a zone of lame servers costs little (RFC 9520 §3, NRDelegationAttack).
      const questionKey = `${servers.zone}|${target}|${askType}`;
      if (this.d.infra.zoneFailed(questionKey)) {
        return failed(EdeCode.CACHED_ERROR, `servers of ${servers.zone} failed this question moments ago`, 'RFC 9520 cached failure');
      }
      // One exchange per question in flight (server-independent key; 0x20 case is not part of it).
      const sameServers = servers;
      const asked = await this.inflight.run(`${servers.zone}|${target.toLowerCase()}|${askType}|1|${servers.forward ? 'f' : ''}`, work, async (w) => {
        const h = { replies: 0 };
        return { reply: await this.askZone(sameServers, target, askType, w, h), replies: h.replies };
      });
      const reply = asked.reply;
      const heard = { replies: asked.replies };
      if (!reply || (minimised && reply.kind === 'nxdomain')) {
        // Relaxed minimisation: some servers answer errors or NXDOMAIN to empty non-terminals;
        // ask them the full name before believing it (Unbound's non-strict mode does the same).
        if (minimised) {
          if (reply) this.rememberMinimisedNxdomain(target);
          minimise = false;
          continue;
        }
        // A cached cut whose servers gave nothing may have lost its glue (evicted, expired, or
        // on a shared-cache node that is down): ask the parent for the delegation once more.
        if (servers.cached && servers.zone !== '.') {
          servers = await this.closestServers(parentName(servers.zone)!, T.NS, work);
          known = servers.zone;
          continue;
        }
        // Local overload (a sub-query that found the zone gate full) is not the zone's failure.
        if (!work.budget.overloaded) {
          this.d.infra.markZoneFailed(heard.replies > 0 && this.workedLately(servers.zone) ? questionKey : servers.zone);
          instruments.serverEvents.add(1, { event: 'zone-failed' });
        }
        return failed(EdeCode.NO_REACHABLE_AUTHORITY, `no server of ${servers.zone} answered usefully`, `zone ${servers.zone}`);
      }
      if (reply.kind === 'referral') {
        work.budget.referral();
        if (servers.forward) return failed(EdeCode.OTHER, 'forwarder sent a referral', `forwarder for ${servers.zone}`);
        await this.d.cache.putRRset(reply.ns, Rank.NONAUTH_AUTHORITY);
        for (const glue of reply.glue) await this.d.cache.putRRset(glue, Rank.GLUE);
        // With validation on, the DS goes to the validator (evidence) and reaches the cache only
        // once proven with the parent's keys (store.ts storeProvenKeys): nothing unjudged.
        if (!this.d.evidence) for (const ds of reply.ds) await this.d.cache.putRRset(ds, Rank.NONAUTH_AUTHORITY);
        this.d.evidence?.note(reply.child, reply.ds[0], reply.proof, setTtl(reply.ns), this.d.clock.now());
        // Only with glue: a glue-less child's NS addresses are being looked up by this very
        // resolution, and a second asker would only race it.
        if (reply.ds.length > 0 && reply.glue.length > 0) this.d.prime?.(reply.child, work);
        servers = { zone: reply.child, nsNames: nsTargets(reply.ns), known: addressMap(reply.glue), forward: false };
        known = reply.child;
        continue;
      }
      const step = await this.learnOutcome(reply, askType);
      if (!minimised) return step;
      known = target; // the minimised name exists inside this zone: reveal one more label
    }
  }

  /** Remembers that a server of `zone` gave a usable reply just now. */
  private noteWorked(zone: string): void {
    this.worked.set(zone, this.d.clock.now());
  }

  private workedLately(zone: string): boolean {
    const at = this.worked.get(zone);
    return at !== undefined && this.d.clock.now() - at < MINIMISED_NX_HOLD_MS;
  }

  private minimisedNxdomain(name: string): boolean {
    const until = this.minimisedNx.get(name);
    if (until === undefined) return false;
    if (until > this.d.clock.now()) return true;
    this.minimisedNx.delete(name);
    return false;
  }

  /**
   * Relaxed minimisation does not believe a minimised NXDOMAIN (it may be a broken server's
   * answer for an empty non-terminal), but remembers it briefly so that the next names below
   * go straight to the full query instead of asking the same minimised name again.
   */
  private rememberMinimisedNxdomain(name: string): void {
    this.minimisedNx.set(name, this.d.clock.now() + MINIMISED_NX_HOLD_MS);
  }

  /** Turns an answer, CNAME or negative reply into a step and what it taught (stored by the resolver). */
  private async learnOutcome(reply: Exclude<Usable, { kind: 'referral' }>, type: number): Promise<Fresh> {
    const rank = reply.authoritative ? Rank.AUTH_ANSWER : Rank.NONAUTH_ANSWER;
    const rrsets = reply.chain.map((set) => ({ set, rank }));
    const chain = reply.chain.flatMap((s) => setRecords(s, setTtl(s), true));
    const proof = reply.proof;
    switch (reply.kind) {
      case 'answer':
        // NS addresses serve the iteration, not a client: no validation needed to use them.
        for (const set of reply.additional) await this.d.cache.putRRset(set, Rank.ADDITIONAL);
        rrsets.push(...reply.answer.map((set) => ({ set, rank })));
        return {
          step: { kind: 'answer', answer: [...chain, ...reply.answer.flatMap((s) => setRecords(s, setTtl(s), true))], authority: [] },
          learned: { rrsets, proof },
        };
      case 'cname':
        return { step: { kind: 'cname', records: chain, target: reply.target }, learned: { rrsets, proof } };
      case 'nxdomain':
      case 'nodata': {
        const ttl = negativeTtl(reply.soa);
        const authority = [reply.soa, ...proof].flatMap((s) => (s ? setRecords(s, ttl, true) : []));
        const negative = reply.soa ? { answer: { name: reply.name, type, kind: reply.kind, authority }, ttl } : undefined;
        return { step: { kind: reply.kind, answer: chain, authority }, learned: { rrsets, proof, ...(negative ? { negative } : {}) } };
      }
    }
  }

  /** The deepest zone cut known for `name` (DS lives at the parent side: start above it). */
  private async closestServers(name: string, type: number, work: Work): Promise<ZoneServers> {
    const start = type === T.DS && name !== '.' ? (parentName(name) ?? '.') : name;
    const forward = this.d.options.forwardZones
      .filter((f) => isSubdomain(start, f.zone))
      .sort((a, b) => b.zone.length - a.zone.length)[0];
    if (forward) {
      return { zone: forward.zone, nsNames: [forward.zone], known: new Map([[forward.zone, forward.addresses]]), forward: true };
    }
    // Ask for every cut at once: a shared cache batches them into one round trip.
    const cuts = selfAndAncestors(start).filter((cut) => cut !== '.');
    const found = await Promise.all(cuts.map((cut) => this.d.cache.getRRset(cut, T.NS)));
    const deepest = found.findIndex((ns) => ns !== undefined);
    if (deepest >= 0) return { zone: cuts[deepest]!, nsNames: nsTargets(found[deepest]!), known: new Map(), forward: false, cached: true };
    return this.rootServers(work);
  }

  /** The root's servers: from the cache once primed (RFC 8109), else from the hints. */
  private async rootServers(work: Work): Promise<ZoneServers> {
    let ns = await this.d.cache.getRRset('.', T.NS);
    // Priming off: the hints are the root's servers (every upstream query is then a client's).
    if (!ns && this.d.options.rootPriming === false) return this.hintServers();
    if (!ns) {
      this.priming ??= this.primeRoot(work).finally(() => (this.priming = undefined));
      await this.priming;
      ns = await this.d.cache.getRRset('.', T.NS);
    }
    if (!ns) return this.hintServers();
    const names = nsTargets(ns);
    const addresses = await Promise.all(names.map((n) => this.cachedAddresses(n)));
    if (addresses.some((a) => a.length > 0)) return { zone: '.', nsNames: names, known: new Map(), forward: false };
    // RFC 8109 §4: a priming reply without glue must not lose the root. The hints' addresses
    // stay usable until the primed names resolve (through those very addresses, see askZone).
    const hints = this.hintServers();
    return { zone: '.', nsNames: [...new Set([...names, ...hints.nsNames])], known: hints.known, forward: false, inZoneLookups: true };
  }

  private hintServers(): ZoneServers {
    const hints = this.d.options.rootHints;
    return { zone: '.', nsNames: hints.map((h) => h.name), known: new Map(hints.map((h) => [h.name, h.addresses])), forward: false };
  }

  /** Priming (RFC 8109): ask a hinted root server for ". NS" and cache the answer and addresses. */
  private async primeRoot(work: Work): Promise<void> {
    const reply = await this.askZone(this.hintServers(), '.', T.NS, work);
    if (reply?.kind !== 'answer') {
      this.d.log.warn('root priming failed; using the hints as they are');
      return;
    }
    // Stored as delegation data, not as an answer: the priming reply is not validated, and data
    // that has not been judged must never reach a client, however it is read (a cache hit, a
    // stale read). A client's ". NS" is asked afresh and validated like any other question.
    for (const set of reply.answer) await this.d.cache.putRRset(set, Rank.NONAUTH_AUTHORITY);
    for (const set of reply.additional) await this.d.cache.putRRset(set, Rank.ADDITIONAL);
  }

  /**
   * Asks the zone's servers one at a time until one gives a usable (non-lame) reply: first
   * those whose addresses are known, then glue-less NS names resolved as sub-queries.
   */
  private async askZone(servers: ZoneServers, name: string, type: number, work: Work, heard = { replies: 0 }): Promise<Usable | undefined> {
    const { options } = this.d;
    const policy = {
      ipv6: options.ipv6Upstream,
      ipv4: options.ipv4Upstream ?? true,
      allowLocal: options.allowLocalUpstream ?? false,
      noLoopback: options.doNotQueryLocalhost ?? false,
    };
    const list = new ServerList(servers.zone, servers.nsNames, policy, this.d.infra);
    for (const ns of servers.nsNames) list.add(ns, servers.known.get(ns) ?? (await this.cachedAddresses(ns)));
    const ask = { zone: servers.zone, name, type, recursionDesired: servers.forward, hardenGlue: options.hardenGlue ?? true };
    for (;;) {
      for (let address = list.next(); address !== undefined; address = list.next()) {
        const reply = await this.limitedAsk(address, ask, work);
        if (reply) heard.replies++;
        if (reply && reply.kind !== 'lame') {
          this.noteWorked(servers.zone);
          return reply;
        }
      }
      // No known address answered: look up glue-less NS names, a few at once (NXNSAttack: bounded).
      const batch: string[] = [];
      while (batch.length < PARALLEL_NS_LOOKUPS && list.lookups < options.limits.maxNsLookupsPerDelegation) {
        // An NS name inside its own zone needs that zone's servers to resolve: a cycle, except for
        // the primed root's names, which resolve through the hints (RFC 8109 §4).
        const resolvable = (n: string): boolean => servers.inZoneLookups === true || !isSubdomain(n, servers.zone);
        const ns = list.nextUnresolved((n) => resolvable(n) && !work.isResolving(addressKey(n)));
        if (ns === undefined) break;
        batch.push(ns);
      }
      if (batch.length === 0) return undefined;
      const found = await firstNonEmpty(batch.map((ns) => this.resolveAddresses(ns, work).then((a) => ({ ns, a }))));
      for (const { ns, a } of found) list.add(ns, a);
    }
  }

  /** One exchange, under the per-zone cap on upstream queries in flight (zone-gate.ts: the excess waits). */
  private async limitedAsk(address: string, ask: Parameters<UpstreamClient['ask']>[1], work: Work): Promise<ReplyKind | undefined> {
    await this.gate.enter(ask.zone, work.budget);
    try {
      return await this.d.client.ask(address, ask, work);
    } finally {
      this.gate.leave(ask.zone);
    }
  }

  private async cachedAddresses(ns: string): Promise<string[]> {
    // A and AAAA of one name share a slot in a shared cache: asked together, one round trip.
    const sets = await Promise.all(this.addressTypes().map((t) => this.d.cache.getRRset(ns, t)));
    return sets.flatMap((set) => (set ? set.records.map((r) => r.data as string) : []));
  }

  /** Sub-query for an NS name's addresses, sharing the client query's budget. */
  private async resolveAddresses(ns: string, work: Work): Promise<string[]> {
    const sub = work.child(addressKey(ns));
    const out: string[] = [];
    for (const t of this.addressTypes()) {
      const r = await this.d.lookup(ns, t, sub);
      if (r.kind === 'answer') out.push(...r.answer.filter((rr) => rr.type === (t === T.A ? 'A' : 'AAAA')).map((rr) => rr.data as string));
    }
    return out;
  }

  private addressTypes(): number[] {
    const { ipv6Upstream, ipv4Upstream } = this.d.options;
    return [...(ipv4Upstream ?? true ? [T.A] : []), ...(ipv6Upstream ? [T.AAAA] : [])];
  }
}

/** RFC 9156 §2.3: the next name to reveal below `known` on the way to `name`. */
export function minimisedName(known: string, name: string, steps: number): string {
  const have = labelCount(known);
  const remaining = labelCount(name) - have;
  if (remaining <= 1) return name;
  const add = steps < MINIMISE_ONE_LAB ? 1 : Math.max(1, Math.floor(remaining / (MAX_MINIMISE_COUNT - steps)));
  return suffixOf(name, have + add);
}

/** Settles with the first task that found addresses (all tasks' results so far), or all of them. */
function firstNonEmpty(tasks: Promise<{ ns: string; a: string[] }>[]): Promise<{ ns: string; a: string[] }[]> {
  return new Promise((resolve, reject) => {
    const results: { ns: string; a: string[] }[] = [];
    let pending = tasks.length;
    let failure: unknown;
    const settle = (): void => {
      if (--pending > 0) return;
      if (results.some((r) => r.a.length > 0) || failure === undefined) resolve(results);
      else reject(failure);
    };
    for (const t of tasks) {
      t.then(
        (r) => {
          results.push(r);
          if (r.a.length > 0) resolve(results);
          settle();
        },
        (err: unknown) => {
          failure ??= err;
          settle();
        },
      );
    }
  });
}

function addressKey(ns: string): string {
  return `${ns}|addr`;
}

function nsTargets(ns: RRset): string[] {
  return ns.records.map((r) => r.data as string);
}

function addressMap(glue: RRset[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const set of glue) map.set(set.name, [...(map.get(set.name) ?? []), ...set.records.map((r) => r.data as string)]);
  return map;
}

function failed(code: number, text: string, reason: string): Fresh {
  return { step: { kind: 'servfail', ede: { code, text }, reason }, learned: NOTHING };
}
