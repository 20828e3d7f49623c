// The one configuration schema: every key, its type, its default and its check, in one place.

import { defaultCacheOptions, type CacheOptions } from '../cache/options.ts';
import { canonicalName } from '../dns/name.ts';
import { defaultLimits, type ForwardZone, type ServerHint, type WorkLimits } from '../resolver/options.ts';
import type { LogLevel } from '../util/log.ts';
import {
  arrayOf, boolean, ConfigError, describe, integer, ipAddress, nonEmptyString, object, oneOf, schemaOf, show, stringOr, type Check,
} from './check.ts';
import { defaultDohOptions, type DohOptions } from '../doh/options.ts';
import { defaultTcpOptions, type ListenAddress, type TcpOptions } from '../server/options.ts';
import { listenAddress } from './listen.ts';
import { cookiesCheck, defaultCookiesConfig, defaultRateLimitConfig, prefixText, rateLimitCheck, type CookiesConfig, type RateLimitConfig } from './exposure.ts';
import { checkHealth, defaultHealthConfig, defaultMetricsConfig, healthCheck, metricsCheck, type HealthConfig, type MetricsConfig } from './operations.ts';
import {
  controlCheck, defaultControlConfig, defaultDnstapConfig, defaultQueryLogConfig, dnstapCheck, queryLogCheck,
  type ControlFileConfig, type DnstapConfig, type QueryLogConfig,
} from './control.ts';
import { checkCluster, defaultSharedCacheConfig, sharedCacheCheck, workersCheck, type SharedCacheConfig } from './cluster.ts';
import { DEFAULT_ALLOW_FROM, isLoopback } from '../policy/acl.ts';
import { defaultMemoryConfig, memoryCheck, planMemory, type MemoryConfig } from './memory.ts';

/**
 * A file name (absolute once loaded: relative to the config file, or to the working directory
 * for flags), inline data, or a file shipped at the package root: only ever the default, so
 * that a name written in a config file always means a file beside that config.
 */
export type Source<T> = { file: string } | { inline: T } | { packaged: string };

