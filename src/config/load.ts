// Builds the frozen configuration: defaults ← config file (JSON or YAML) ← flags, then reads
// the files it names (root hints, trust anchors) and splits it into the part each module receives.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CacheOptions } from '../cache/options.ts';
import { parseTrustAnchors } from '../dnssec/anchors.ts';
import { PresentationError } from '../dnssec/presentation.ts';
import { HintsError, parseRootHints } from '../resolver/hints.ts';
import type { ResolverOptions, ServerHint } from '../resolver/options.ts';
import type { ListenAddress, ServerOptions } from '../server/options.ts';
import type { SharedCacheOptions } from '../shared-cache/options.ts';
import { redisSeeds, sharedCacheOptions } from './cluster.ts';
import { controlConfig, fraction, loopbackAddress, type ControlConfig, type DnstapConfig, type QueryLogConfig } from './control.ts';
import type { GuardOptions } from '../policy/guard.ts';
import { guardOptions, prefixText } from './exposure.ts';
import type { LogLevel } from '../util/log.ts';
import { arrayOf, ConfigError } from './check.ts';
import { canaryName, drainGrace, metricsListen, otlpEndpoint, type HealthConfig, type MetricsConfig } from './operations.ts';
import {
  checkConsistency, checkFileConfig, DEFAULT_ROOT_HINTS_FILE, defaultFileConfig, fieldChecks, isTrustAnchorRecord,
  memoryPlanOf, urlPath, type FileConfig, type Source,
} from './schema.ts';
import type { MemoryPlan } from './memory.ts';

/** Values given as command-line flags; each overrides the key of the same name. */
export interface Overrides {
  listen?: string[];
  /** --allow-from, repeatable: replaces allowFrom. */
  allowFrom?: string[];
  rootHints?: string;
  upstreamPort?: string;
  qnameMinimisation?: boolean;
  ipv6Upstream?: boolean;
  ipv4Upstream?: boolean;
  allowLocalUpstream?: boolean;
  qnameMinimisationType?: string;
  doNotQueryLocalhost?: boolean;
  rootPriming?: boolean;
  hardenGlue?: boolean;
  minRsaKeyBits?: string;
  dnssec?: boolean;
  trustAnchors?: string;
  logLevel?: string;
  /** Redis Cluster seed URLs, comma-separated (--redis). */
  redis?: string;
  /** memory.budgetMiB (--memory-budget). */
  memoryBudget?: string;
  workers?: string;
  control?: string;
  controlSocket?: string;
  controlToken?: string;
  queryLog?: boolean;
  queryLogSample?: string;
  dnstapFile?: string;
  dnstapSocket?: string;
  doh?: string[];
  dohPlain?: string[];
  dohPath?: string;
  /** --doh-trusted-proxy, repeatable: replaces doh.trustedProxies. */
  dohTrustedProxy?: string[];
  dohPlainRemote?: boolean;
  dot?: string[];
  tlsCert?: string;
  tlsKey?: string;
  /** --rate-limit N: answers, NODATA and NXDOMAIN per second per prefix (errors: half); 0 turns RRL off. */
  rateLimit?: string;
  rateLimitSlip?: string;
  /** Repeatable; "none" empties the list. */
  rateLimitExempt?: string[];
  clientQps?: string;
  clientMaxInFlight?: string;
  cookies?: boolean;
  cookieSecretFile?: string;
  /** The operations listener, ADDR:PORT (--metrics). */
  metrics?: string;
  otlpEndpoint?: string;
  drainGraceMs?: string;
  canaryName?: string;
}

export interface ValidationConfig {
  readonly trustAnchors: readonly string[];
  readonly negativeTrustAnchors: readonly string[];
  /** Smallest RSA modulus validated (RFC 8624 §3.1); smaller keys make their zone insecure. */
  readonly minRsaKeyBits: number;
}

/** The whole configuration, frozen; each module is handed only its own part. */
export interface AndnsConfig {
  readonly server: ServerOptions;
  readonly resolver: ResolverOptions;
  readonly cache: CacheOptions;
  /** DNSSEC validation: trust anchors (DS/DNSKEY in presentation form) and negative ones; undefined when off. */
  readonly validation: ValidationConfig | undefined;
  readonly logLevel: LogLevel;
  readonly sharedCache: SharedCacheOptions;
  /** Bytes of ready wire answers each process keeps (the hot tier): its share of the memory budget. */
  readonly hotAnswersMaxBytes: number;
  /** The memory budget split over this process's caches (config/memory.ts). */
  readonly memory: MemoryPlan;
  /** The control endpoint (loopback HTTP with a token, or a Unix socket); undefined: none. */
  readonly control: ControlConfig | undefined;
  readonly queryLog: QueryLogConfig;
  readonly dnstap: DnstapConfig;
  readonly workers: number;
  /** The operations listener and its exports (config/operations.ts). */
  readonly metrics: OperationsConfig;
  readonly health: HealthConfig;
  /** Where the root hints came from (a file path, or "inline"), for the start-up message. */
  readonly rootHintsOrigin: string;
  /** Exposure policy: rate limits, client limits, cookies (policy/guard.ts). */
  readonly policy: GuardOptions;
}

