// The addresses of one zone's servers for one query: each tried at most once, fastest first by
// smoothed RTT with a little random exploration; NS names without addresses wait their turn.

import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { EXPLORE_PROBABILITY, type InfraCache } from './infra.ts';
import { isSpecialUse } from './special-use.ts';

/** 127.0.0.0/8 and ::1 (also as an IPv4-mapped address). */
function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('127.') || a === '::1' || /^(0{0,4}:){1,6}:?0*1$/.test(a) || a.startsWith('::ffff:127.');
}

export interface AddressPolicy {
  ipv6: boolean;
  /** IPv4 servers may be asked (default true). */
  ipv4?: boolean;
  /** Refuse loopback even when allowLocal allows private ranges (do-not-query-localhost). */
  noLoopback?: boolean;
  /** Allow loopback/private/special-use server addresses (tests, labs); off on the internet. */
  allowLocal: boolean;
}

export class ServerList {
  private readonly pending: string[] = [];
  private readonly tried = new Set<string>();
  private readonly unresolved: string[];
  private readonly policy: AddressPolicy;
  private readonly infra: InfraCache;
  private readonly zone: string;
  /** NS names handed out by nextUnresolved (glue-less lookups started). */
  lookups = 0;

  constructor(zone: string, nsNames: string[], policy: AddressPolicy, infra: InfraCache) {
    this.zone = zone;
    this.unresolved = [...nsNames];
    this.policy = policy;
    this.infra = infra;
  }

  /** Records the addresses of an NS name; the name no longer needs a lookup. */
  add(ns: string, addresses: string[]): void {
    const usable = addresses.filter((a) => {
      const family = isIP(a);
      if (family === 0 || (family === 6 && !this.policy.ipv6) || (family === 4 && this.policy.ipv4 === false)) return false;
      if (this.policy.noLoopback && isLoopback(a)) return false;
      // A poisoned or careless NS address must not turn us against the operator's own network.
      return this.policy.allowLocal || !isSpecialUse(a);
    });
    if (usable.length === 0) return;
    const i = this.unresolved.indexOf(ns);
    if (i !== -1) this.unresolved.splice(i, 1);
    for (const a of usable) if (!this.tried.has(a) && !this.pending.includes(a)) this.pending.push(a);
  }

  /** The best address not tried yet (lowest smoothed RTT, sometimes a random one), or undefined. */
  next(): string | undefined {
    if (this.pending.length === 0) return undefined;
    let best = 0;
    if (Math.random() < EXPLORE_PROBABILITY) {
      best = randomInt(0, this.pending.length);
    } else {
      let bestRank = Infinity;
      const start = randomInt(0, this.pending.length); // ties go to a random server
      for (let k = 0; k < this.pending.length; k++) {
        const i = (start + k) % this.pending.length;
        const rank = this.infra.rank(this.pending[i]!, this.zone);
        if (rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
    }
    const [address] = this.pending.splice(best, 1);
    this.tried.add(address!);
    return address;
  }

  /** A random NS name still without addresses that `allowed` accepts; it leaves the list. */
  nextUnresolved(allowed: (ns: string) => boolean): string | undefined {
    const candidates = this.unresolved.filter(allowed);
    if (candidates.length === 0) return undefined;
    const ns = candidates[randomInt(0, candidates.length)]!;
    this.unresolved.splice(this.unresolved.indexOf(ns), 1);
    this.lookups++;
    return ns;
  }
}
