// The addresses of one zone's servers for one query: each tried at most once, in random
// order (spreads load, defeats prediction); NS names without addresses wait their turn.

import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';

export class ServerList {
  private readonly pending: string[] = [];
  private readonly tried = new Set<string>();
  private readonly unresolved: string[];
  private readonly ipv6: boolean;
  /** NS names handed out by nextUnresolved (glue-less lookups started). */
  lookups = 0;

  constructor(nsNames: string[], ipv6: boolean) {
    this.unresolved = [...nsNames];
    this.ipv6 = ipv6;
  }

  /** Records the addresses of an NS name; the name no longer needs a lookup. */
  add(ns: string, addresses: string[]): void {
    const usable = addresses.filter((a) => {
      const family = isIP(a);
      return family === 4 || (family === 6 && this.ipv6);
    });
    if (usable.length === 0) return;
    const i = this.unresolved.indexOf(ns);
    if (i !== -1) this.unresolved.splice(i, 1);
    for (const a of usable) if (!this.tried.has(a) && !this.pending.includes(a)) this.pending.push(a);
  }

  /** A random address not tried yet, or undefined. */
  next(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const i = randomInt(0, this.pending.length);
    const [address] = this.pending.splice(i, 1);
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