/** `metrics` as the process uses it: one listener address or none. */
export type OperationsConfig = Omit<MetricsConfig, 'listen'> & { readonly listen: ListenAddress | undefined };

export interface LoadOptions {
  configFile?: string;
  overrides?: Overrides;
  /** Base for relative paths given as flags (default: the working directory). */
  cwd?: string;
  /**
   * The config file's content as a value instead of a file (checked the same way, paths relative
   * to `cwd`): the scenario corpus writes each scenario's config inline.
   */
  fileConfig?: unknown;
}

export function loadConfig(options: LoadOptions = {}): AndnsConfig {
  const cwd = options.cwd ?? process.cwd();
  let config: FileConfig = { ...defaultFileConfig };
  if (options.configFile !== undefined) {
    const path = resolve(cwd, options.configFile);
    config = relativeTo(dirname(path), checkFileConfig(readConfigFile(path)));
  } else if (options.fileConfig !== undefined) {
    config = relativeTo(cwd, checkFileConfig(options.fileConfig));
  }
  config = applyOverrides(config, options.overrides ?? {}, cwd);
  checkConsistency(config);
  return deepFreeze(build(config));
}

/** JSON, or YAML when the name ends in .yaml/.yml (same keys; YAML 1.2 core schema, so `no` stays a string). */
function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (/\.ya?ml$/i.test(path)) {
    try {
      // Duplicate keys are errors and alias expansion is bounded (maxAliasCount), as YAML's defaults have it.
      return parseYaml(text, { schema: 'core', prettyErrors: true });
    } catch (err) {
      throw new ConfigError('--config', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError('--config', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * File names inside a config file are relative to that file, so a config can travel with its
 * data; always, even when a name is also that of a file shipped with the package (those are
 * only the defaults of absent keys: `{ packaged }` sources, never written in a file).
 */
function relativeTo(dir: string, config: FileConfig): FileConfig {
  const fix = <T>(source: Source<T>): Source<T> => ('file' in source ? { file: resolve(dir, source.file) } : source);
  const file = (name: string): string => (name === '' ? name : resolve(dir, name));
  return {
    ...config,
    control: { ...config.control, socket: file(config.control.socket), tokenFile: file(config.control.tokenFile) },
    dnstap: { ...config.dnstap, file: file(config.dnstap.file), socket: file(config.dnstap.socket) },
    rootHints: fix(config.rootHints),
    trustAnchors: fix(config.trustAnchors),
    tls: { cert: file(config.tls.cert), key: file(config.tls.key) },
    cookies: { ...config.cookies, secretFile: file(config.cookies.secretFile) },
  };
}

function applyOverrides(config: FileConfig, o: Overrides, cwd: string): FileConfig {
  const out = { ...config };
  if (o.listen !== undefined) out.listen = fieldChecks.listen(o.listen, '--listen');
  if (o.allowFrom !== undefined) out.allowFrom = fieldChecks.allowFrom(o.allowFrom, '--allow-from');
  if (o.rootHints !== undefined) out.rootHints = { file: resolve(cwd, o.rootHints) };
  if (o.upstreamPort !== undefined) out.upstreamPort = fieldChecks.upstreamPort(numeric(o.upstreamPort), '--upstream-port');
  if (o.qnameMinimisation !== undefined) out.qnameMinimisation = o.qnameMinimisation;
  if (o.ipv6Upstream !== undefined) out.ipv6Upstream = o.ipv6Upstream;
  if (o.allowLocalUpstream !== undefined) out.allowLocalUpstream = o.allowLocalUpstream;
  if (o.ipv4Upstream !== undefined) out.ipv4Upstream = o.ipv4Upstream;
  if (o.qnameMinimisationType !== undefined) {
    out.qnameMinimisationType = fieldChecks.qnameMinimisationType(o.qnameMinimisationType.toUpperCase(), '--qname-minimisation-type');
  }
  if (o.doNotQueryLocalhost !== undefined) out.doNotQueryLocalhost = o.doNotQueryLocalhost;
  if (o.rootPriming !== undefined) out.rootPriming = o.rootPriming;
  if (o.hardenGlue !== undefined) out.hardenGlue = o.hardenGlue;
  if (o.minRsaKeyBits !== undefined) out.minRsaKeyBits = fieldChecks.minRsaKeyBits(numeric(o.minRsaKeyBits), '--min-rsa-key-bits');
  if (o.dnssec !== undefined) out.dnssec = o.dnssec;
  if (o.trustAnchors !== undefined) out.trustAnchors = { file: resolve(cwd, o.trustAnchors) };
  if (o.logLevel !== undefined) out.logLevel = fieldChecks.logLevel(o.logLevel, '--log-level');
  if (o.redis !== undefined) out.sharedCache = { ...out.sharedCache, redis: redisSeeds(o.redis.split(',').filter((u) => u !== ''), '--redis') };
  if (o.workers !== undefined) out.workers = fieldChecks.workers(numeric(o.workers), '--workers');
  if (o.memoryBudget !== undefined) out.memory = fieldChecks.memory({ budgetMiB: numeric(o.memoryBudget) }, '--memory-budget');
  if (o.control !== undefined) out.control = { ...out.control, listen: [loopbackAddress(o.control, '--control')] };
  if (o.controlSocket !== undefined) out.control = { ...out.control, socket: resolve(cwd, o.controlSocket) };
  if (o.controlToken !== undefined) out.control = { ...out.control, tokenFile: resolve(cwd, o.controlToken) };
  if (o.queryLog !== undefined) out.queryLog = { ...out.queryLog, enabled: o.queryLog };
  if (o.queryLogSample !== undefined) out.queryLog = { ...out.queryLog, sampleRate: fraction(/^\d*\.?\d+$/.test(o.queryLogSample) ? Number(o.queryLogSample) : o.queryLogSample, '--query-log-sample') };
  if (o.dnstapFile !== undefined) out.dnstap = { ...out.dnstap, file: resolve(cwd, o.dnstapFile) };
  if (o.dnstapSocket !== undefined) out.dnstap = { ...out.dnstap, socket: resolve(cwd, o.dnstapSocket) };
  if (o.doh !== undefined) out.doh = { ...out.doh, listen: fieldChecks.listen(o.doh, '--doh') };
  if (o.dohPlain !== undefined) out.doh = { ...out.doh, plainListen: fieldChecks.listen(o.dohPlain, '--doh-plain') };
  if (o.dohPath !== undefined) out.doh = { ...out.doh, path: urlPath(o.dohPath, '--doh-path') };
  if (o.dohTrustedProxy !== undefined) out.doh = { ...out.doh, trustedProxies: arrayOf(prefixText)(o.dohTrustedProxy, '--doh-trusted-proxy') };
  if (o.dohPlainRemote !== undefined) out.doh = { ...out.doh, allowPlainRemote: o.dohPlainRemote };
  if (o.dot !== undefined) out.dot = { listen: fieldChecks.listen(o.dot, '--dot') };
  if (o.tlsCert !== undefined) out.tls = { ...out.tls, cert: resolve(cwd, o.tlsCert) };
  if (o.tlsKey !== undefined) out.tls = { ...out.tls, key: resolve(cwd, o.tlsKey) };
  if (o.rateLimit !== undefined) {
    const n = perSecondFlag(o.rateLimit, '--rate-limit');
    out.rateLimit = { ...out.rateLimit, responsesPerSecond: n, nodataPerSecond: n, nxdomainsPerSecond: n, errorsPerSecond: Math.ceil(n / 2) };
  }
  if (o.rateLimitSlip !== undefined) out.rateLimit = { ...out.rateLimit, slip: checkedFlag(o.rateLimitSlip, '--rate-limit-slip', 0, 10) };
  if (o.rateLimitExempt !== undefined) {
    const list = o.rateLimitExempt.filter((p) => p !== 'none');
    out.rateLimit = { ...out.rateLimit, exempt: list.map((p) => prefixText(p, '--rate-limit-exempt')) };
  }
  if (o.clientQps !== undefined) out.rateLimit = { ...out.rateLimit, clientQueriesPerSecond: perSecondFlag(o.clientQps, '--client-qps') };
  if (o.clientMaxInFlight !== undefined) out.rateLimit = { ...out.rateLimit, clientMaxInFlight: checkedFlag(o.clientMaxInFlight, '--client-max-in-flight', 0, 1_000_000) };
  if (o.cookies !== undefined) out.cookies = { ...out.cookies, enabled: o.cookies };
  if (o.cookieSecretFile !== undefined) out.cookies = { ...out.cookies, secretFile: resolve(cwd, o.cookieSecretFile) };
  if (o.metrics !== undefined) out.metrics = { ...out.metrics, listen: metricsListen(o.metrics, '--metrics') };
  if (o.otlpEndpoint !== undefined) out.metrics = { ...out.metrics, otlpEndpoint: otlpEndpoint(o.otlpEndpoint, '--otlp') };
  if (o.drainGraceMs !== undefined) out.health = { ...out.health, drainGraceMs: drainGrace(numeric(o.drainGraceMs), '--drain-grace-ms') };
  if (o.canaryName !== undefined) out.health = { ...out.health, canaryName: canaryName(o.canaryName, '--canary') };
  return out;
}

function perSecondFlag(text: string, flag: string): number {
  return checkedFlag(text, flag, 0, 10_000_000);
}

function checkedFlag(text: string, flag: string, min: number, max: number): number {
  const n = numeric(text);
  if (typeof n !== 'number' || n < min || n > max) throw new ConfigError(flag, `${JSON.stringify(text)} is not an integer from ${min} to ${max}`);
  return n;
}

/** A flag's text as a number when it is all digits, so the key's check can judge its range. */
function numeric(text: string): unknown {
  return /^\d{1,9}$/.test(text) ? Number(text) : text;
}

function build(c: FileConfig): AndnsConfig {
  const hints = loadHints(c.rootHints);
  const memory = memoryPlanOf(c);
  return {
    server: {
      listen: c.listen,
      allowFrom: c.allowFrom,
      tcp: c.tcp,
      doh: c.doh,
      dot: c.dot.listen,
      tls: c.tls.cert !== '' && c.tls.key !== '' ? c.tls : undefined,
      chaos: c.chaos,
    },
    resolver: {
      rootHints: hints.hints,
      upstreamPort: c.upstreamPort,
      qnameMinimisation: c.qnameMinimisation,
      ipv6Upstream: c.ipv6Upstream,
      ipv4Upstream: c.ipv4Upstream,
      qnameMinimisationType: c.qnameMinimisationType,
      allowLocalUpstream: c.allowLocalUpstream,
      doNotQueryLocalhost: c.doNotQueryLocalhost,
      rootPriming: c.rootPriming,
      hardenGlue: c.hardenGlue,
      forwardZones: c.forwardZones,
      limits: c.limits,
    },
    cache: c.cache,
    validation: c.dnssec
      ? { trustAnchors: loadTrustAnchors(c.trustAnchors), negativeTrustAnchors: c.negativeTrustAnchors, minRsaKeyBits: c.minRsaKeyBits }
      : undefined,
    logLevel: c.logLevel,
    sharedCache: { ...sharedCacheOptions(c.sharedCache), memoryMaxBytes: Math.max(1, memory.tiers.embeddedStore), hotMaxBytes: memory.tiers.records },
    hotAnswersMaxBytes: memory.tiers.hotAnswers,
    memory,
    control: controlConfig(c.control),
    queryLog: c.queryLog,
    dnstap: c.dnstap,
    workers: c.workers,
    metrics: { ...c.metrics, listen: c.metrics.listen[0] },
    health: c.health,
    rootHintsOrigin: hints.origin,
    policy: guardOptions(c.rateLimit, c.cookies),
  };
}

function loadHints(source: Source<ServerHint[]>): { hints: ServerHint[]; origin: string } {
  if ('inline' in source) return { hints: source.inline, origin: 'inline' };
  const path = 'packaged' in source ? join(packageRoot(), source.packaged) : source.file;
  const text = readText(path, 'rootHints');
  try {
    return { hints: parseRootHints(text), origin: path };
  } catch (err) {
    if (err instanceof HintsError) throw new ConfigError('rootHints', `${path}: ${err.message}`);
    throw err;
  }
}

/** Reads and parses the anchors now, so a bad or empty anchor set stops start-up (not every query). */
function loadTrustAnchors(source: Source<string[]>): string[] {
  const records = 'inline' in source ? source.inline : readAnchorFile('packaged' in source ? join(packageRoot(), source.packaged) : source.file);
  if (records.length === 0) throw new ConfigError('trustAnchors', 'no DS or DNSKEY record: give trust anchors, or turn validation off (dnssec: false, --no-dnssec)');
  try {
    parseTrustAnchors(records.join('\n'));
  } catch (err) {
    if (err instanceof PresentationError) throw new ConfigError('trustAnchors', err.message);
    throw err;
  }
  return records;
}

function readAnchorFile(file: string): string[] {
  const records: string[] = [];
  readText(file, 'trustAnchors').split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '' || line.startsWith('$')) return;
    if (!isTrustAnchorRecord(line)) {
      throw new ConfigError('trustAnchors', `${file} line ${index + 1}: not a DS or DNSKEY record`);
    }
    records.push(line);
  });
  return records;
}

function readText(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The directory holding andns's package.json (root.hints ships there), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, DEFAULT_ROOT_HINTS_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir || !isAbsolute(up)) throw new ConfigError('rootHints', 'cannot find the package root holding root.hints');
    dir = up;
  }
}

function deepFreeze<T>(value: T): T {
  // Typed arrays (cookie secrets, prefixes) cannot be frozen; nothing hands them out to change.
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