/** The config file as validated, before files it names are read. */
export interface FileConfig {
  listen: ListenAddress[];
  /** Client prefixes served on every transport (like PowerDNS Recursor's allow-from); others get REFUSED + EDE 18. */
  allowFrom: string[];
  rootHints: Source<ServerHint[]>;
  upstreamPort: number;
  qnameMinimisation: boolean;
  /** RFC 9156 §3: minimised queries ask for A (default) or NS. */
  qnameMinimisationType: 'A' | 'NS';
  ipv6Upstream: boolean;
  ipv4Upstream: boolean;
  allowLocalUpstream: boolean;
  /** Refuse loopback upstreams even where allowLocalUpstream allows private ranges. */
  doNotQueryLocalhost: boolean;
  /** Prime the root with a ". NS" query (RFC 8109); off, every upstream query comes from a client's. */
  rootPriming: boolean;
  /** Glue only from inside the zone asked (out-of-bailiwick glue ignored). */
  hardenGlue: boolean;
  /** Smallest RSA modulus, in bits, that DNSSEC validation uses; smaller keys make a zone insecure. */
  minRsaKeyBits: number;
  /** DNSSEC validation (RFC 4035 §5); false answers everything unvalidated, without AD. */
  dnssec: boolean;
  trustAnchors: Source<string[]>;
  /** Names below which validation is off (RFC 7646), e.g. a zone whose signatures broke. */
  negativeTrustAnchors: string[];
  forwardZones: ForwardZone[];
  cache: CacheOptions;
  limits: WorkLimits;
  tcp: TcpOptions;
  doh: DohOptions;
  dot: { listen: ListenAddress[] };
  /** Empty strings: not configured (needed only by DoH over TLS and DoT). */
  tls: { cert: string; key: string };
  /** CHAOS-class identity answers (id.server, version.bind); empty strings: refused. */
  chaos: { identity: string; version: string };
  /** The cache every front-end shares: embedded, or Redis Cluster (config/cluster.ts). */
  sharedCache: SharedCacheConfig;
  /** One budget for everything the process caches, split by shares (config/memory.ts). */
  memory: MemoryConfig;
  /** The control endpoint (`andns cache flush`, `stats`, `nta`, `reload`); none by default (config/control.ts). */
  control: ControlFileConfig;
  /** Sampled JSON lines, one per query. */
  queryLog: QueryLogConfig;
  /** dnstap (Frame Streams) output of client queries and responses. */
  dnstap: DnstapConfig;
  /** Processes serving (node:cluster with SO_REUSEPORT when above 1). */
  workers: number;
  /** UDP response-rate limiting and per-client limits (config/exposure.ts). */
  rateLimit: RateLimitConfig;
  /** DNS server cookies (RFC 7873, RFC 9018). */
  cookies: CookiesConfig;
  logLevel: LogLevel;
  /** The operations listener (/metrics, /healthz, /readyz), OTLP export, trace sampling (config/operations.ts). */
  metrics: MetricsConfig;
  /** Readiness canary and the drain on SIGTERM. */
  health: HealthConfig;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The IANA root hints, shipped at the package root: the default when rootHints is absent. */
export const DEFAULT_ROOT_HINTS_FILE = 'root.hints';
/** The root's DS records (KSK-2017 and KSK-2024), shipped at the package root: the default when trustAnchors is absent. */
export const DEFAULT_TRUST_ANCHORS_FILE = 'root.ds';

export const defaultFileConfig: FileConfig = {
  listen: [{ address: '127.0.0.1', port: 5353, family: 4 }],
  allowFrom: [...DEFAULT_ALLOW_FROM],
  rootHints: { packaged: DEFAULT_ROOT_HINTS_FILE },
  upstreamPort: 53,
  qnameMinimisation: true,
  qnameMinimisationType: 'A',
  ipv6Upstream: true,
  ipv4Upstream: true,
  allowLocalUpstream: false,
  doNotQueryLocalhost: false,
  rootPriming: true,
  hardenGlue: true,
  minRsaKeyBits: 1024,
  dnssec: true,
  trustAnchors: { packaged: DEFAULT_TRUST_ANCHORS_FILE },
  negativeTrustAnchors: [],
  forwardZones: [],
  cache: { ...defaultCacheOptions },
  limits: { ...defaultLimits },
  tcp: { ...defaultTcpOptions },
  doh: { ...defaultDohOptions },
  dot: { listen: [] },
  tls: { cert: '', key: '' },
  chaos: { identity: '', version: '' },
  sharedCache: { ...defaultSharedCacheConfig },
  memory: { ...defaultMemoryConfig },
  control: { ...defaultControlConfig },
  queryLog: { ...defaultQueryLogConfig },
  dnstap: { ...defaultDnstapConfig },
  workers: 1,
  rateLimit: { ...defaultRateLimitConfig, exempt: [...defaultRateLimitConfig.exempt] },
  cookies: { ...defaultCookiesConfig },
  logLevel: 'info',
  metrics: { ...defaultMetricsConfig },
  health: { ...defaultHealthConfig },
};

const fileName: Check<{ file: string }> = describe((value, path) => ({ file: nonEmptyString(value, path) }), {
  type: 'string', minLength: 1, description: 'a file name, relative to the config file',
});

const domainName: Check<string> = describe((value, path) => {
  const text = nonEmptyString(value, path);
  // RFC 1035 §2.3.4: labels of 1..63 octets, 255 octets in all (253 characters in text form).
  const name = canonicalName(text);
  const labelsOk = name === '.' || name.split('.').every((l) => l.length >= 1 && l.length <= 63);
  if (!labelsOk || name.length > 253 || /[\s\\]/.test(name)) {
    throw new ConfigError(path, `${show(value)} is not a domain name`);
  }
  return name;
}, { type: 'string', minLength: 1, examples: ['example.com'] });

const serverHint = object<ServerHint>({ name: domainName, addresses: arrayOf(ipAddress, 1) }, { name: '', addresses: [] });
const requireKeys = <T extends object>(check: Check<T>, keys: (keyof T & string)[]): Check<T> => describe((value, path) => {
  for (const key of keys) {
    if (typeof value === 'object' && value !== null && !(key in value)) throw new ConfigError(`${path}.${key}`, 'required key is missing');
  }
  return check(value, path);
}, (path) => ({ ...schemaOf(check, path), required: keys }));

const hintList = arrayOf(requireKeys(serverHint, ['name', 'addresses']), 1);
const inlineHints: Check<{ inline: ServerHint[] }> = describe((value, path) => ({ inline: hintList(value, path) }), (path) => schemaOf(hintList, path));

/** A DS or DNSKEY record in presentation form: owner [ttl] [class] DS|DNSKEY rdata (RFC 4034 §2.2, §5.3). */
const TRUST_ANCHOR = /^\S+\s+(?:\d+\s+)?(?:IN\s+)?(?:DS|DNSKEY)\s+\S.*$/i;
export function isTrustAnchorRecord(line: string): boolean {
  return TRUST_ANCHOR.test(line.trim());
}
const trustAnchorRecord: Check<string> = describe((value, path) => {
  if (typeof value !== 'string' || !isTrustAnchorRecord(value)) {
    throw new ConfigError(path, `${show(value)} is not a DS or DNSKEY record ("owner [ttl] [IN] DS|DNSKEY rdata")`);
  }
  return value.trim();
}, { type: 'string', description: 'a DS or DNSKEY record: owner [ttl] [IN] DS|DNSKEY rdata' });
const anchorList = arrayOf(trustAnchorRecord);
const inlineAnchors: Check<{ inline: string[] }> = describe((value, path) => ({ inline: anchorList(value, path) }), (path) => schemaOf(anchorList, path));

const forwardZone = requireKeys(
  object<ForwardZone>({ zone: domainName, addresses: arrayOf(ipAddress, 1) }, { zone: '', addresses: [] }),
  ['zone', 'addresses'],
);

const HOUR_MS = 3_600_000;
const WEEK_S = 604_800;

const limits = object<WorkLimits>(
  {
    maxReferrals: integer(1, 1_000),
    maxCnameChain: integer(0, 100),
    maxSubqueryDepth: integer(0, 100),
    maxSubqueries: integer(0, 10_000),
    maxUpstreamQueries: integer(1, 10_000),
    maxNsLookupsPerDelegation: integer(1, 100),
    maxInflightPerZone: integer(1, 100_000),
    maxQueryTimeMs: integer(1, HOUR_MS),
    upstreamTimeoutMs: integer(1, HOUR_MS),
    maxRecordsPerRRset: integer(1, 65_535),
    maxRecordsPerReply: integer(1, 65_535),
    maxUpstreamTcp: integer(1, 100_000),
  },
  defaultLimits,
);

const cache = object<CacheOptions>(
  {
    minTtl: integer(0, WEEK_S),
    maxTtl: integer(0, 2_147_483_647), // RFC 2181 §8: TTLs are 31-bit
    maxNegativeTtl: integer(0, WEEK_S),
  },
  defaultCacheOptions,
);

const tcp = object<TcpOptions>(
  {
    idleTimeoutMs: integer(1, HOUR_MS),
    messageTimeoutMs: integer(1, HOUR_MS),
    maxConnections: integer(1, 1_000_000),
    maxConnectionsPerAddress: integer(1, 1_000_000),
    maxConnectionsPerPrefix: integer(1, 1_000_000),
    maxInFlightPerConnection: integer(1, 65_535),
  },
  defaultTcpOptions,
);

/** An absolute URL path without query or fragment, e.g. /dns-query (RFC 3986 §3.3). */
export const urlPath: Check<string> = describe((value, path) => {
  const text = nonEmptyString(value, path);
  if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(text)) throw new ConfigError(path, `${show(value)} is not a URL path like /dns-query`);
  if (text === '/resolve') throw new ConfigError(path, '"/resolve" is the JSON API\'s path');
  return text;
}, { type: 'string', pattern: "^/[A-Za-z0-9\\-._~!$&'()*+,;=:@%/]*$", not: { const: '/resolve' } });

