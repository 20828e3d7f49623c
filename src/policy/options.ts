// The exposure policy's part of the configuration: response-rate limiting, per-client limits,
// server cookies (config/ builds it; policy/ only reads it).

import type { Prefix } from './address.ts';

export interface RateLimitOptions {
  /** UDP responses per second per client prefix and kind (BIND RRL, Knot rrl); 0: that kind is not limited. */
  responsesPerSecond: number;
  nodataPerSecond: number;
  nxdomainsPerSecond: number;
  errorsPerSecond: number;
  /** Every slip-th limited response goes out small (TC=1, or BADCOOKIE to a cookie client); the rest are dropped. 0: drop all. */
  slip: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  /** Queries per second one client address (IPv6: its /64) may send, on every transport; 0: no limit. */
  clientQueriesPerSecond: number;
  /** Queries one client address may have in resolution at once (DNSBomb); 0: no limit. */
  clientMaxInFlight: number;
  /** Bound on the buckets kept per process (prefix × kind; the least recently used go first). */
  maxBuckets: number;
  /** Sources no rate limit applies to. */
  exempt: readonly Prefix[];
  /** With Redis: how often a front-end adds what it spent to the cluster's buckets and reads theirs, ms. */
  syncIntervalMs: number;
}

export interface CookieOptions {
  /** Server cookies (RFC 7873, RFC 9018) on replies to queries that carry a client cookie. */
  enabled: boolean;
  /** The secret every front-end shares (16 bytes); a random one per process when not configured. */
  secret: Uint8Array | undefined;
  /** The secret before the last rotation: cookies it made are still accepted. */
  previousSecret: Uint8Array | undefined;
  /** UDP queries with a client cookie but no valid server cookie get BADCOOKIE (RFC 7873 §5.2.3). */
  requireOverUdp: boolean;
}

export const defaultRateLimit = Object.freeze({
  responsesPerSecond: 20,
  nodataPerSecond: 20,
  nxdomainsPerSecond: 20,
  errorsPerSecond: 10,
  slip: 2,
  ipv4PrefixLength: 24,
  ipv6PrefixLength: 56,
  clientQueriesPerSecond: 500,
  clientMaxInFlight: 100,
  maxBuckets: 65_536,
  syncIntervalMs: 100,
});

/** Loopback cannot be spoofed from outside the host: local load generators and tests go unlimited. */
export const DEFAULT_EXEMPT = Object.freeze(['127.0.0.0/8', '::1/128']);
