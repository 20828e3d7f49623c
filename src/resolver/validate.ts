// The validation stage: judges each step of a lookup with the DNSSEC validator, fetching DS and
// DNSKEY through the resolver itself, and remembers bogus names briefly (RFC 4035 §4.7).

import { EdeCode } from '../dns/constants.ts';
import type { RecordCache } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';

import type { KeyFetch } from '../dnssec/fetch.ts';
import type { AnswerInput, ValidationResult, Validator } from '../dnssec/validator.ts';
import type { Clock } from '../util/clock.ts';
import { AggressiveNsec } from './aggressive.ts';
import { WorkLimitExceeded, type Work } from './budget.ts';
import type { FetchResult } from '../dnssec/fetch.ts';
import { InflightQuestions } from './inflight.ts';
import type { ProvenKeys } from '../dnssec/chain.ts';
import { storeProvenKeys } from './store.ts';
import type { Finished, Step } from './iterator.ts';
import type { Resolution } from './resolution.ts';
import type { ReferralEvidence } from './referral-evidence.ts';
import { groupRRsets } from './rrset.ts';
import { instruments } from '../telemetry/instruments.ts';
import { Lru } from '../util/lru.ts';

const TYPE_DS = 43;
/** Seconds a name found bogus is answered SERVFAIL without asking again (Unbound's bogus-ttl). */
const BOGUS_TTL = 60;
/** Zones primed at once, at most (each holds a few fetches of one client query's budget). */
const MAX_PRIMING = 1000;
const MAX_MARKS = 10_000;

/** A judged step: secure, insecure or indeterminate with a TTL cap, or bogus with its EDE. */
export type Verdict = ValidationResult;

/** The resolver's unvalidated lookup for DS/DNSKEY, under the given work (its budget and wait path). */
type RawLookup = (name: string, type: number, work: Work) => Promise<Finished>;

export class ValidationStage {
  readonly validator: Validator;
  readonly aggressive: AggressiveNsec;
  private readonly clock: Clock;
  private readonly marks = new Lru<{ step: Resolution; expiresAt: number }>({ maxEntries: MAX_MARKS });
  /** DS RRsets and denials that referrals carried (filled by the iterator). */
  readonly evidence: ReferralEvidence;
  /**
   * DS/DNSKEY fetches in flight, shared by every validation of this process: concurrent
   * validations of names in one zone fetch its keys once, and the first to get them keeps
   * the key state (chain.ts) before the others look again.
   */
  private readonly fetching = new InflightQuestions<FetchResult>();
  /** Zones whose keys are being learnt ahead of their answers (prime), by zone. */
  private readonly priming = new Map<string, Promise<unknown>>();

  constructor(validator: Validator, clock: Clock, evidence: ReferralEvidence) {
    this.validator = validator;
    this.clock = clock;
    this.evidence = evidence;
    this.aggressive = new AggressiveNsec(clock, validator.limits, validator.aggressiveMaxEntries);
  }

  /**
   * Validates what a step says about (name, type). `proof` is the NSEC/NSEC3 of the reply's
   * authority section (wildcard answers need it). Never throws a validation failure: a bogus
   * result is a value. A work limit hit while fetching keys ends the query as it would anywhere.
   */
  async judge(name: string, type: number, step: Step, proof: RR[], cache: RecordCache, lookup: RawLookup, work: Work): Promise<Verdict> {
    const input = validatorInput(name, type, step, proof);
    if (!input) return { status: 'insecure', reason: 'nothing to validate', work: { verifications: 0, hashes: 0 } };
    const { result: verdict, limit, fetchFailed } = await this.withKeys(cache, lookup, work, (fetch, keep) => this.validator.validateAnswer(input, fetch, keep));
    if (limit) throw limit;
    instruments.validations.add(1, { outcome: verdict.status });
    // A bogus verdict caused by keys that could not be fetched is not remembered: it may pass.
    if (verdict.status === 'bogus' && !fetchFailed) this.mark(name, type, verdict);
    return verdict;
  }

  /**
   * At a referral to a signed child (its DS came with it), learn the child's keys while the
   * iterator asks the child's servers, as Knot Resolver does: the DNSKEY question goes out
   * beside the data question instead of after it, one round trip saved per secure zone. In
   * the background; the key state it proves is kept (key cache, shared tier) for the answer's
   * validation, which joins its fetches if they are still in flight.
   */
  prime(zone: string, cache: RecordCache, lookup: RawLookup, work: Work): void {
    if (this.priming.has(zone) || this.validator.keyCache.get(zone, Math.floor(this.clock.now() / 1000))) return;
    if (this.priming.size >= MAX_PRIMING) return;
    const done = this.withKeys(cache, lookup, work, (fetch, keep) => this.validator.zoneStatus(zone, fetch, keep))
      .catch(() => undefined)
      .finally(() => this.priming.delete(zone));
    this.priming.set(zone, done);
  }

