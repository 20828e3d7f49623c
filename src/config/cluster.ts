// The config keys of the cluster shape: the shared cache (embedded or Redis Cluster) and the
// number of worker processes, with their checks and defaults.

import { defaultSharedCacheOptions, redisOptions, type SharedCacheOptions } from '../shared-cache/options.ts';
import { defaultRedisStoreOptions, parseSeeds } from '../shared-cache/redis-options.ts';
import type { ListenAddress } from '../server/options.ts';
import { arrayOf, ConfigError, describe, integer, nonEmptyString, object, schemaOf, show, type Check } from './check.ts';

/**
 * The `sharedCache` key as written in the file: the shared cache's own options (documented in
 * shared-cache/options.ts), with Redis given as seed URLs and its timeouts flattened, plus the
 * size of the pipeline's hot wire-answer tier. The three sizes (memoryMaxBytes, hotMaxBytes,
 * hotAnswersMaxBytes) default to 0: a share of memory.budgetMiB (config/memory.ts); a non-zero
 * value is an expert override in bytes per process, checked against the budget.
 */
export type SharedCacheConfig = Omit<SharedCacheOptions, 'redis' | 'breaker'> & {
  redis: string[];
  hotAnswersMaxBytes: number;
  redisCommandTimeoutMs: number;
  redisConnectTimeoutMs: number;
  redisReadBudgetMs: number;
};

const { redis: _noRedis, breaker: _breaker, ...sharedDefaults } = defaultSharedCacheOptions;
export const defaultSharedCacheConfig: SharedCacheConfig = Object.freeze({
  ...sharedDefaults,
  memoryMaxBytes: 0,
  hotMaxBytes: 0,
  redis: [],
  hotAnswersMaxBytes: 0,
  redisCommandTimeoutMs: defaultRedisStoreOptions.commandTimeoutMs,
  redisConnectTimeoutMs: defaultRedisStoreOptions.connectTimeoutMs,
  redisReadBudgetMs: defaultRedisStoreOptions.readBudgetMs,
});

const HOUR_MS = 3_600_000;
const GIB = 1024 * 1024 * 1024;

/** A seed URL: redis:// or rediss:// (TLS), credentials allowed; never echoed with its password. */
const redisUrl: Check<string> = describe((value, path) => {
  const text = nonEmptyString(value, path);
  try {
    parseSeeds([text]);
  } catch (err) {
    throw new ConfigError(path, (err as Error).message);
  }
  return text;
}, { type: 'string', minLength: 1, description: 'a redis:// or rediss:// seed URL', examples: ['redis://10.0.0.1:7000'] });

export const redisSeeds: Check<string[]> = describe((value, path) => {
  const urls = arrayOf(redisUrl)(value, path);
  try {
    if (urls.length > 0) parseSeeds(urls);
  } catch (err) {
    throw new ConfigError(path, (err as Error).message);
  }
  return urls;
}, (path) => schemaOf(arrayOf(redisUrl), path), (value) => value);

const keyPrefix: Check<string> = describe((value, path) => {
  const text = nonEmptyString(value, path);
  if (/[{}]/.test(text)) throw new ConfigError(path, `${show(value)} must not contain "{" or "}" (Redis Cluster hash tags)`);
  return text;
}, { type: 'string', minLength: 1, pattern: '^[^{}]*$' });

export const sharedCacheCheck = object<SharedCacheConfig>(
  {
    redis: redisSeeds,
    keyPrefix,
    memoryMaxBytes: integer(0, 64 * GIB),
    hotMaxBytes: integer(0, 64 * GIB),
    hotAnswersMaxBytes: integer(0, 64 * GIB),
    hotMaxAgeMs: integer(1, 24 * HOUR_MS),
    staleWindowMs: integer(0, 30 * 24 * HOUR_MS),
    staleTtl: integer(1, 3600),
    staleAfterMs: integer(1, HOUR_MS),
    prefetchPercent: integer(0, 50),
    prefetchQueueSize: integer(1, 1_000_000),
    prefetchConcurrency: integer(1, 1000),
    leaseMs: integer(10, HOUR_MS),
    leasePollMs: integer(1, HOUR_MS),
    redisCommandTimeoutMs: integer(1, HOUR_MS),
    redisConnectTimeoutMs: integer(1, HOUR_MS),
    redisReadBudgetMs: integer(1, HOUR_MS),
  },
  defaultSharedCacheConfig,
);

export const workersCheck = integer(1, 1024);

/** The shared cache's options from its config key. */
export function sharedCacheOptions(c: SharedCacheConfig): SharedCacheOptions {
  const { redis, hotAnswersMaxBytes: _, redisCommandTimeoutMs, redisConnectTimeoutMs, redisReadBudgetMs, ...rest } = c;
  return {
    ...defaultSharedCacheOptions,
    ...rest,
    ...(redis.length > 0 ? { redis: redisOptions(redis, { commandTimeoutMs: redisCommandTimeoutMs, connectTimeoutMs: redisConnectTimeoutMs, readBudgetMs: redisReadBudgetMs }) } : {}),
  };
}

/** Cross-key rules of the cluster keys. */
export function checkCluster(c: { workers: number; listen: ListenAddress[] }): void {
  // Each worker binds its own socket (SO_REUSEPORT): port 0 would give each a different port.
  if (c.workers > 1 && c.listen.some((l) => l.port === 0)) {
    throw new ConfigError('workers', `${c.workers} workers need fixed listen ports (port 0 would differ per worker)`);
  }
}
