// The cache's part of the configuration: TTL caps. Its size is the shared cache's memory budget
// (sharedCache.memoryMaxBytes embedded, Redis's own maxmemory with Redis Cluster).

export interface CacheOptions {
  /** TTL floor and ceiling applied to positive data, seconds. */
  minTtl: number;
  maxTtl: number;
  /** Ceiling for negative answers (RFC 2308 §5), seconds. */
  maxNegativeTtl: number;
}

export const defaultCacheOptions: CacheOptions = Object.freeze({
  minTtl: 0,
  maxTtl: 86_400,
  maxNegativeTtl: 3_600,
});
