// Spreads one run's queries over several servers in turn (a cluster's front-ends), as one transport.

import type { Transport } from './transport.ts';

/**
 * Query k goes to server k mod N — the way a stub with several resolvers configured, or a
 * load balancer without affinity, spreads a workload. When one server's transport has no room
 * (all IDs in flight), the next one takes the query rather than it being counted as unsent.
 */
export class RoundRobinTransport implements Transport {
  readonly #parts: Transport[];
  #next = 0;

  constructor(parts: Transport[]) {
    if (parts.length === 0) throw new Error('round robin over no servers');
    this.#parts = parts;
  }

  send(q: number, intendedMs: number): boolean {
    const n = this.#parts.length;
    for (let tries = 0; tries < n; tries++) {
      const part = this.#parts[this.#next]!;
      this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
      if (part.send(q, intendedMs)) return true;
    }
    return false;
  }

  expire(nowMs: number): void {
    for (const p of this.#parts) p.expire(nowMs);
  }

  get outstanding(): number {
    let sum = 0;
    for (const p of this.#parts) sum += p.outstanding;
    return sum;
  }

  get stray(): number {
    let sum = 0;
    for (const p of this.#parts) sum += p.stray;
    return sum;
  }

  async close(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.close()));
  }
}
