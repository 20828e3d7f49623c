// The shared store on a Redis Cluster through ioredis: batched reads, ranked writes by Lua,
// leases, flush by SCAN (or by slot when the glob names one owner), pub/sub — all fail-fast.

import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from '../util/log.ts';
import { globToRegExp } from './glob.ts';
import { RELEASE_LUA, SET_RANKED_LUA } from './guard.ts';
import { ReadBatcher, type BatchResult } from './read-batcher.ts';
import { clusterOptions, parseSeeds, type RedisStoreOptions } from './redis-options.ts';
import { keySlot } from './slot.ts';
import { StoreError, type MessageListener, type SetOptions, type SharedStore } from './store.ts';

interface ScriptCommands {
  andnsSetRankedBuffer(key: string, value: Buffer, pxat: number, now: number): Promise<Buffer | null>;
  andnsRelease(key: string, token: string): Promise<number>;
}

export class RedisClusterStore implements SharedStore {
  readonly cluster: Cluster;
  private readonly options: RedisStoreOptions;
  private readonly log: Logger;
  private readonly batcher: ReadBatcher;
  private readonly listeners = new Map<string, Set<MessageListener>>();
  private lastErrorLog = 0;

  constructor(options: RedisStoreOptions, log: Logger) {
    this.options = options;
    this.log = log;
    const seeds = parseSeeds(options.urls);
    const scripts = {
      andnsSetRanked: { lua: SET_RANKED_LUA, numberOfKeys: 1 },
      andnsRelease: { lua: RELEASE_LUA, numberOfKeys: 1 },
    };
    this.cluster = new Cluster(seeds.nodes, clusterOptions(seeds, options, scripts));
    // Without a listener an 'error' event would crash the process; Redis is an accelerator.
    this.cluster.on('error', (err: Error) => this.noteError('redis cluster error', err));
    this.cluster.on('ready', () => void this.resubscribe());
    this.cluster.on('messageBuffer', (channel: Buffer, message: Buffer) => this.deliver(channel.toString(), message.toString()));
    this.batcher = new ReadBatcher((keys) => this.readBatch(keys));
  }

