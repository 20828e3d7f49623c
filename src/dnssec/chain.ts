// The chain of trust (RFC 4035 §5.1–5.2): from the closest trust anchor down to a zone's keys,
// one label at a time, asking the resolver for DS and DNSKEY and proving DS absence.

import { EdeCode } from '../dns/constants.ts';
import type { RR } from '../dns/message.ts';
import { labelCount, suffixOf } from '../dns/name.ts';
import { closestAnchor, type NegativeTrustAnchors, type TrustAnchor, type TrustAnchors } from './anchors.ts';
import { T, type Ede } from './constants.ts';
import { proveNoDs } from './denial.ts';
import { zoneEvidence } from './evidence.ts';
import type { FetchResult, KeyFetch } from './fetch.ts';
import type { KeyCache, ZoneKeys } from './key-cache.ts';
import { keysFromAnchorKeys, keysFromDs, usableDs } from './keys.ts';
import { LimitExceeded } from './limits.ts';
import { verifyRRset, type SigContext } from './rrsig.ts';
import { groupRRsets } from './rrsets.ts';
import type { RRset } from '../cache/record-cache.ts';

/**
 * Key material the chain has just proven, for a shared tier to keep with its status (issue 10:
 * another front-end then validates the same zones without asking for DS or DNSKEY): a DNSKEY
 * RRset authenticated by DS or anchor, a DS RRset verified with the parent's keys, or the
 * parent's proof that a cut has no DS. `ttl` in seconds, already capped by the RRSIGs.
 */
export type ProvenKeys =
  | { kind: 'dnskey'; rrset: RRset; ttl: number }
  | { kind: 'ds'; rrset: RRset; ttl: number }
  | { kind: 'no-ds'; name: string; authority: RR[]; ttl: number };

export interface ChainContext {
  /** Told of every piece of key material proven secure (optional). */
  keep?: (proven: ProvenKeys) => void;
  anchors: TrustAnchors;
  ntas: NegativeTrustAnchors;
  fetch: KeyFetch;
  cache: KeyCache;
  sig: SigContext;
  /** States found during this validation, whatever the shared cache keeps. */
  memo: Map<string, ZoneKeys>;
}

export type ChainResult = ZoneKeys | { status: 'indeterminate'; zone: string; reason: string };

function bogusAt(zone: string, code: number, reason: string): ZoneKeys {
  return { status: 'bogus', zone, reason, ede: { code, text: reason } };
}

function remember(c: ChainContext, state: ZoneKeys, ttl: number): ZoneKeys {
  c.memo.set(state.zone, state);
  c.cache.put(state, state.status === 'bogus' ? c.sig.budget.limits.bogusTtl : ttl, c.sig.now);
  return state;
}

function known(c: ChainContext, zone: string): ZoneKeys | undefined {
  return c.memo.get(zone) ?? c.cache.get(zone, c.sig.now);
}

function fetchFailed(zone: string, what: string, r: FetchResult & { kind: 'error' }, code: number): ZoneKeys {
  const ede: Ede = r.ede ?? { code, text: `${what} for ${zone} unavailable: ${r.reason}` };
  return { status: 'bogus', zone, reason: `${what} for ${zone} unavailable: ${r.reason}`, ede };
}

/** Keys of an anchored zone, authenticated by its DS or DNSKEY anchor (RFC 4035 §4.4). */
async function anchorKeys(c: ChainContext, anchor: TrustAnchor): Promise<ZoneKeys> {
  const cached = known(c, anchor.zone);
  if (cached) return cached;
  const r = await c.fetch(anchor.zone, T.DNSKEY);
  if (r.kind === 'error') return remember(c, fetchFailed(anchor.zone, 'DNSKEY', r, EdeCode.DNSKEY_MISSING), 0);
  if (r.kind !== 'rrset') return remember(c, bogusAt(anchor.zone, EdeCode.DNSKEY_MISSING, `no DNSKEY at trust anchor ${anchor.zone}`), 0);
  const v = anchor.ds.length > 0 ? keysFromDs(anchor.zone, r.rrset, anchor.ds, c.sig) : keysFromAnchorKeys(anchor.zone, r.rrset, anchor.dnskey, c.sig);
  if (v.status === 'secure') {
    c.keep?.({ kind: 'dnskey', rrset: r.rrset, ttl: v.ttl });
    return remember(c, { status: 'secure', zone: anchor.zone, keys: v.keys }, v.ttl);
  }
  return remember(c, { status: v.status, zone: anchor.zone, reason: v.reason, ede: v.ede }, v.status === 'insecure' ? 3600 : 0);
}

