// The Redis Cluster store's options and the seed URLs they come from, turned into ioredis options.

import type { ClusterOptions } from 'ioredis';

export interface RedisStoreOptions {
  /**
   * Cluster seed nodes: `redis://[user:password@]host:port` or `rediss://…` for TLS. The client
   * learns the other nodes from them. Credentials and scheme must agree across the seeds.
   */
  urls: string[];
  /**
   * Deadline of every command (reads, writes, leases), ms: a node whose commands keep failing
   * or timing out has its circuit opened (node-health.ts). Default 100.
   */
  commandTimeoutMs: number;
  /**
   * How long a query waits for a shared-tier read or write, ms; past it the read is a miss for
   * that query (a late reply still warms this process's hot map) and the write carries on
   * without it. Well under a client's patience, so a stalled node never shows in answers.
   * Default 25.
   */
  readBudgetMs: number;
  /** Deadline of connecting to one node, ms. Default 1000. */
  connectTimeoutMs: number;
  /** Deadline of a flush (SCAN + UNLINK over every master), ms. Default 10 000. */
  flushTimeoutMs: number;
  /**
   * Gather the reads of one event-loop turn into one MGET per slot and one pipeline per node
   * (PERFORMANCE.md: +31 % per core over auto-pipelining). Default true; false sends each mget
   * as it comes (for comparison in the benchmark).
   */
  batchReads: boolean;
  /** ioredis auto-pipelining, only to compare against in the benchmark. Default false. */
  autoPipelining: boolean;
}

export const defaultRedisStoreOptions: Omit<RedisStoreOptions, 'urls'> = Object.freeze({
  commandTimeoutMs: 100,
  readBudgetMs: 25,
  connectTimeoutMs: 1000,
  flushTimeoutMs: 10_000,
  batchReads: true,
  autoPipelining: false,
});

export interface ParsedSeeds {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

/** Parses seed URLs; throws a TypeError naming the bad URL. */
export function parseSeeds(urls: readonly string[]): ParsedSeeds {
  if (urls.length === 0) throw new TypeError('redis: at least one seed URL is needed');
  const out: ParsedSeeds = { nodes: [], tls: false };
  urls.forEach((text, i) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TypeError(`redis: seed URL ${i + 1} is not a URL: ${redact(text)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new TypeError(`redis: seed URL ${redact(text)} must use redis:// or rediss://`);
    const tls = url.protocol === 'rediss:';
    if (i > 0 && tls !== out.tls) throw new TypeError('redis: seed URLs mix redis:// and rediss://');
    out.tls = tls;
    const username = decodeURIComponent(url.username) || undefined;
    const password = decodeURIComponent(url.password) || undefined;
    if (i > 0 && (username !== out.username || password !== out.password)) throw new TypeError('redis: seed URLs carry different credentials');
    if (username !== undefined) out.username = username;
    if (password !== undefined) out.password = password;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    out.nodes.push({ host, port: url.port ? Number(url.port) : 6379 });
  });
  return out;
}

/** ioredis Cluster options: fail fast, never queue while disconnected, reconnect forever. */
export function clusterOptions(seeds: ParsedSeeds, options: RedisStoreOptions, scripts: ClusterOptions['scripts']): ClusterOptions {
  return {
    // Commands while the cluster is unreachable fail at once: the breaker and the resolver take over.
    enableOfflineQueue: false,
    enableReadyCheck: true,
    enableAutoPipelining: options.autoPipelining,
    scaleReads: 'master',
    maxRedirections: 6,
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: options.connectTimeoutMs,
    // Learn of a fail-over within a second even when no MOVED reply tells us (a dead master's
    // keys get no replies at all).
    slotsRefreshInterval: 1000,
    // Keep trying to reach the cluster, jittered and bounded at 1 s, so recovery needs no
    // restart and the front-ends of a cluster do not all come back in the same millisecond.
    clusterRetryStrategy: (times) => reconnectDelay(times),
    clusterNodeRetryStrategy: (times) => reconnectDelay(times),
    scripts,
    redisOptions: {
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      ...(seeds.username !== undefined ? { username: seeds.username } : {}),
      ...(seeds.password !== undefined ? { password: seeds.password } : {}),
      ...(seeds.tls ? { tls: {} } : {}),
    },
  };
}

/** Delay before reconnection attempt `times` (1-based): 100, 200, 400, 800, 1000… ms, each × [0.5, 1). */
export function reconnectDelay(times: number, random: () => number = Math.random): number {
  const base = Math.min(100 * 2 ** Math.min(Math.max(times, 1) - 1, 10), 1000);
  return Math.round(base * (0.5 + random() / 2));
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
