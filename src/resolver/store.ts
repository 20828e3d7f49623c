// Writes judged data to the cache: each RRset and negative answer with its DNSSEC status, TTLs
// capped by the signatures' validity when secure (RFC 4035 §5.3.3). Bogus never gets here.

import { Rank, type CachedNegative, type CachedRRset, type DnssecStatus, type RecordCache, type RRset } from '../cache/record-cache.ts';
import type { ProvenKeys } from '../dnssec/chain.ts';
import type { RR } from '../dns/message.ts';
import type { Learned, Step } from './iterator.ts';

/**
 * A status and TTL cap to store with; `status` undefined stores the data unchecked (CD=1, key
 * fetches). A 'bogus' judgement stores nothing: checked here too, not only by the callers.
 */
export interface Judgement {
  status?: DnssecStatus;
  /** Seconds; secure data lives no longer than its RRSIGs allow. */
  ttl?: number;
}

function capRecords(records: RR[], cap: number | undefined): RR[] {
  if (cap === undefined) return records;
  return records.map((r) => ('ttl' in r && (r.ttl ?? 0) > cap ? ({ ...r, ttl: cap } as RR) : r));
}

function withStatus(set: RRset, j: Judgement): RRset {
  const out: RRset = { name: set.name, type: set.type, records: capRecords(set.records, j.ttl), signatures: capRecords(set.signatures, j.ttl) };
  if (j.status) out.status = j.status;
  return out;
}

const TYPE_NS = 2;

/**
 * Stores what the iterator learnt for one step. `now` (ms) enables the ghost-domain guard: an
 * NS RRset never outlives the unexpired NS RRset it replaces.
 */
export async function storeLearned(cache: RecordCache, learned: Learned, j: Judgement, now?: number): Promise<void> {
  if (j.status === 'bogus') return;
  for (const { set, rank } of learned.rrsets) {
    // A synthesised CNAME is re-derived from its cached DNAME, so answers keep the DNAME.
    if (set.synthesised) continue;
    const judged = withStatus(set, j);
    await cache.putRRset(set.type === TYPE_NS && now !== undefined ? await notExtending(cache, judged, now) : judged, rank);
  }
  const neg = learned.negative;
  if (neg) {
    const ttl = j.ttl === undefined ? neg.ttl : Math.min(neg.ttl, j.ttl);
    await cache.putNegative({ ...neg.answer, ...(j.status ? { status: j.status } : {}) }, ttl);
  }
}

/**
 * Ghost domains (Jiang et al., NDSS 2012; CVE-2012-1033): a zone's own servers answer "zone NS"
 * with a fresh TTL, and a resolver that lets that answer renew the cached delegation keeps a
 * zone alive after its parent revoked it, for as long as someone keeps asking. So the child's
 * NS may replace the delegation (RFC 2181 §5.4.1 ranks it higher) but never extend its life:
 * once it expires, the parent is asked again and has the last word.
 */
async function notExtending(cache: RecordCache, set: RRset, now: number): Promise<RRset> {
  const old = await cache.getRRset(set.name, TYPE_NS);
  const left = old ? Math.floor((old.expiresAt - now) / 1000) : 0;
  if (left <= 0) return set;
  return { ...set, records: capRecords(set.records, left), signatures: capRecords(set.signatures, left) };
}

/** Re-stores a cached entry that was unchecked, now with the status it validated to. */
export async function restoreJudged(cache: RecordCache, entry: CachedRRset | CachedNegative, remaining: number, j: Judgement): Promise<void> {
  if (j.status === 'bogus') return;
  const ttl = j.ttl === undefined ? remaining : Math.min(remaining, j.ttl);
  if ('rank' in entry) {
    const set: RRset = { name: entry.name, type: entry.type, records: ttlAll(entry.records, ttl), signatures: ttlAll(entry.signatures, ttl) };
    if (j.status) set.status = j.status;
    await cache.putRRset(set, entry.rank);
  } else {
    const { expiresAt: _expiresAt, ...negative } = entry;
    await cache.putNegative({ ...negative, ...(j.status ? { status: j.status } : {}) }, ttl);
  }
}

function ttlAll(records: RR[], ttl: number): RR[] {
  return records.map((r) => ({ ...r, ttl }) as RR);
}

/** The step as the client sees it: TTLs no longer than the cap. */
export function capStep<S extends Step>(step: S, cap: number | undefined): S {
  if (cap === undefined) return step;
  switch (step.kind) {
    case 'answer':
    case 'nodata':
    case 'nxdomain':
      return { ...step, answer: capRecords(step.answer, cap), authority: capRecords(step.authority, cap) };
    case 'cname':
      return { ...step, records: capRecords(step.records, cap) };
    default:
      return step;
  }
}

const TYPE_DS = 43;

/**
 * Keeps key material the validator proved (DNSKEY, DS, DS absence) in the cache as secure, so
 * every front-end on the shared tier, and this one after a restart, finds it there instead of
 * asking upstream (issue 10). The validator still checks it again when it reads it back: the
 * status only says it was judged, the signatures say by what.
 */
export async function storeProvenKeys(cache: RecordCache, proven: ProvenKeys): Promise<void> {
  if (proven.ttl <= 0) return;
  const j: Judgement = { status: 'secure', ttl: proven.ttl };
  switch (proven.kind) {
    case 'dnskey':
      // The zone's own servers answered it: authoritative answer rank (RFC 2181 §5.4.1).
      return cache.putRRset(withStatus(proven.rrset, j), Rank.AUTH_ANSWER);
    case 'ds':
      // From a referral or a DS answer; proven with the parent's keys, so it may be served.
      return cache.putRRset(withStatus(proven.rrset, j), Rank.NONAUTH_ANSWER);
    case 'no-ds':
      return cache.putNegative({ name: proven.name, type: TYPE_DS, kind: 'nodata', authority: capRecords(proven.authority, proven.ttl), status: 'secure' }, proven.ttl);
  }
}
