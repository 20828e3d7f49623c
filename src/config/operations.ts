// The config keys of the operations listener: `metrics` (Prometheus /metrics, OTLP export,
// trace sampling) and `health` (/readyz's canary and the drain on SIGTERM), with their checks.

import { typeNumber } from '../dns/message.ts';
import { canonicalName } from '../dns/name.ts';
import type { ListenAddress } from '../server/options.ts';
import { arrayOf, ConfigError, describe, integer, object, show, stringOr, type Check } from './check.ts';
import { formatListen, LISTEN_SCHEMA, listenAddress } from './listen.ts';

export interface MetricsConfig {
  /** The operations listener (/metrics, /healthz, /readyz): none, or one address. */
  listen: ListenAddress[];
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318): metrics to /v1/metrics, traces to /v1/traces. "" is none. */
  otlpEndpoint: string;
  /** How often metrics are pushed over OTLP, ms. */
  otlpIntervalMs: number;
  /** Share of resolutions traced (0..1) when spans are exported (OTLP). */
  traceSampleRatio: number;
}

export interface HealthConfig {
  /** The name the readiness canary resolves (a real lookup through the cache and resolver). */
  canaryName: string;
  /** Its type, by mnemonic (A, AAAA, NS, SOA, …) or number. */
  canaryType: string;
  /** How often the canary runs, ms. */
  canaryIntervalMs: number;
  /** /readyz is 503 when the last successful canary is older than this, ms. */
  canaryMaxAgeMs: number;
  /** On SIGTERM, how long /readyz answers 503 before the listeners stop, ms (route withdrawal time). */
  drainGraceMs: number;
}

export const defaultMetricsConfig: MetricsConfig = Object.freeze({ listen: [], otlpEndpoint: '', otlpIntervalMs: 60_000, traceSampleRatio: 0.01 });
export const defaultHealthConfig: HealthConfig = Object.freeze({
  canaryName: '.',
  canaryType: 'NS',
  canaryIntervalMs: 5_000,
  canaryMaxAgeMs: 30_000,
  drainGraceMs: 2_000,
});

const HOUR_MS = 3_600_000;

/** "ADDR:PORT" or a list of at most one; [] (or "") means no listener. */
export const metricsListen: Check<ListenAddress[]> = describe(stringOr<ListenAddress[]>(
  (value, path) => (value === '' ? [] : [listenAddress(value, path)]),
  (value, path) => {
    const list = arrayOf(listenAddress)(value, path);
    if (list.length > 1) throw new ConfigError(path, `${show(value)}: one operations listener only`);
    return list;
  },
), { anyOf: [{ const: '' }, LISTEN_SCHEMA, { type: 'array', items: LISTEN_SCHEMA, maxItems: 1 }] }, (value) => (value as ListenAddress[]).map(formatListen));

/** An http(s) URL of an OTLP/HTTP receiver, or "" for none. */
export const otlpEndpoint: Check<string> = describe((value, path) => {
  if (value === '') return '';
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(path, `${show(value)} is not an http:// or https:// URL (an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318)`);
  }
  return url.href.replace(/\/$/, '');
}, { type: 'string', description: 'an http:// or https:// URL of an OTLP/HTTP receiver; "" for none', examples: ['http://127.0.0.1:4318'] });

const ratio: Check<number> = describe((value, path) => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ConfigError(path, `${show(value)} is not a number from 0 to 1`);
  return value;
}, { type: 'number', minimum: 0, maximum: 1 });

export const canaryName: Check<string> = describe((value, path) => {
  if (typeof value !== 'string' || value === '' || /[\s\\]/.test(value) || value.length > 253) throw new ConfigError(path, `${show(value)} is not a domain name`);
  return canonicalName(value);
}, { type: 'string', minLength: 1, maxLength: 253 });

/** A type mnemonic (A, NS, …) or TYPEnnn (RFC 3597 §5). */
const canaryType: Check<string> = describe((value, path) => {
  if (typeof value === 'string' && typeNumber(value) !== undefined) return value.toUpperCase();
  throw new ConfigError(path, `${show(value)} is not a record type (A, AAAA, NS, …)`);
}, { type: 'string', minLength: 1, examples: ['NS', 'A', 'TYPE65'] });

export const drainGrace = integer(0, HOUR_MS);

export const metricsCheck = object<MetricsConfig>(
  { listen: metricsListen, otlpEndpoint, otlpIntervalMs: integer(1_000, HOUR_MS), traceSampleRatio: ratio },
  defaultMetricsConfig,
);

export const healthCheck = object<HealthConfig>(
  {
    canaryName,
    canaryType,
    canaryIntervalMs: integer(100, HOUR_MS),
    canaryMaxAgeMs: integer(100, 24 * HOUR_MS),
    drainGraceMs: drainGrace,
  },
  defaultHealthConfig,
);

/** Cross-key rule: a canary that runs less often than its age limit would flap /readyz. */
export function checkHealth(h: HealthConfig): void {
  if (h.canaryMaxAgeMs <= h.canaryIntervalMs) {
    throw new ConfigError('health.canaryMaxAgeMs', `${h.canaryMaxAgeMs} must be greater than health.canaryIntervalMs (${h.canaryIntervalMs})`);
  }
}