  /**
   * Runs the validator with a KeyFetch over the resolver: fetches are shared in the process
   * (inflight.ts) and stay joinable until `body` has kept what it proved; proven keys go to the
   * cache. A work limit hit while fetching is returned, not thrown across the validator.
   */
  private async withKeys<T>(
    cache: RecordCache,
    lookup: RawLookup,
    work: Work,
    body: (fetch: KeyFetch, keep: (p: ProvenKeys) => void) => Promise<T>,
  ): Promise<{ result: T; limit: WorkLimitExceeded | undefined; fetchFailed: boolean }> {
    let limit: WorkLimitExceeded | undefined;
    let fetchFailed = false;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const fetch: KeyFetch = async (n, t, options) => {
      const skipReferral = options?.skipReferral === true;
      try {
        const key = `${n.toLowerCase()}|${t}${skipReferral ? '|asked' : ''}`;
        const r = await this.fetching.run(key, work, (w) => keyFetch(cache, (nn, tt) => lookup(nn, tt, w), n, t, skipReferral ? undefined : this.evidence, this.clock.now()), finished);
        if (r.kind === 'error') fetchFailed = true;
        return r;
      } catch (err) {
        if (!(err instanceof WorkLimitExceeded)) throw err;
        limit ??= err;
        return { kind: 'error', reason: err.message };
      }
    };
    try {
      const proven: ProvenKeys[] = [];
      const result = await body(fetch, (p) => proven.push(p));
      // Kept before the fetches this validation led are released: a validation that finds
      // neither them nor the key state must find the keys in the cache. A cache that cannot
      // take them costs a later fetch, never this answer.
      await Promise.all(proven.map((p) => storeProvenKeys(cache, p).catch(() => undefined)));
      return { result, limit, fetchFailed };
    } finally {
      finish();
    }
  }

  /** The SERVFAIL a bogus verdict becomes (RFC 8914: the validator's EDE, or DNSSEC Bogus). */
  servfail(verdict: Verdict): Resolution {
    const ede = verdict.ede ?? { code: EdeCode.DNSSEC_BOGUS, text: verdict.reason };
    return { kind: 'servfail', ede, reason: `DNSSEC bogus: ${verdict.reason}` };
  }

  /** The remembered SERVFAIL for a name found bogus moments ago, if any. */
  marked(name: string, type: number): Resolution | undefined {
    const k = `${name}|${type}`;
    const m = this.marks.get(k);
    if (!m) return undefined;
    // A negative trust anchor added since (RFC 7646, at run time) lifts the mark at once.
    if (m.expiresAt > this.clock.now() && !this.validator.ntas.covers(name)) return m.step;
    this.marks.delete(k);
    return undefined;
  }

  private mark(name: string, type: number, verdict: Verdict): void {
    this.marks.set(`${name}|${type}`, { step: this.servfail(verdict), expiresAt: this.clock.now() + BOGUS_TTL * 1000 });
  }
}

/** The validator's view of one step: the chain and data with RRSIGs, and the proofs. */
function validatorInput(qname: string, qtype: number, step: Step, proof: RR[]): AnswerInput | undefined {
  switch (step.kind) {
    case 'answer':
      return { qname, qtype, kind: 'answer', answer: step.answer, authority: [...step.authority, ...proof] };
    case 'cname':
      return { qname, qtype, kind: 'answer', answer: step.records, authority: proof };
    case 'nodata':
    case 'nxdomain':
      return { qname, qtype, kind: step.kind, answer: step.answer, authority: step.authority };
    default:
      return undefined;
  }
}

/**
 * The validator's KeyFetch over the resolver (RFC 4035 §5: DS and DNSKEY are ordinary
 * lookups). A DS or DS denial learnt from a referral is used as it is: the validator checks
 * its RRSIGs against the parent's keys. Only when the referral carried neither is the
 * parent asked for DS.
 */
async function keyFetch(cache: RecordCache, lookup: (name: string, type: number) => Promise<Finished>, name: string, type: number, evidence: ReferralEvidence | undefined, now: number): ReturnType<KeyFetch> {
  if (type === TYPE_DS) {
    const referred = evidence?.ds(name, now);
    if (referred) return referred;
    const ds = await cache.getRRset(name, type);
    if (ds && ds.signatures.length > 0) return { kind: 'rrset', rrset: ds };
  }
  const r = await lookup(name, type);
  switch (r.kind) {
    case 'answer': {
      const set = groupRRsets(r.answer).find((s) => s.name === name && s.type === type);
      return set ? { kind: 'rrset', rrset: set } : { kind: 'error', reason: `the answer for ${name}/${type} holds no such RRset` };
    }
    case 'nodata':
    case 'nxdomain':
      return { kind: 'negative', authority: r.authority };
    case 'servfail':
    case 'refused':
      return { kind: 'error', reason: r.reason, ede: r.ede };
  }
}