const doh = object<DohOptions>(
  {
    listen: arrayOf(listenAddress),
    plainListen: arrayOf(listenAddress),
    path: urlPath,
    maxConnections: integer(1, 1_000_000),
    maxConnectionsPerAddress: integer(1, 1_000_000),
    maxConnectionsPerPrefix: integer(1, 1_000_000),
    trustedProxies: arrayOf(prefixText),
    allowPlainRemote: boolean,
    maxConcurrentStreams: integer(1, 10_000),
    maxHeaderBytes: integer(1_024, 1_048_576),
    requestTimeoutMs: integer(1, HOUR_MS),
    idleTimeoutMs: integer(1, HOUR_MS),
  },
  defaultDohOptions,
);

const dot = object<{ listen: ListenAddress[] }>({ listen: arrayOf(listenAddress) }, { listen: [] });

const tls = object<{ cert: string; key: string }>({ cert: nonEmptyString, key: nonEmptyString }, { cert: '', key: '' });

/** A TXT character-string holds at most 255 octets (RFC 1035 §3.3). */
const txtText: Check<string> = describe((value, path) => {
  if (typeof value !== 'string' || Buffer.byteLength(value) > 255) {
    throw new ConfigError(path, `${show(value)} is not a string of at most 255 bytes`);
  }
  return value;
}, { type: 'string', maxLength: 255, description: 'at most 255 bytes (UTF-8)' });
const chaos = object<{ identity: string; version: string }>({ identity: txtText, version: txtText }, { identity: '', version: '' });

