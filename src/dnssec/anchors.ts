// Trust anchors (RFC 4033 §2, RFC 7958 zone-file form) and negative trust anchors (RFC 7646).

import type { RR } from '../dns/message.ts';
import { isSubdomain, selfAndAncestors, canonicalName } from '../dns/name.ts';
import { PresentationError, dnssecRecord, logicalRecords, splitRecord } from './presentation.ts';

/** Anchors for one zone: DS records and/or DNSKEY records, either suffices (RFC 4035 §4.4). */
export interface TrustAnchor {
  zone: string;
  ds: RR[];
  dnskey: RR[];
}

export type TrustAnchors = ReadonlyMap<string, TrustAnchor>;

/**
 * Parses DS and DNSKEY records in zone-file form (e.g. /work/shared/data/root.ds or a
 * root-anchors export). Other types are an error: a trust anchor file with surprises in it
 * should fail loudly at start-up, not be half-read.
 */
export function parseTrustAnchors(text: string): Map<string, TrustAnchor> {
  const anchors = new Map<string, TrustAnchor>();
  for (const tokens of logicalRecords(text)) {
    if (tokens[0]?.startsWith('$')) throw new PresentationError(`directive ${tokens[0]} not supported in trust anchors`);
    const { owner, ttl, type, rdata } = splitRecord(tokens);
    if (type !== 'DS' && type !== 'DNSKEY') throw new PresentationError(`trust anchor for ${owner} must be DS or DNSKEY, not ${type}`);
    const rr = dnssecRecord(owner, ttl ?? 0, type, rdata);
    let anchor = anchors.get(owner);
    if (!anchor) {
      anchor = { zone: owner, ds: [], dnskey: [] };
      anchors.set(owner, anchor);
    }
    (type === 'DS' ? anchor.ds : anchor.dnskey).push(rr);
  }
  return anchors;
}

/** The deepest anchor at or above `name`, if any (RFC 4035 §5: start from the closest anchor). */
export function closestAnchor(anchors: TrustAnchors, name: string): TrustAnchor | undefined {
  for (const n of selfAndAncestors(name)) {
    const a = anchors.get(n);
    if (a) return a;
  }
  return undefined;
}

/**
 * Negative trust anchors (RFC 7646): validation is off at and below these names. The operator
 * adds and removes them while serving (§8: they are meant to be temporary); a reload replaces
 * the configured ones and keeps what was changed at run time.
 */
export class NegativeTrustAnchors {
  private configured: Set<string>;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();
  /** configured − removed + added, recomputed on change, never per query. */
  private names = new Set<string>();

  constructor(names: Iterable<string> = []) {
    this.configured = new Set([...names].map(canonicalName));
    this.recompute();
  }

  covers(name: string): string | undefined {
    for (const n of this.names) if (isSubdomain(name, n)) return n;
    return undefined;
  }

  list(): string[] {
    return [...this.names].sort();
  }

  add(name: string): void {
    const n = canonicalName(name);
    this.removed.delete(n);
    this.added.add(n);
    this.recompute();
  }

  remove(name: string): void {
    const n = canonicalName(name);
    this.added.delete(n);
    this.removed.add(n);
    this.recompute();
  }

  /** The names from the config (a reload); a name the config newly lists applies even if removed at run time. */
  setConfigured(names: Iterable<string>): void {
    const next = new Set([...names].map(canonicalName));
    for (const n of next) if (!this.configured.has(n)) this.removed.delete(n);
    this.configured = next;
    this.recompute();
  }

  private recompute(): void {
    this.names = new Set([...[...this.configured].filter((n) => !this.removed.has(n)), ...this.added]);
  }
}
