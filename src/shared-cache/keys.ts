// The shared store's key layout: one hash tag per owner name, so every key of a name shares a slot.
//
//   <prefix>{<owner.>}|<type>|<class>        RRset or NODATA of (owner, type)    e.g. andns:{www.example.com.}|1|1
//   <prefix>{<owner.>}|nx|<class>            NXDOMAIN at owner (covers below it, RFC 8020)
//   <prefix>{<owner.>}|lease|<type>|<class>|<flags>   cluster-wide resolution lease (coalescing)
//   <prefix>flush                            pub/sub channel: flush scopes, JSON
//   <prefix>lease-done                       pub/sub channel: lease keys whose resolution finished
//
// Redis Cluster hashes only what lies between the first "{" and the next "}" (the hash tag), so
// CNAME + qtype + NXDOMAIN of a name, or DS + DNSKEY, are one MGET on one node. The owner is the
// canonical (lower-case) absolute name; "{", "}" and "\" inside it become \DDD escapes (RFC 1035
// §5.1 style) so a hostile label cannot end the tag early. Type and class are decimal numbers
// (RFC 3597 style), never mnemonics, so unknown types need no table.

import { absolute } from '../dns/name.ts';
import type { ClientQuestion } from '../resolver/resolution.ts';

const CLASS_IN = 1;

/** Builds every key and channel name of one andns cluster; the prefix separates clusters. */
export class KeySpace {
  readonly prefix: string;
  readonly flushChannel: string;
  readonly leaseChannel: string;

  /** `prefix` (default "andns:") may not contain "{" or "}": it would become the hash tag. */
  constructor(prefix = 'andns:') {
    if (/[{}]/.test(prefix)) throw new TypeError(`shared cache key prefix must not contain "{" or "}": ${JSON.stringify(prefix)}`);
    this.prefix = prefix;
    this.flushChannel = `${prefix}flush`;
    this.leaseChannel = `${prefix}lease-done`;
  }

  /** The `{owner.}` hash tag of a canonical name. */
  tag(name: string): string {
    return `{${escapeOwner(absolute(name))}}`;
  }

  /** RRset, or NODATA for the type: they share one key, so new data replaces the other. */
  rrset(name: string, type: number, cls = CLASS_IN): string {
    return `${this.prefix}${this.tag(name)}|${type}|${cls}`;
  }

  nxdomain(name: string, cls = CLASS_IN): string {
    return `${this.prefix}${this.tag(name)}|nx|${cls}`;
  }

  /** One lease per outcome-changing question: DO and CD change the answer, so they are in it. */
  lease(q: ClientQuestion): string {
    const flags = `${q.dnssecOk ? 'd' : ''}${q.checkingDisabled ? 'c' : ''}`;
    return `${this.prefix}${this.tag(q.qname)}|lease|${q.qtype}|${q.qclass}|${flags}`;
  }

  /** Glob (Redis MATCH syntax) for every key of one owner name. */
  nameGlob(name: string): string {
    return `${globEscape(this.prefix + this.tag(name))}|*`;
  }

  /** Globs for every key at or below a name ("." is everything). */
  subtreeGlobs(name: string): string[] {
    if (name === '.') return [this.allGlob()];
    const owner = globEscape(escapeOwner(absolute(name)));
    return [this.nameGlob(name), `${globEscape(this.prefix)}{*.${owner}}|*`];
  }

  /** Glob for every key of this cluster (never FLUSHALL: other clusters may share the Redis). */
  allGlob(): string {
    return `${globEscape(this.prefix)}*`;
  }
}

/** `{`, `}` and `\` as \DDD, so the owner cannot close the hash tag or fake an escape. */
function escapeOwner(owner: string): string {
  return owner.replace(/[{}\\]/g, (c) => `\\${c.charCodeAt(0).toString().padStart(3, '0')}`);
}

/** Escapes glob metacharacters (Redis stringmatchlen: * ? [ ] \). */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