/** Checks of each top-level key; flags reuse them so a bad flag is reported like a bad key. */
export const fieldChecks = {
  listen: arrayOf(listenAddress, 1),
  allowFrom: arrayOf(prefixText),
  rootHints: stringOr<Source<ServerHint[]>>(fileName, inlineHints),
  upstreamPort: integer(1, 65_535),
  qnameMinimisation: boolean,
  qnameMinimisationType: oneOf(['A', 'NS'] as const),
  ipv6Upstream: boolean,
  ipv4Upstream: boolean,
  allowLocalUpstream: boolean,
  doNotQueryLocalhost: boolean,
  rootPriming: boolean,
  hardenGlue: boolean,
  // RFC 3110 §2: 512..4096 bits; RFC 8624 §3.1 recommends at least 1024 for validation.
  minRsaKeyBits: integer(512, 4096),
  dnssec: boolean,
  trustAnchors: stringOr<Source<string[]>>(fileName, inlineAnchors),
  negativeTrustAnchors: arrayOf(domainName),
  forwardZones: arrayOf(forwardZone),
  cache,
  limits,
  tcp,
  doh,
  dot,
  tls,
  chaos,
  sharedCache: sharedCacheCheck,
  memory: memoryCheck,
  control: controlCheck,
  queryLog: queryLogCheck,
  dnstap: dnstapCheck,
  workers: workersCheck,
  rateLimit: rateLimitCheck,
  cookies: cookiesCheck,
  logLevel: oneOf(LOG_LEVELS),
  metrics: metricsCheck,
  health: healthCheck,
} satisfies { [K in keyof FileConfig]: Check<FileConfig[K]> };

export const fileConfigCheck = object<FileConfig>(fieldChecks, defaultFileConfig);

/** Validates a parsed config file; a missing key takes its default. A `$schema` key (for editors) is allowed and ignored. */
export function checkFileConfig(value: unknown): FileConfig {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && '$schema' in value) {
    const { $schema, ...rest } = value as Record<string, unknown>;
    if (typeof $schema !== 'string') throw new ConfigError('$schema', `${show($schema)} is not a string`);
    return fileConfigCheck(rest, '');
  }
  return fileConfigCheck(value, '');
}

/** Cross-key rules that no single key's check can see. */
export function checkConsistency(config: FileConfig): void {
  checkCluster(config);
  memoryPlanOf(config);
  checkHealth(config.health);
  if (!config.ipv4Upstream && !config.ipv6Upstream) {
    throw new ConfigError('ipv4Upstream', 'false, and ipv6Upstream is false too: no server could be asked');
  }
  if (config.cache.minTtl > config.cache.maxTtl) {
    throw new ConfigError('cache.minTtl', `${config.cache.minTtl} is greater than cache.maxTtl (${config.cache.maxTtl})`);
  }
  // DoH over TLS and DoT present a certificate: both files must be named (RFC 8484 §5, RFC 7858 §3.1).
  const tlsListeners = config.doh.listen.length > 0 ? 'doh.listen' : config.dot.listen.length > 0 ? 'dot.listen' : undefined;
  for (const key of ['cert', 'key'] as const) {
    if (tlsListeners && config.tls[key] === '') throw new ConfigError(`tls.${key}`, `required by ${tlsListeners} (--tls-${key} FILE)`);
  }
  // RFC 8484 §5: DoH runs over HTTPS. Plain HTTP is for a TLS-terminating proxy on this host;
  // elsewhere queries and answers would cross the network in clear, so it must be asked for.
  const remotePlain = config.doh.plainListen.find((at) => !isLoopback(at.address));
  if (remotePlain && !config.doh.allowPlainRemote) {
    throw new ConfigError('doh.plainListen', `${remotePlain.address} is not loopback: plain-HTTP DoH there sends DNS in clear; set doh.allowPlainRemote (--doh-plain-remote) to mean it`);
  }
  if (config.limits.upstreamTimeoutMs > config.limits.maxQueryTimeMs) {
    throw new ConfigError('limits.upstreamTimeoutMs', `${config.limits.upstreamTimeoutMs} is greater than limits.maxQueryTimeMs (${config.limits.maxQueryTimeMs})`);
  }
}

/** The memory budget's split for this config (throws a ConfigError naming the key when overrides do not fit). */
export function memoryPlanOf(c: FileConfig) {
  return planMemory(c.memory.budgetMiB, c.workers, c.sharedCache.redis.length > 0, {
    hotAnswers: c.sharedCache.hotAnswersMaxBytes,
    records: c.sharedCache.hotMaxBytes,
    embeddedStore: c.sharedCache.memoryMaxBytes,
  });
}
