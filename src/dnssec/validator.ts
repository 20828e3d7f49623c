// The Validator: classifies a resolved answer as secure, insecure, bogus or indeterminate (RFC 4035 §5).

import { EdeCode } from '../dns/constants.ts';
import type { RRset } from '../cache/record-cache.ts';
import type { RR } from '../dns/message.ts';
import { canonicalName, isSubdomain } from '../dns/name.ts';
import { NegativeTrustAnchors, type TrustAnchors } from './anchors.ts';
import { lowerAscii } from './canonical.ts';
import { T, type Ede, type SecurityStatus } from './constants.ts';
import { keysFor, type ChainContext, type ChainResult, type ProvenKeys } from './chain.ts';
import { proveNodata, proveNxdomain, proveWildcardAnswer } from './denial.ts';
import { signersOf, zoneEvidence } from './evidence.ts';
import type { KeyFetch } from './fetch.ts';
import { MemoryKeyCache, type KeyCache } from './key-cache.ts';
import { Budget, DEFAULT_LIMITS, LimitExceeded, type Limits } from './limits.ts';
import { verifyRRset } from './rrsig.ts';
import { groupRRsets } from './rrsets.ts';

export interface ValidatorOptions {
  trustAnchors: TrustAnchors;
  /** RFC 7646 names below which validation is off (answers are insecure). */
  negativeTrustAnchors?: Iterable<string>;
  limits?: Partial<Limits>;
  /** Seconds since the epoch (a Clock's ms / 1000). */
  now: () => number;
  /** Where zone key states live across validations; default an in-process LRU. */
  keyCache?: KeyCache;
  /** Bound on the NSEC/NSEC3 entries each resolver keeps for aggressive use (RFC 8198): its memory share. */
  aggressiveMaxEntries?: number;
}

/** A resolved answer as the iterator produced it (owner names canonical, RRSIGs kept). */
export interface AnswerInput {
  qname: string;
  qtype: number;
  kind: 'answer' | 'nodata' | 'nxdomain';
  /** Answer section: CNAME/DNAME chain first, with RRSIGs. */
  answer: RR[];
  /** Authority section: SOA and NSEC/NSEC3 (negative and wildcard answers), with RRSIGs. */
  authority: RR[];
}

export interface ValidationResult {
  status: SecurityStatus;
  /** For SERVFAIL on bogus (and informative on insecure, e.g. EDE 27 or 1). */
  ede?: Ede;
  reason: string;
  /** Secure only: the TTL cap for caching (RRSIG original TTL and expiration, RFC 4035 §5.3.3). */
  ttl?: number;
  /** Work done, for metrics and limit tests. */
  work: { verifications: number; hashes: number };
}

type Part = { status: 'secure'; ttl: number } | { status: Exclude<SecurityStatus, 'secure'>; reason: string; ede?: Ede };

const MAX_CNAME_CHAIN = 16;

export class Validator {
  private readonly anchors: TrustAnchors;
  /** Changed at run time by the control endpoint and by a reload. */
  readonly ntas: NegativeTrustAnchors;
  readonly limits: Limits;
  private readonly now: () => number;
  readonly keyCache: KeyCache;
  readonly aggressiveMaxEntries: number | undefined;

  constructor(options: ValidatorOptions) {
    this.aggressiveMaxEntries = options.aggressiveMaxEntries;
    this.anchors = options.trustAnchors;
    this.ntas = new NegativeTrustAnchors(options.negativeTrustAnchors ?? []);
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
    this.now = options.now;
    this.keyCache = options.keyCache ?? new MemoryKeyCache();
  }

  /** Validates every RRset of the answer and, for negative or wildcard answers, the denial proof. */
  async validateAnswer(input: AnswerInput, fetch: KeyFetch, keep?: (proven: ProvenKeys) => void): Promise<ValidationResult> {
    return this.run(fetch, (c) => this.parts(c, input), keep);
  }

  /**
   * Security of the zone holding `name` without any data to check: "secure" means signatures
   * must be expected there, "insecure" that a proven unsigned delegation lies above it.
   */
  async zoneStatus(name: string, fetch: KeyFetch, keep?: (proven: ProvenKeys) => void): Promise<ValidationResult> {
    return this.run(fetch, async (c) => {
      const s = fromChain(await keysFor(c, canonicalName(name), false));
      return [s.status === 'secure' ? { status: 'secure', ttl: Number.MAX_SAFE_INTEGER } : s];
    }, keep);
  }

