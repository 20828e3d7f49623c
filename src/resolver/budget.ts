// Bounded work per client query (NXNSAttack, KeyTrap lessons): every referral, CNAME link,
// sub-query and upstream query is paid for from one budget shared by all its sub-queries.

import type { Clock } from '../util/clock.ts';
import type { Asking } from './inflight.ts';
import type { WorkLimits } from './options.ts';

export type LimitName =
  | 'referrals'
  | 'cname-chain'
  | 'subqueries'
  | 'subquery-depth'
  | 'upstream-queries'
  | 'time'
  | 'zone-inflight'
  /** An upstream reply held more records in one RRset, or in all, than anyone needs (CVE-2024-1737). */
  | 'records-per-rrset'
  | 'records-per-reply'
  /** Every upstream TCP connection this process may open is in use. */
  | 'upstream-tcp';

/** Thrown inside the iterator only; the resolver turns it into a SERVFAIL value. */
export class WorkLimitExceeded extends Error {
  readonly limit: LimitName;
  constructor(limit: LimitName) {
    super(`work limit reached: ${limit}`);
    this.limit = limit;
  }
}

export class Budget {
  readonly limits: WorkLimits;
  private readonly clock: Clock;
  private readonly deadline: number;
  referrals = 0;
  subqueries = 0;
  upstreamQueries = 0;
  /** This resolver, not a zone's servers, ran out of room (zone-gate.ts): no zone failure is recorded. */
  overloaded = false;

  constructor(limits: WorkLimits, clock: Clock) {
    this.limits = limits;
    this.clock = clock;
    this.deadline = clock.now() + limits.maxQueryTimeMs;
  }

  referral(): void {
    if (++this.referrals > this.limits.maxReferrals) throw new WorkLimitExceeded('referrals');
  }

  subquery(): void {
    if (++this.subqueries > this.limits.maxSubqueries) throw new WorkLimitExceeded('subqueries');
  }

  upstreamQuery(): void {
    this.checkTime();
    if (++this.upstreamQueries > this.limits.maxUpstreamQueries) throw new WorkLimitExceeded('upstream-queries');
  }

  /** Milliseconds left before the query's deadline. */
  remainingMs(): number {
    return this.deadline - this.clock.now();
  }

  checkTime(): void {
    if (this.remainingMs() <= 0) throw new WorkLimitExceeded('time');
  }
}

/**
 * One resolution in progress: the shared budget, its nesting depth, the keys above it (cycles)
 * and the upstream questions it is asking for others to join (inflight.ts), outermost first.
 */
export class Work {
  readonly budget: Budget;
  readonly depth: number;
  private readonly stack: ReadonlySet<string>;
  readonly path: readonly Asking[];

  constructor(budget: Budget, depth = 0, stack: ReadonlySet<string> = new Set(), path: readonly Asking[] = []) {
    this.budget = budget;
    this.depth = depth;
    this.stack = stack;
    this.path = path;
  }

  /** The same work, now asking `asking` on behalf of every resolution that joins it. */
  leading(asking: Asking): Work {
    return new Work(this.budget, this.depth, this.stack, [...this.path, asking]);
  }

  /** True when resolving `key` would wait on itself (e.g. two zones whose NS names sit in each other). */
  isResolving(key: string): boolean {
    return this.stack.has(key);
  }

  /** Work for a sub-query of `key` (an NS address lookup), one level deeper. */
  child(key: string): Work {
    if (this.depth + 1 > this.budget.limits.maxSubqueryDepth) throw new WorkLimitExceeded('subquery-depth');
    this.budget.subquery();
    return new Work(this.budget, this.depth + 1, new Set([...this.stack, key]), this.path);
  }
}
