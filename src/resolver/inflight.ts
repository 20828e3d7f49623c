// One upstream question per key in flight (issue 10; Unbound's mesh_add_sub, "find it, if not,
// create it"): concurrent client queries and sub-queries that need the same question of the
// same zone share one exchange. A join that would wait on itself (two resolutions whose
// glue-less NS names sit in each other's zones) asks on its own instead of deadlocking.

import { WorkLimitExceeded, type Work } from './budget.ts';
import { instruments } from '../telemetry/instruments.ts';

/**
 * A question being asked. `waitsOn` counts the questions its asker is waiting for right now
 * (those it leads below itself, and those it joined): the edges of the wait graph.
 */
export class Asking {
  readonly waitsOn = new Map<Asking, number>();

  wait(other: Asking): void {
    this.waitsOn.set(other, (this.waitsOn.get(other) ?? 0) + 1);
  }

  done(other: Asking): void {
    const n = (this.waitsOn.get(other) ?? 0) - 1;
    if (n > 0) this.waitsOn.set(other, n);
    else this.waitsOn.delete(other);
  }
}

/** Bound on the graph walk of a join check: deeper waits are treated as a cycle (ask alone). */
const MAX_WALK = 1000;

/** True when `from` waits, directly or through others, on one of `targets`. */
function reaches(from: Asking, targets: ReadonlySet<Asking>): boolean {
  const seen = new Set<Asking>();
  const stack = [from];
  while (stack.length > 0) {
    const a = stack.pop()!;
    if (targets.has(a)) return true;
    if (seen.has(a)) continue;
    seen.add(a);
    if (seen.size > MAX_WALK) return true;
    for (const next of a.waitsOn.keys()) stack.push(next);
  }
  return false;
}

export class InflightQuestions<T> {
  private readonly asking = new Map<string, { asking: Asking; result: Promise<T> }>();

  /** In flight right now (for tests and metrics). */
  get size(): number {
    return this.asking.size;
  }

  /**
   * `ask(work)` unless the same `key` is being asked: then its result. The leader's work
   * limits are its own: a joiner whose leader ran out of budget asks again with its own.
   * With `holdUntil` the result stays joinable until that settles too (see ValidationStage:
   * the leader keeps what it learnt a few steps after the result, and a validation that looked
   * for it a moment before must find this result rather than ask again).
   */
  async run(key: string, work: Work, ask: (work: Work) => Promise<T>, holdUntil?: Promise<unknown>): Promise<T> {
    const mine = new Set(work.path);
    const inner = work.path.at(-1);
    const found = this.asking.get(key);
    if (found && !reaches(found.asking, mine)) {
      instruments.serverEvents.add(1, { event: 'question-shared' });
      inner?.wait(found.asking);
      try {
        return await found.result;
      } catch (err) {
        if (!(err instanceof WorkLimitExceeded)) throw err;
      } finally {
        inner?.done(found.asking);
      }
    }
    const asking = new Asking();
    const result = ask(work.leading(asking));
    if (!this.asking.has(key)) {
      this.asking.set(key, { asking, result });
      const clear = (): void => {
        if (this.asking.get(key)?.asking === asking) this.asking.delete(key);
      };
      const settled = holdUntil ? Promise.allSettled([result, holdUntil]) : result;
      settled.then(clear, clear);
    }
    inner?.wait(asking);
    try {
      return await result;
    } finally {
      inner?.done(asking);
    }
  }
}