/** A child with a DS RRset: the DS must verify with the parent's keys, then the child's DNSKEYs with the DS. */
async function secureChild(c: ChainContext, parent: ZoneKeys & { status: 'secure' }, child: string, ds: FetchResult & { kind: 'rrset' }): Promise<ZoneKeys> {
  const dsCheck = verifyRRset(ds.rrset, parent.zone, parent.keys, c.sig);
  if (dsCheck.status === 'bogus') return remember(c, { status: 'bogus', zone: child, reason: `DS: ${dsCheck.reason}`, ede: dsCheck.ede }, 0);
  // Only unsupported algorithms or digests: insecure without asking for keys (RFC 4035 §5.2).
  c.keep?.({ kind: 'ds', rrset: ds.rrset, ttl: dsCheck.ttl });
  const usable = usableDs(ds.rrset.records, c.sig);
  if (!Array.isArray(usable)) {
    if (usable.status === 'secure') throw new Error('usableDs returned keys');
    return remember(c, { status: usable.status, zone: child, reason: `${child}: ${usable.reason}`, ede: usable.ede }, dsCheck.ttl);
  }
  const r = await c.fetch(child, T.DNSKEY);
  if (r.kind === 'error') return remember(c, fetchFailed(child, 'DNSKEY', r, EdeCode.DNSKEY_MISSING), 0);
  if (r.kind !== 'rrset') return remember(c, bogusAt(child, EdeCode.DNSKEY_MISSING, `DS for ${child} but no DNSKEY`), 0);
  const v = keysFromDs(child, r.rrset, ds.rrset.records, c.sig);
  const ttl = Math.min(dsCheck.ttl, v.status === 'secure' ? v.ttl : dsCheck.ttl);
  if (v.status === 'secure') {
    c.keep?.({ kind: 'dnskey', rrset: r.rrset, ttl });
    return remember(c, { status: 'secure', zone: child, keys: v.keys }, ttl);
  }
  return remember(c, { status: v.status, zone: child, reason: v.reason, ede: v.ede }, ttl);
}

/**
 * The key state for `target`. With `exact`, `target` is an RRSIG signer and must turn out to
 * be a zone apex; otherwise the walk stops at the zone holding `target` (or at an insecure
 * delegation above it). Results are the deepest secure zone's keys, an insecure delegation,
 * bogus, or indeterminate when no trust anchor covers the name (RFC 4033 §5).
 */
export async function keysFor(c: ChainContext, target: string, exact: boolean): Promise<ChainResult> {
  const nta = c.ntas.covers(target);
  if (nta) return { status: 'insecure', zone: nta, reason: `negative trust anchor ${nta} (RFC 7646)` };
  const anchor = closestAnchor(c.anchors, target);
  if (!anchor) return { status: 'indeterminate', zone: target, reason: `no trust anchor above ${target}` };

  // Resume from the deepest state already known between the anchor and the target.
  let cur: ZoneKeys | undefined;
  for (let n = labelCount(target); n > labelCount(anchor.zone) && !cur; n--) cur = known(c, suffixOf(target, n));
  cur ??= await anchorKeys(c, anchor);
  let pos = cur.zone;
  for (let depth = 0; ; depth++) {
    if (cur.status !== 'secure') return cur;
    if (pos === target) break;
    if (depth >= c.sig.budget.limits.maxChainDepth) throw new LimitExceeded(`more than ${c.sig.budget.limits.maxChainDepth} zone levels`);
    const child = suffixOf(target, labelCount(pos) + 1);
    const hit = known(c, child);
    if (hit) {
      cur = hit;
      pos = child;
      continue;
    }
    const r = await c.fetch(child, T.DS);
    // A concurrent validation may have learnt the child's keys while this one waited: use
    // them rather than ask for its DNSKEY again.
    const learnt = known(c, child);
    if (learnt) {
      cur = learnt;
      pos = child;
      continue;
    }
    let step = await dsStep(c, cur, child, r);
    // What a referral carried failed (a broken or hostile server, or a referral from a zone
    // above the real parent): ask the parent itself before calling the child bogus.
    if (r.kind !== 'error' && r.fromReferral && step?.status === 'bogus') step = await dsStep(c, cur, child, await c.fetch(child, T.DS, { skipReferral: true }));
    if (step && (step.status !== 'secure' || step.zone !== child)) return step;
    if (step) cur = step;
    pos = child; // a secure child, or not a zone cut (still inside cur's zone)
  }
  if (exact && cur.zone !== target) return bogusAt(target, EdeCode.DNSSEC_BOGUS, `RRSIG signer ${target} is not a zone apex`);
  return cur;
}

/** The child's state from its DS answer: secure or otherwise judged, or undefined when `child` is no zone cut. */
async function dsStep(c: ChainContext, parent: ZoneKeys & { status: 'secure' }, child: string, r: FetchResult): Promise<ZoneKeys | undefined> {
  if (r.kind === 'error') return remember(c, fetchFailed(child, 'DS', r, EdeCode.DNSSEC_BOGUS), 0);
  if (r.kind === 'rrset') return secureChild(c, parent, child, r);
  return dsAbsence(c, parent, child, r.authority);
}

/** A negative DS answer at `child`, proven with `parent`'s keys: insecure delegation, bogus, or undefined (no cut). */
async function dsAbsence(c: ChainContext, parent: ZoneKeys & { status: 'secure' }, child: string, authority: RR[]): Promise<ZoneKeys | undefined> {
  const evidence = zoneEvidence(parent.zone, parent.keys, groupRRsets(authority), c.sig);
  if ('status' in evidence) return remember(c, { status: 'bogus', zone: child, reason: `DS denial: ${evidence.reason}`, ede: evidence.ede }, 0);
  const proof = proveNoDs(evidence.denial, child);
  switch (proof.status) {
    case 'no-cut':
      // Proven too: the name exists in the parent's zone with neither NS nor DS.
      c.keep?.({ kind: 'no-ds', name: child, authority, ttl: evidence.ttl });
      return undefined;
    case 'secure': // proveNoDs never says plain secure; treat as "not a cut" defensively
      return undefined;
    case 'insecure':
      c.keep?.({ kind: 'no-ds', name: child, authority, ttl: evidence.ttl });
      return remember(c, { status: 'insecure', zone: child, reason: proof.reason, ...(proof.ede ? { ede: proof.ede } : {}) }, evidence.ttl);
    case 'bogus':
      return remember(c, { status: 'bogus', zone: child, reason: proof.reason, ede: proof.ede }, 0);
  }
}
