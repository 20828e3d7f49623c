// The config keys of the exposure policy — `rateLimit` and `cookies` — their checks, and the
// options policy/ receives (prefixes parsed, the cookie secret file read).

import { readFileSync } from 'node:fs';
import { parsePrefix, type Prefix } from '../policy/address.ts';
import { parseSecret } from '../policy/cookies.ts';
import type { GuardOptions } from '../policy/guard.ts';
import { DEFAULT_EXEMPT, defaultRateLimit, type RateLimitOptions } from '../policy/options.ts';
import { arrayOf, boolean, ConfigError, describe, integer, object, show, type Check } from './check.ts';

export interface RateLimitConfig extends Omit<RateLimitOptions, 'exempt'> {
  /** Prefixes as text, e.g. "127.0.0.0/8". */
  exempt: string[];
}

export interface CookiesConfig {
  enabled: boolean;
  /** A file whose first line is the secret (32 hex digits) and whose optional second line is the previous one; '' for none. */
  secretFile: string;
  requireOverUdp: boolean;
}

export const defaultRateLimitConfig: RateLimitConfig = { ...defaultRateLimit, exempt: [...DEFAULT_EXEMPT] };
export const defaultCookiesConfig: CookiesConfig = { enabled: true, secretFile: '', requireOverUdp: false };

export const prefixText: Check<string> = describe((value, path) => {
  if (typeof value !== 'string' || parsePrefix(value) === undefined) throw new ConfigError(path, `${show(value)} is not an address prefix like 192.0.2.0/24 or 2001:db8::/32`);
  return value;
}, { type: 'string', examples: ['192.0.2.0/24', '2001:db8::/32'] });

const perSecond = integer(0, 10_000_000);

export const rateLimitCheck = object<RateLimitConfig>(
  {
    responsesPerSecond: perSecond,
    nodataPerSecond: perSecond,
    nxdomainsPerSecond: perSecond,
    errorsPerSecond: perSecond,
    slip: integer(0, 10),
    ipv4PrefixLength: integer(8, 32),
    ipv6PrefixLength: integer(16, 64),
    clientQueriesPerSecond: perSecond,
    clientMaxInFlight: integer(0, 1_000_000),
    maxBuckets: integer(64, 16_777_216),
    exempt: arrayOf(prefixText),
    syncIntervalMs: integer(10, 60_000),
  },
  defaultRateLimitConfig,
);

export const cookiesCheck = object<CookiesConfig>(
  {
    enabled: boolean,
    secretFile: describe((value, path) => {
      if (typeof value !== 'string') throw new ConfigError(path, `${show(value)} is not a file name`);
      return value;
    }, { type: 'string', description: 'a file name, relative to the config file; "" for none' }),
    requireOverUdp: boolean,
  },
  defaultCookiesConfig,
);

/** What policy/ receives: prefixes parsed, the secret read (a missing or bad file stops start-up). */
export function guardOptions(rateLimit: RateLimitConfig, cookies: CookiesConfig): GuardOptions {
  const exempt: Prefix[] = rateLimit.exempt.map((p) => parsePrefix(p)!);
  let secret: Uint8Array | undefined;
  let previousSecret: Uint8Array | undefined;
  if (cookies.secretFile !== '') {
    let text: string;
    try {
      text = readFileSync(cookies.secretFile, 'utf8');
    } catch (err) {
      throw new ConfigError('cookies.secretFile', `cannot read ${cookies.secretFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    secret = parseSecret(lines[0] ?? '');
    previousSecret = lines[1] !== undefined ? parseSecret(lines[1]) : undefined;
    if (!secret || (lines[1] !== undefined && !previousSecret) || lines.length > 2) {
      throw new ConfigError('cookies.secretFile', `${cookies.secretFile}: one line of 32 hex digits (the secret), optionally a second (the previous secret)`);
    }
  }
  return {
    rateLimit: { ...rateLimit, exempt },
    cookies: { enabled: cookies.enabled, secret, previousSecret, requireOverUdp: cookies.requireOverUdp },
  };
}
