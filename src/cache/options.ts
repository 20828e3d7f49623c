// The cache's part of the configuration.

export interface CacheOptions {
  /** Most RRsets and negative entries held in process memory. */
  maxEntries: number;
  /** TTL floor and ceiling applied to positive data, seconds. */
  minTtl: number;
  maxTtl: number;
  /** Ceiling for negative answers (RFC 2308 §5), seconds. */
  maxNegativeTtl: number;
}

export const defaultCacheOptions: CacheOptions = Object.freeze({
  maxEntries: 200_000,
  minTtl: 0,
  maxTtl: 86_400,
  maxNegativeTtl: 3_600,
});
