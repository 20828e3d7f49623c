// The shared store on a Redis Cluster through ioredis: batched reads, ranked writes by Lua,
// leases, flush by SCAN (or by slot when the glob names one owner), pub/sub — all fail-fast,
// each command judged by the health of the master that serves its key (node-health.ts), and
// no caller waiting on Redis past its budget (redis-options.ts readBudgetMs).

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cluster, type Redis } from 'ioredis';
import { systemClock, type Clock } from '../util/clock.ts';
import { instruments } from '../telemetry/instruments.ts';
import type { Logger } from '../util/log.ts';
import { defaultBreakerOptions, type BreakerOptions } from './breaker.ts';
import { globToRegExp } from './glob.ts';
import { RELEASE_LUA, SET_RANKED_LUA } from './guard.ts';
import { checkMemoryPolicy } from './memory-policy.ts';
import { NodeHealth } from './node-health.ts';
import { ReadBatcher, type BatchResult } from './read-batcher.ts';
import { clusterOptions, parseSeeds, reconnectDelay, type ParsedSeeds, type RedisStoreOptions } from './redis-options.ts';
import { ChannelSubscriber } from './redis-subscriber.ts';
import { keySlot } from './slot.ts';
import { StoreBudgetError, StoreError, type MessageListener, type ReadOptions, type SetOptions, type SharedStore } from './store.ts';

interface ScriptCommands {
  andnsSetRankedBuffer(key: string, value: Buffer, pxat: number, now: number): Promise<Buffer | null>;
  andnsRelease(key: string, token: string): Promise<number>;
}

export interface RedisStoreHealth {
  /** Per-master circuit breakers. Default: defaultBreakerOptions. */
  breaker?: BreakerOptions;
  clock?: Clock;
}

/** The `command` label of andns_redis_command_duration_seconds, one attribute object each. */
const COMMANDS: Record<string, { command: string }> = {
  mget: { command: 'mget' }, set: { command: 'set' }, setRanked: { command: 'set_ranked' }, del: { command: 'del' },
  lease: { command: 'lease' }, release: { command: 'release' }, command: { command: 'other' },
};

/** While Redis stays unreachable, one summary line this often instead of one line per error. */
const OUTAGE_LOG_EVERY_MS = 30_000;

export class RedisClusterStore implements SharedStore {
  readonly cluster: Cluster;
  /** Per-master health: the shared tier's state to report, and what guards every command. */
  readonly health: NodeHealth;
  private readonly options: RedisStoreOptions;
  private readonly seeds: ParsedSeeds;
  private readonly log: Logger;
  private readonly batcher: ReadBatcher;
  private readonly subscriber: ChannelSubscriber;
  private readonly listeners = new Map<string, Set<MessageListener>>();
  private outageSince = 0;
  private lastOutageLog = 0;
  private suppressed = 0;
  private memoryChecked = false;
  private refreshing = false;
  private closed = false;

  constructor(options: RedisStoreOptions, log: Logger, health: RedisStoreHealth = {}) {
    this.options = options;
    this.log = log;
    this.seeds = parseSeeds(options.urls);
    const scripts = {
      andnsSetRanked: { lua: SET_RANKED_LUA, numberOfKeys: 1 },
      andnsRelease: { lua: RELEASE_LUA, numberOfKeys: 1 },
    };
    const cOptions = clusterOptions(this.seeds, options, scripts);
    this.cluster = new Cluster(this.seeds.nodes, cOptions);
    this.health = new NodeHealth(health.breaker ?? defaultBreakerOptions, health.clock ?? systemClock, (node, state) => {
      this.log.info('redis node circuit', { node, state });
      // A master that stopped answering may have been replaced: ask the cluster now rather
      // than at the next periodic refresh (its replica takes over after cluster-node-timeout).
      if (state === 'open') this.refreshSlots();
    });
    // Without a listener an 'error' event would crash the process; Redis is an accelerator.
    this.cluster.on('error', (err: Error) => this.noteError(err));
    this.cluster.on('ready', () => this.onReady());
    this.cluster.on('refresh', () => this.onRefresh());
    this.subscriber = new ChannelSubscriber({
      nodes: () => {
        const known = this.cluster.nodes('all').map((n) => ({ host: n.options.host!, port: n.options.port! }));
        return known.length > 0 ? known : this.seeds.nodes;
      },
      redisOptions: cOptions.redisOptions ?? {},
      deliver: (channel, message) => this.deliver(channel, message),
      retryDelay: (n) => reconnectDelay(n),
      connectTimeoutMs: options.connectTimeoutMs,
    });
    this.batcher = new ReadBatcher((keys) => this.readBatch(keys), options.readBudgetMs);
  }