  /** Resolves when the cluster client is ready, or rejects after `timeoutMs`. */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.cluster.status === 'ready') return Promise.resolve();
    return this.deadline(new Promise<void>((resolve) => this.cluster.once('ready', () => resolve())), timeoutMs, 'connect');
  }

  mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    if (this.options.batchReads) return this.batcher.read(keys);
    return this.deadline(this.mgetDirect(keys), this.options.commandTimeoutMs, 'mget');
  }

  async set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    await this.deadline(this.cluster.set(key, value, 'PXAT', Math.round(options.expireAtMs)), this.options.commandTimeoutMs, 'set');
  }

  setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    const run = this.scripts().andnsSetRankedBuffer(key, value, Math.round(options.expireAtMs), Math.round(options.nowMs));
    return this.deadline(run, this.options.commandTimeoutMs, 'setRanked');
  }

  async del(keys: readonly string[]): Promise<number> {
    // One UNLINK per key: keys of different owners sit in different slots (no CROSSSLOT errors).
    const counts = await this.deadline(Promise.all(keys.map((k) => this.cluster.unlink(k))), this.options.commandTimeoutMs, 'del');
    return counts.reduce((a, b) => a + b, 0);
  }

  async deleteMatching(glob: string): Promise<number> {
    const tag = literalTag(glob);
    const work = tag !== undefined ? this.deleteInSlot(keySlot(`{${tag}}`), glob) : this.deleteEverywhere(glob);
    return this.deadline(work, this.options.flushTimeoutMs, 'deleteMatching');
  }

  async lease(key: string, ttlMs: number): Promise<string | null> {
    const token = randomBytes(9).toString('base64url');
    const ok = await this.deadline(this.cluster.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'), this.options.commandTimeoutMs, 'lease');
    return ok === 'OK' ? token : null;
  }

  async release(key: string, token: string): Promise<boolean> {
    return (await this.deadline(this.scripts().andnsRelease(key, token), this.options.commandTimeoutMs, 'release')) === 1;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.deadline(this.cluster.publish(channel, message), this.options.commandTimeoutMs, 'publish');
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      // While the cluster is unreachable this fails; 'ready' subscribes again (resubscribe).
      await this.cluster.subscribe(channel).catch((err: Error) => this.noteError('subscribe deferred', err));
    }
    const own = (m: string): void => listener(m);
    set.add(own);
    return async () => {
      set.delete(own);
      if (set.size > 0) return;
      this.listeners.delete(channel);
      await this.cluster.unsubscribe(channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.cluster.disconnect();
  }

  /** One pipeline per node, one MGET per slot in it (MGET may not cross slots). */
  private async readBatch(keys: string[]): Promise<BatchResult> {
    const results: BatchResult = new Map();
    const byNode = new Map<string, Map<number, string[]>>();
    for (const k of keys) {
      const slot = keySlot(k);
      const node = this.cluster.slots[slot]?.join(';') ?? `?${slot}`;
      let slots = byNode.get(node);
      if (!slots) byNode.set(node, (slots = new Map()));
      const list = slots.get(slot);
      if (list) list.push(k);
      else slots.set(slot, [k]);
    }
    await Promise.all(
      [...byNode.values()].map(async (slots) => {
        const groups = [...slots.values()];
        try {
          const replies = await this.deadline(this.sendGroups(groups), this.options.commandTimeoutMs, 'mget');
          groups.forEach((group, i) => {
            const [err, values] = replies[i]!;
            group.forEach((k, j) => results.set(k, err ?? values?.[j] ?? null));
          });
        } catch (err) {
          for (const group of groups) for (const k of group) results.set(k, err as Error);
        }
      }),
    );
    return results;
  }

  private async sendGroups(groups: string[][]): Promise<[Error | null, (Buffer | null)[] | undefined][]> {
    if (groups.length === 1) return [[null, await this.cluster.mgetBuffer(...groups[0]!)]];
    const pipeline = this.cluster.pipeline();
    for (const g of groups) pipeline.mgetBuffer(...g);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, v]) => [err, v as (Buffer | null)[] | undefined]);
  }

  private mgetDirect(keys: readonly string[]): Promise<(Buffer | null)[]> {
    const slot = keySlot(keys[0]!);
    if (keys.every((k) => keySlot(k) === slot)) return this.cluster.mgetBuffer(...keys);
    return Promise.all(keys.map((k) => this.cluster.getBuffer(k)));
  }

  /** A glob naming one owner: every key of it is in one slot, so list that slot only. */
  private async deleteInSlot(slot: number, glob: string): Promise<number> {
    const node = this.nodeOfSlot(slot);
    const count = Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
    if (count === 0) return 0;
    const keys = (await node.call('CLUSTER', 'GETKEYSINSLOT', slot, count)) as string[];
    const re = globToRegExp(glob);
    const doomed = keys.filter((k) => re.test(k));
    if (doomed.length === 0) return 0;
    return Number(await node.call('UNLINK', ...doomed));
  }

  private async deleteEverywhere(glob: string): Promise<number> {
    const counts = await Promise.all(this.cluster.nodes('master').map((node) => scanDelete(node, glob)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private nodeOfSlot(slot: number): Redis {
    const key = this.cluster.slots[slot]?.[0];
    const node = this.cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key);
    if (!node) throw new StoreError(`no known master for slot ${slot}`);
    return node;
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.listeners.keys()];
    if (channels.length > 0) await this.cluster.subscribe(...channels).catch((err: Error) => this.noteError('resubscribe failed', err));
  }

  private deliver(channel: string, message: string): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(message);
      } catch (err) {
        this.log.error('shared cache listener failed', { channel, err: String(err) });
      }
    }
  }

  private scripts(): ScriptCommands {
    return this.cluster as unknown as ScriptCommands;
  }

  /** Our own deadline on top of ioredis's: its retries and redirections cannot outlast it. */
  private deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreError(`redis ${what} timed out after ${ms} ms`)), ms);
      work.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new StoreError(String(err)));
        },
      );
    });
  }

  /** Errors come in storms when Redis is down: log at most one a second. */
  private noteError(msg: string, err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 1000) return;
    this.lastErrorLog = now;
    this.log.warn(msg, { err: err.message });
  }
}

/** SCAN one master for a glob and UNLINK what matches, a page at a time. */
async function scanDelete(node: Redis, glob: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', glob, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    // Keys of one page may sit in different slots of this node: one UNLINK each, one round trip.
    const pipeline = node.pipeline();
    for (const k of keys) pipeline.unlink(k);
    for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) deleted += Number(n);
  } while (cursor !== '0');
  return deleted;
}

/** The hash tag of a glob when it is literal (no wildcard inside the braces), unescaped. */
export function literalTag(glob: string): string | undefined {
  const open = glob.indexOf('{');
  if (open === -1) return undefined;
  let tag = '';
  for (let i = open + 1; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') tag += glob[++i] ?? '';
    else if (c === '}') return tag.length > 0 ? tag : undefined;
    else if (c === '*' || c === '?' || c === '[') return undefined;
    else tag += c;
  }
  return undefined;
}