  private async run(fetch: KeyFetch, body: (c: ChainContext) => Promise<Part[]>, keep?: (proven: ProvenKeys) => void): Promise<ValidationResult> {
    const budget = new Budget(this.limits);
    const c: ChainContext = {
      ...(keep ? { keep } : {}),
      anchors: this.anchors,
      ntas: this.ntas,
      fetch,
      cache: this.keyCache,
      sig: { now: Math.floor(this.now()), budget },
      memo: new Map(),
    };
    const work = () => ({ verifications: budget.verifications, hashes: budget.hashes });
    try {
      return { ...combine(await body(c)), work: work() };
    } catch (err) {
      // Limits end validation as bogus; anything else is a broken invariant: fail the query, not the process.
      const limit = err instanceof LimitExceeded;
      const text = limit ? err.message : `validator error: ${(err as Error).message}`;
      return { status: 'bogus', reason: text, ede: { code: limit ? EdeCode.DNSSEC_BOGUS : EdeCode.OTHER, text }, work: work() };
    }
  }

  private async parts(c: ChainContext, input: AnswerInput): Promise<Part[]> {
    const nta = this.ntas.covers(input.qname);
    if (nta) return [{ status: 'insecure', reason: `negative trust anchor ${nta} (RFC 7646)` }];
    const answer = groupRRsets(input.answer);
    const authority = groupRRsets(input.authority);
    const parts: Part[] = [];
    for (const set of answer) {
      if (synthesisedByDname(set, answer)) continue; // RFC 6672 §5.3.3: the DNAME's RRSIG covers it
      parts.push(await this.rrsetPart(c, set, authority));
    }
    if (input.kind !== 'answer') {
      const name = chainEnd(input.qname, answer);
      parts.push(await this.negativePart(c, name, input.qtype, input.kind, authority));
    }
    return parts;
  }

  /** One RRset: find its signer's keys through the chain, verify, and prove any wildcard expansion. */
  private async rrsetPart(c: ChainContext, set: RRset, authority: RRset[]): Promise<Part> {
    let signers = signersOf([set]);
    // RFC 4035 §5.2: a DS RRset is signed by the parent, never by the zone it names.
    if (set.type === T.DS) signers = signers.filter((s) => s !== set.name || s === '.');
    if (signers.length === 0) return this.unsignedPart(c, set.name, set.signatures.length > 0 ? 'unusable' : 'missing', `${set.name}/${set.type}`);
    let last: Part | undefined;
    for (const signer of signers) {
      const state = fromChain(await keysFor(c, signer, true));
      if (state.status !== 'secure') {
        last = state;
        if (state.status === 'insecure' || state.status === 'indeterminate') return state;
        continue;
      }
      const check = verifyRRset(set, signer, state.keys, c.sig);
      if (check.status === 'bogus') {
        last = { status: 'bogus', reason: check.reason, ede: check.ede };
        continue;
      }
      if (!check.wildcard) return { status: 'secure', ttl: check.ttl };
      const evidence = zoneEvidence(signer, state.keys, authority, c.sig);
      if ('status' in evidence) return { status: 'bogus', reason: evidence.reason, ede: evidence.ede };
      const proof = proveWildcardAnswer(evidence.denial, set.name, check.wildcard);
      if (proof.status === 'secure') return { status: 'secure', ttl: Math.min(check.ttl, evidence.ttl) };
      return proof.status === 'bogus' ? proof : { status: 'insecure', reason: proof.reason, ...(proof.ede ? { ede: proof.ede } : {}) };
    }
    return last!;
  }

  /** No usable RRSIG: fine below an insecure delegation, bogus inside a secure zone (EDE 10). */
  private async unsignedPart(c: ChainContext, name: string, why: 'missing' | 'unusable' | 'nsec', what: string): Promise<Part> {
    const state = fromChain(await keysFor(c, name, false));
    if (state.status === 'insecure' || state.status === 'indeterminate') return state;
    // Bogus either way; a failed DS-absence walk below a secure zone is a symptom, the
    // missing signatures are the cause, so those name the EDE.
    const chain = state.status === 'bogus' ? ` (chain: ${state.reason})` : '';
    if (why === 'nsec') return bogusPart(EdeCode.NSEC_MISSING, `no signed NSEC/NSEC3 for ${what} in a secure zone${chain}`);
    if (why === 'unusable') return bogusPart(EdeCode.DNSSEC_BOGUS, `RRSIGs over ${what} name no enclosing zone as signer${chain}`);
    return bogusPart(EdeCode.RRSIGS_MISSING, `no RRSIG over ${what} in a secure zone${chain}`);
  }