  /** Resolves when the cluster client is ready, or rejects after `timeoutMs`. */
  ready(timeoutMs = 5000): Promise<void> {
    const ready = this.cluster.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => this.cluster.once('ready', () => resolve()));
    return deadline(ready.then(() => this.connectMasters()), timeoutMs, 'connect');
  }

  /**
   * Connects to every master now: ioredis connects to a node on its first command, and a
   * connection set-up does not fit in a read budget, so the first reads would all be misses.
   */
  private async connectMasters(): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.cluster.nodes('master').map((n) => (n.status === 'ready' ? undefined : n.ping().catch(() => undefined))));
  }

  /** Reads and writes asked but not back within the budget (each a miss, or a write left to finish alone). */
  get overBudget(): number {
    return this.batcher.overBudget + this.lateCalls;
  }
  private lateCalls = 0;

  mget(keys: readonly string[], read: ReadOptions = {}): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    if (this.options.batchReads && read.budgetMs === undefined) return this.batcher.read(keys, read.late);
    const node = this.nodeOf(keys[0]!);
    return this.budget(node, this.guard(node, () => this.mgetDirect(keys), 'mget'), read.budgetMs ?? this.options.readBudgetMs, read.late);
  }

  set(key: string, value: Buffer, options: SetOptions): Promise<void> {
    const node = this.nodeOf(key);
    const work = this.guard(node, () => this.cluster.set(key, value, 'PXAT', Math.round(options.expireAtMs)), 'set');
    return this.budget(node, work.then(() => undefined));
  }

  setRanked(key: string, value: Buffer, options: SetOptions & { nowMs: number }): Promise<Buffer | null> {
    const run = () => this.scripts().andnsSetRankedBuffer(key, value, Math.round(options.expireAtMs), Math.round(options.nowMs));
    const node = this.nodeOf(key);
    return this.budget(node, this.guard(node, run, 'setRanked'));
  }

  async del(keys: readonly string[]): Promise<number> {
    // One UNLINK per key: keys of different owners sit in different slots (no CROSSSLOT errors).
    const counts = await Promise.all(keys.map((k) => this.guard(this.nodeOf(k), () => this.cluster.unlink(k), 'del')));
    return counts.reduce((a, b) => a + b, 0);
  }

  async deleteMatching(glob: string): Promise<number> {
    const tag = literalTag(glob);
    const work = tag !== undefined ? this.deleteInSlot(keySlot(`{${tag}}`), glob) : this.deleteEverywhere(glob);
    return deadline(work, this.options.flushTimeoutMs, 'deleteMatching');
  }

  async lease(key: string, ttlMs: number): Promise<string | null> {
    const token = randomBytes(9).toString('base64url');
    const node = this.nodeOf(key);
    const take = this.guard(node, () => this.cluster.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'), 'lease');
    // A lease comes before a resolution (which waits on upstream anyway), and one missed costs
    // every front-end a resolution of its own: it may take the command timeout, not the read
    // budget. A lease granted after we stopped waiting would make other front-ends wait for a
    // resolution nobody does: give it back at once.
    const ok = await this.budget(node, take, this.options.commandTimeoutMs, (late) => {
      if (late === 'OK') void this.release(key, token).catch(() => undefined);
    });
    return ok === 'OK' ? token : null;
  }

  async release(key: string, token: string): Promise<boolean> {
    return (await this.guard(this.nodeOf(key), () => this.scripts().andnsRelease(key, token), 'release')) === 1;
  }

  async publish(channel: string, message: string): Promise<void> {
    await deadline(this.cluster.publish(channel, message), this.options.commandTimeoutMs, 'publish');
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      // While the cluster is unreachable this only queues: the subscriber retries by itself.
      await this.subscriber.subscribe(channel);
    }
    const own = (m: string): void => listener(m);
    set.add(own);
    return async () => {
      set.delete(own);
      if (set.size > 0) return;
      this.listeners.delete(channel);
      await this.subscriber.unsubscribe(channel);
    };
  }

  async close(): Promise<void> {
    // Late failures may still open circuits, which would refresh slots (new connections).
    this.closed = true;
    this.listeners.clear();
    this.subscriber.close();
    this.cluster.disconnect();
  }

  /**
   * Runs one command for `key` under its master's circuit breaker and the command deadline
   * (for other shared state kept in this cluster, e.g. rate limits): fails at once while that
   * master is unhealthy.
   */
  run<T>(key: string, work: (cluster: Cluster) => Promise<T>, what = 'command'): Promise<T> {
    return this.guard(this.nodeOf(key), () => work(this.cluster), what);
  }

  /** "host:port" of the master serving `key` in the client's slot map ("?" before any is known). */
  nodeOf(key: string): string {
    return this.cluster.slots[keySlot(key)]?.[0] ?? '?';
  }

  private guard<T>(node: string, work: () => Promise<T>, what: string): Promise<T> {
    const breaker = this.health.of(node);
    return breaker.run(async () => {
      // Calls that pass the breaker are timed, failures and timeouts included (they are the tail).
      const started = performance.now();
      try {
        return await deadline(work(), this.options.commandTimeoutMs, what);
      } finally {
        instruments.redisCommandDuration.record((performance.now() - started) / 1000, COMMANDS[what] ?? COMMANDS['command']!);
      }
    });
  }

  /**
   * The caller's view of `work`: its outcome if it settles within `ms`, else a StoreBudgetError
   * (the work carries on; `late` hears its value). An open circuit still rejects at once.
   */
  private budget<T>(node: string, work: Promise<T>, ms = this.options.readBudgetMs, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.lateCalls++;
        this.health.of(node).tooSlow();
        reject(new StoreBudgetError(`redis call not back within ${ms} ms`));
      }, ms);
      work.then(
        (v) => {
          clearTimeout(timer);
          if (!settled) resolve(v);
          else late?.(v);
          settled = true;
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!settled) reject(err instanceof Error ? err : new StoreError(String(err)));
          settled = true;
        },
      );
    });
  }

  /** One pipeline per node, one MGET per slot in it (MGET may not cross slots); an unhealthy node's keys fail at once. */
  private async readBatch(keys: string[]): Promise<BatchResult> {
    const results: BatchResult = new Map();
    const byNode = new Map<string, Map<number, string[]>>();
    for (const k of keys) {
      const slot = keySlot(k);
      const node = this.cluster.slots[slot]?.[0] ?? '?';
      let slots = byNode.get(node);
      if (!slots) byNode.set(node, (slots = new Map()));
      const list = slots.get(slot);
      if (list) list.push(k);
      else slots.set(slot, [k]);
    }
    await Promise.all(
      [...byNode].map(async ([node, slots]) => {
        const groups = [...slots.values()];
        try {
          const started = performance.now();
          const replies = await this.guard(node, () => this.sendGroups(groups), 'mget');
          if (performance.now() - started > this.options.readBudgetMs) this.health.of(node).tooSlow();
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

  /** A slot map arrived: the cluster answers, and nodes that serve no slot now are forgotten. */
  private onRefresh(): void {
    this.endOutage();
    const masters = new Set<string>();
    for (const owners of this.cluster.slots) if (owners?.[0]) masters.add(owners[0]);
    this.health.retain(masters);
  }

  private endOutage(): void {
    if (this.outageSince > 0) {
      this.log.info('redis cluster reachable again', { downMs: Date.now() - this.outageSince, errorsNotLogged: this.suppressed });
      this.outageSince = 0;
      this.suppressed = 0;
    }
  }

  private onReady(): void {
    this.endOutage();
    // Connected again: probe open nodes soon (jittered, so front-ends do not all come at once).
    this.health.probeSoon(200);
    void this.connectMasters();
    if (!this.memoryChecked) {
      this.memoryChecked = true;
      void checkMemoryPolicy(this.cluster.nodes('master'), this.log).catch(() => undefined);
    }
  }

  private refreshSlots(): void {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    // refreshSlotsCache is not in ioredis's typings; it ignores calls while one is running.
    const c = this.cluster as unknown as { refreshSlotsCache(cb?: (err?: Error) => void): void };
    c.refreshSlotsCache(() => (this.refreshing = false));
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

  /**
   * While Redis is unreachable ioredis reports every failed attempt (a "Failed to refresh slots
   * cache" each second): log the first, then one summary every 30 s, and the recovery.
   */
  private noteError(err: Error): void {
    const now = Date.now();
    if (this.outageSince === 0) {
      this.outageSince = now;
      this.lastOutageLog = now;
      this.log.warn('redis cluster error; answering without the parts of the shared tier that fail', { err: err.message });
      return;
    }
    this.suppressed++;
    if (now - this.lastOutageLog < OUTAGE_LOG_EVERY_MS) return;
    this.lastOutageLog = now;
    this.log.warn('redis cluster errors continue', { downMs: now - this.outageSince, errors: this.suppressed, err: err.message });
  }
}

/** Our own deadline on top of ioredis's: its retries and redirections cannot outlast it. */
function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
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
