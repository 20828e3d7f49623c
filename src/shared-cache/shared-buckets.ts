// Token buckets shared by every front-end on one Redis Cluster (issue 12: rate limits hold
// cluster-wide). A front-end limits locally and, once per sync interval, adds what it spent to
// each bucket it touched in one pipeline per node (batched like cache reads, read-batcher.ts),
// and learns what the cluster has left. Redis away: calls reject and the limits stay per process.

import type { Cluster } from 'ioredis';
import { keySlot } from './slot.ts';
import { StoreError } from './store.ts';

export interface BucketSpend {
  /** The bucket's key (hash-tagged by the caller's prefix and bucket id). */
  key: string;
  /** Tokens this front-end took since its last sync. */
  spent: number;
  /** Refill per second and ceiling; every front-end passes the same (one config). */
  rate: number;
  burst: number;
}

export interface SharedBuckets {
  /** Adds each spend to its bucket at `nowMs` (refilled first) and resolves the tokens left, in order. */
  spend(entries: readonly BucketSpend[], nowMs: number): Promise<number[]>;
}

/**
 * One bucket as a hash {t: tokens, s: stamp ms}: refill by elapsed × rate up to burst, take the
 * spend (down to −burst: an overspent cluster owes at most one burst), keep the key a little
 * longer than a refill takes. Atomic per key; keys of one node go in one pipeline.
 */
const SPEND_LUA = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local spent = tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = tonumber(v[1])
local stamp = tonumber(v[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
if now > stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate / 1000)
  stamp = now
end
tokens = math.max(-burst, tokens - spent)
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(stamp))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return tostring(tokens)
`;

interface SpendCommand {
  andnsBucketSpend(key: string, now: number, rate: number, burst: number, spent: number, ttlMs: number): Promise<string>;
}

export class RedisBuckets implements SharedBuckets {
  private readonly cluster: Cluster;
  private readonly timeoutMs: number;

  /** Uses the shared cache's own cluster connection (RedisClusterStore.cluster). */
  constructor(cluster: Cluster, timeoutMs: number) {
    this.cluster = cluster;
    this.timeoutMs = timeoutMs;
    if (!(cluster as unknown as Partial<SpendCommand>).andnsBucketSpend) {
      cluster.defineCommand('andnsBucketSpend', { numberOfKeys: 1, lua: SPEND_LUA });
    }
  }

  async spend(entries: readonly BucketSpend[], nowMs: number): Promise<number[]> {
    const out = new Array<number>(entries.length).fill(Number.NaN);
    // A pipeline may not cross nodes in a cluster: one per node, as the cache's batched reads do.
    const byNode = new Map<string, number[]>();
    entries.forEach((e, i) => {
      const slot = keySlot(e.key);
      const node = this.cluster.slots[slot]?.join(';') ?? `?${slot}`;
      const list = byNode.get(node);
      if (list) list.push(i);
      else byNode.set(node, [i]);
    });
    const now = Math.round(nowMs);
    let firstError: Error | undefined;
    const work = Promise.all(
      [...byNode.values()].map(async (indexes) => {
        const pipeline = this.cluster.pipeline() as unknown as SpendCommand & { exec(): Promise<[Error | null, unknown][] | null> };
        for (const i of indexes) {
          const e = entries[i]!;
          const ttl = Math.max(2_000, Math.ceil((e.burst / Math.max(e.rate, 0.001)) * 2_000));
          void pipeline.andnsBucketSpend(e.key, now, e.rate, e.burst, e.spent, ttl);
        }
        const replies = (await pipeline.exec()) ?? [];
        indexes.forEach((i, j) => {
          const [err, value] = replies[j] ?? [new StoreError('no reply'), undefined];
          if (err) firstError ??= err;
          else out[i] = Number(value);
        });
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreError(`redis bucket sync timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new StoreError(String(err)));
        },
      );
    });
    // Every bucket failed: the store is away, and the caller should say so (limits stay local).
    if (firstError && out.every((v) => Number.isNaN(v))) throw firstError;
    return out;
  }
}
