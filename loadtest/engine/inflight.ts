// Outstanding queries by (channel, ID): send times, free IDs and timeouts in typed arrays, no objects per query.

const IDS = 65536;

/**
 * Each channel (a UDP socket or a TCP connection) has its own 16-bit ID space (RFC 1035 §4.1.1).
 * IDs are reused first-freed-first, so a late reply to a timed-out query is unlikely to meet a
 * new query with its ID; replies are also matched on their question bytes by the transport.
 * Timeouts are found in send order from a ring: constant timeout, so deadlines are monotonic.
 */
export class InflightTable {
  readonly channels: number;
  readonly timeoutMs: number;
  /** Intended send time of the query in a slot (channel * 65536 + id). */
  readonly intended: Float64Array;
  /** Workload query index in a slot, or -1 when the slot is free. */
  readonly query: Int32Array;
  readonly #generation: Uint32Array;
  readonly #free: Uint16Array[];
  readonly #freeHead: Int32Array;
  readonly #freeCount: Int32Array;
  #outstanding = 0;
  // Expiry ring: slot, generation and deadline of every send, oldest first.
  #ringSlot = new Int32Array(1024);
  #ringGen = new Uint32Array(1024);
  #ringDeadline = new Float64Array(1024);
  #ringHead = 0;
  #ringLen = 0;

  constructor(channels: number, timeoutMs: number) {
    this.channels = channels;
    this.timeoutMs = timeoutMs;
    this.intended = new Float64Array(channels * IDS);
    this.query = new Int32Array(channels * IDS).fill(-1);
    this.#generation = new Uint32Array(channels * IDS);
    this.#free = Array.from({ length: channels }, () => {
      const f = new Uint16Array(IDS);
      for (let i = 0; i < IDS; i++) f[i] = i;
      return f;
    });
    this.#freeHead = new Int32Array(channels);
    this.#freeCount = new Int32Array(channels).fill(IDS);
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  /** Takes a free ID on a channel and records the query; -1 when all 65536 are in flight. */
  begin(channel: number, query: number, intendedMs: number, nowMs: number): number {
    if (this.#freeCount[channel] === 0) return -1;
    const head = this.#freeHead[channel]!;
    const id = this.#free[channel]![head]!;
    this.#freeHead[channel] = (head + 1) & (IDS - 1);
    this.#freeCount[channel]!--;
    const slot = channel * IDS + id;
    this.intended[slot] = intendedMs;
    this.query[slot] = query;
    const gen = ++this.#generation[slot]!;
    this.#pushExpiry(slot, gen, nowMs + this.timeoutMs);
    this.#outstanding++;
    return id;
  }

  /** Ends a query; returns its intended send time, or NaN when that ID was not in flight. */
  complete(channel: number, id: number): number {
    const slot = channel * IDS + id;
    if (this.query[slot] === -1) return NaN;
    this.#release(channel, id, slot);
    return this.intended[slot]!;
  }

  /** Workload query index in flight under (channel, id), or -1. */
  queryAt(channel: number, id: number): number {
    return this.query[channel * IDS + id]!;
  }

  /** Frees every query whose deadline has passed; returns how many timed out. */
  expire(nowMs: number): number {
    let expired = 0;
    while (this.#ringLen > 0) {
      const at = this.#ringHead;
      if (this.#ringDeadline[at]! > nowMs) break;
      const slot = this.#ringSlot[at]!;
      if (this.query[slot] !== -1 && this.#generation[slot] === this.#ringGen[at]) {
        this.#release(Math.floor(slot / IDS), slot & (IDS - 1), slot);
        expired++;
      }
      this.#ringHead = (at + 1) & (this.#ringSlot.length - 1);
      this.#ringLen--;
    }
    return expired;
  }

  /** Frees every query on a channel (its connection closed); returns how many there were. */
  failChannel(channel: number): number {
    let failed = 0;
    for (let id = 0; id < IDS; id++) {
      const slot = channel * IDS + id;
      if (this.query[slot] !== -1) {
        this.#release(channel, id, slot);
        failed++;
      }
    }
    return failed;
  }

  #release(channel: number, id: number, slot: number): void {
    this.query[slot] = -1;
    const tail = (this.#freeHead[channel]! + this.#freeCount[channel]!) & (IDS - 1);
    this.#free[channel]![tail] = id;
    this.#freeCount[channel]!++;
    this.#outstanding--;
  }

  #pushExpiry(slot: number, gen: number, deadline: number): void {
    if (this.#ringLen === this.#ringSlot.length) this.#growRing();
    const at = (this.#ringHead + this.#ringLen) & (this.#ringSlot.length - 1);
    this.#ringSlot[at] = slot;
    this.#ringGen[at] = gen;
    this.#ringDeadline[at] = deadline;
    this.#ringLen++;
  }

  /** Doubles the ring (sizes stay powers of two), unrolling it so the oldest entry is first. */
  #growRing(): void {
    const n = this.#ringSlot.length;
    const slot = new Int32Array(n * 2);
    const gen = new Uint32Array(n * 2);
    const deadline = new Float64Array(n * 2);
    for (let i = 0; i < this.#ringLen; i++) {
      const from = (this.#ringHead + i) & (n - 1);
      slot[i] = this.#ringSlot[from]!;
      gen[i] = this.#ringGen[from]!;
      deadline[i] = this.#ringDeadline[from]!;
    }
    this.#ringSlot = slot;
    this.#ringGen = gen;
    this.#ringDeadline = deadline;
    this.#ringHead = 0;
  }
}