  /** NXDOMAIN/NODATA: SOA and NSEC/NSEC3 must verify with the zone's keys and prove the denial. */
  private async negativePart(c: ChainContext, name: string, qtype: number, kind: 'nodata' | 'nxdomain', authority: RRset[]): Promise<Part> {
    const relevant = authority.filter((s) => s.type === T.SOA || s.type === T.NSEC || s.type === T.NSEC3);
    const signer = signersOf(relevant).find((s) => isSubdomain(name, s));
    const hasDenial = relevant.some((s) => s.type !== T.SOA);
    if (!signer) return this.unsignedPart(c, name, hasDenial ? 'missing' : 'nsec', `${kind} ${name}/${qtype}`);
    const state = fromChain(await keysFor(c, signer, true));
    if (state.status !== 'secure') return state;
    let ttl = Number.MAX_SAFE_INTEGER;
    for (const soa of relevant.filter((s) => s.type === T.SOA)) {
      const check = verifyRRset(soa, signer, state.keys, c.sig);
      if (check.status === 'bogus') return check;
      ttl = Math.min(ttl, check.ttl);
    }
    const evidence = zoneEvidence(signer, state.keys, relevant, c.sig);
    if ('status' in evidence) return { status: 'bogus', reason: evidence.reason, ede: evidence.ede };
    const proof = kind === 'nxdomain' ? proveNxdomain(evidence.denial, name) : proveNodata(evidence.denial, name, qtype);
    if (proof.status === 'secure') return { status: 'secure', ttl: Math.min(ttl, evidence.ttl) };
    return proof.status === 'bogus' ? proof : { status: 'insecure', reason: proof.reason, ...(proof.ede ? { ede: proof.ede } : {}) };
  }
}

function bogusPart(code: number, reason: string): Part {
  return { status: 'bogus', reason, ede: { code, text: reason } };
}

function fromChain(s: ChainResult): Exclude<Part, { status: 'secure' }> | { status: 'secure'; keys: RR[] } {
  if (s.status === 'secure') return { status: 'secure', keys: s.keys };
  if (s.status === 'bogus') return { status: 'bogus', reason: s.reason, ede: s.ede };
  if (s.status === 'insecure') return { status: 'insecure', reason: s.reason, ...(s.ede ? { ede: s.ede } : {}) };
  return { status: 'indeterminate', reason: s.reason };
}

/** Bogus beats everything; then the first insecure/indeterminate part; otherwise secure with the least TTL. */
function combine(parts: Part[]): Omit<ValidationResult, 'work'> {
  const bad = parts.find((p) => p.status === 'bogus') ?? parts.find((p) => p.status !== 'secure');
  if (bad && bad.status !== 'secure') return { status: bad.status, reason: bad.reason, ...(bad.ede ? { ede: bad.ede } : {}) };
  const ttl = Math.min(...parts.map((p) => (p.status === 'secure' ? p.ttl : 0)));
  return { status: 'secure', reason: 'validated', ...(parts.length > 0 ? { ttl } : {}) };
}

/** The name a CNAME chain in the answer ends at (the name a negative answer is about). */
function chainEnd(qname: string, answer: RRset[]): string {
  let name = qname;
  for (let i = 0; i < MAX_CNAME_CHAIN; i++) {
    const cname = answer.find((s) => s.type === T.CNAME && s.name === name);
    if (!cname) break;
    name = canonicalName(String((cname.records[0] as { data: unknown }).data));
  }
  return name;
}

/** An unsigned CNAME that a DNAME in the same answer synthesises exactly (RFC 6672 §2.2). */
function synthesisedByDname(set: RRset, answer: RRset[]): boolean {
  if (set.type !== T.CNAME || set.signatures.length > 0 || set.records.length !== 1) return false;
  const target = lowerAscii(String((set.records[0] as { data: unknown }).data));
  return answer.some((d) => {
    if (d.type !== T.DNAME || !isSubdomain(set.name, d.name) || set.name === d.name) return false;
    const to = lowerAscii(String((d.records[0] as { data: unknown }).data));
    const prefix = d.name === '.' ? set.name : set.name.slice(0, set.name.length - d.name.length - 1);
    return canonicalName(to === '.' ? prefix : `${prefix}.${to}`) === target;
  });
}
