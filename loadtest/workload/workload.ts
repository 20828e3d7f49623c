// A workload: the encoded queries plus the order in which the generator sends them.

import type { QuerySpec } from './query-table.ts';
import { QueryTable, type EncodeOptions } from './query-table.ts';

export interface Workload {
  table: QueryTable;
  /** Indexes into the table, sent in this order and repeated from the start when exhausted. */
  sequence: Int32Array;
  /** A line for reports: where the queries came from. */
  description: string;
  /** Queries that must never repeat (cold names): repeating the sequence makes them warm. */
  uniqueTail: boolean;
}

/** A query file's workload: its lines in order, looped, like dnsperf. */
export function fileWorkload(specs: QuerySpec[], description: string, encode: EncodeOptions = {}): Workload {
  const sequence = new Int32Array(specs.length);
  for (let i = 0; i < sequence.length; i++) sequence[i] = i;
  return { table: new QueryTable(specs, encode), sequence, description, uniqueTail: false };
}

/** A cursor over a workload's sequence; wraps around and counts how often it did. */
export class WorkloadCursor {
  readonly #seq: Int32Array;
  #pos = 0;
  wraps = 0;

  constructor(workload: Workload) {
    this.#seq = workload.sequence;
  }

  next(): number {
    const q = this.#seq[this.#pos]!;
    if (++this.#pos === this.#seq.length) {
      this.#pos = 0;
      this.wraps++;
    }
    return q;
  }
}
