// The shared tier's storage contract: a tiny async key-value store with binary values, absolute
// expiry, leases and pub/sub. MemoryStore (embedded) and RedisClusterStore implement it, and
// test/harness/store-contract.ts holds the tests both must pass.
//
// Every method rejects when the store cannot answer (down, slow, refused); callers turn that
// into a miss or a dropped write. Nothing here knows DNS except setRanked's header rule.

export interface SetOptions {
  /** Wall-clock ms after which the store drops the key: the data's expiry + the stale window. */
  expireAtMs: number;
}

export type MessageListener = (message: string) => void;

/** How long a reader waits (the read asks with a deadline; the store owns per-node health). */
export interface ReadOptions {
  /** Reject with StoreBudgetError after this long, ms; default: the store's own read budget. */
  budgetMs?: number;
  /** Hears the values if they arrive after the budget ran out (to warm a local tier). */
  late?: (values: (Buffer | null)[]) => void;
}

export interface SharedStore {
  /**
   * Values of the keys, null where absent; in the order asked. Rejects when the store cannot
   * answer within the read budget (a miss for this query; `late` may still hear the values).
   */
  mget(keys: readonly string[], read?: ReadOptions): Promise<(Buffer | null)[]>;
  set(key: string, value: Buffer, options: SetOptions): Promise<void>;
  /**
   * Atomically stores `value` unless the existing value outranks it (guard.ts keepsExisting,
   * judged at `nowMs`). Resolves null when stored, or to the existing value that was kept.
   */
  setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null>;
  /** Deletes the keys; resolves how many existed. */
  del(keys: readonly string[]): Promise<number>;
  /** Deletes every key matching a Redis-style glob (KeySpace builds them); resolves the count. */
  deleteMatching(glob: string): Promise<number>;
  /** SET NX PX: a token when this caller now holds the lease, null when someone else does. */
  lease(key: string, ttlMs: number): Promise<string | null>;
  /** Ends a lease if `token` still holds it; resolves whether it did. */
  release(key: string, token: string): Promise<boolean>;
  publish(channel: string, message: string): Promise<void>;
  /** Listens on a channel (from every process); resolves to an unsubscribe function. */
  subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Why a store call failed, when the store itself says so (timeouts, not connected). */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The caller's budget ran out; the command itself may still complete (and warm a local tier). */
export class StoreBudgetError extends StoreError {
  override name = 'StoreBudgetError';
}
