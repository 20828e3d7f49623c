// Plain-number counters of the exposure policy, read at scrape time by observable instruments
// (telemetry/instruments.ts): an increment on the hit path is one typed-array add, no attribute
// object and no call into a metrics SDK (the telemetry/counters.ts convention).

import { KIND_NAMES } from './rrl.ts';

export const RRL_ACTIONS = ['dropped', 'slipped'] as const;
export const CLIENT_LIMITS = ['query-rate', 'in-flight'] as const;
/** Indexed by CookieStatus (NONE is never counted), then BADCOOKIE replies sent. */
export const COOKIE_STATUSES = ['none', 'malformed', 'client-only', 'bad', 'valid', 'badcookie-sent'] as const;
export const COOKIE_BADCOOKIE_SENT = 5;

export const policyCounters = {
  /** UDP responses held back, indexed kind * 2 + action (KIND_NAMES × RRL_ACTIONS). */
  rrl: new Float64Array(KIND_NAMES.length * RRL_ACTIONS.length),
  /** Queries over a per-client limit, indexed by CLIENT_LIMITS. */
  client: new Float64Array(CLIENT_LIMITS.length),
  /** Queries with a COOKIE option by status, and BADCOOKIE replies sent (COOKIE_STATUSES). */
  cookies: new Float64Array(COOKIE_STATUSES.length),
};
