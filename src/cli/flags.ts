// Command-line flags: one table gives parseArgs its options, `--help` its text, and the
// config loader its overrides, so a flag cannot exist in one place and not the others.

import { parseArgs } from 'node:util';
import type { Overrides } from '../config/load.ts';
import { formatListen } from '../config/listen.ts';
import { defaultFileConfig, LOG_LEVELS } from '../config/schema.ts';

interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder in the help text, for flags that take a value. */
  value?: string;
  help: string;
  /** The default as shown in --help. */
  default?: string;
}

const d = defaultFileConfig;

/** Flags that override config keys; `serve` and `query` both take them. */
const configFlags: FlagSpec[] = [
  { name: 'config', type: 'string', value: 'FILE', help: 'JSON config file (keys: see README); flags override it', default: 'none: built-in defaults' },
  { name: 'root-hints', type: 'string', value: 'FILE', help: 'root hints in named.root form', default: 'root.hints (IANA) at the package root' },
  { name: 'upstream-port', type: 'string', value: 'N', help: 'port every upstream query goes to', default: String(d.upstreamPort) },
  { name: 'no-qname-minimisation', type: 'boolean', help: 'send the full name to every server (disables RFC 9156 QNAME minimisation)', default: 'minimisation on' },
  {
    name: 'qname-minimisation-type', type: 'string', value: 'A|NS',
    help: 'type of minimised queries: A as Unbound asks, or NS as Knot Resolver does (RFC 9156 §3)', default: d.qnameMinimisationType,
  },
  { name: 'no-ipv6-upstream', type: 'boolean', help: 'never query servers over IPv6', default: 'IPv6 used' },
  { name: 'no-ipv4-upstream', type: 'boolean', help: 'never query servers over IPv4 (IPv6-only hosts)', default: 'IPv4 used' },
  { name: 'allow-local-upstream', type: 'boolean', help: 'allow queries to loopback/private addresses (simulated internets)', default: 'refused' },
  { name: 'do-not-query-localhost', type: 'boolean', help: 'refuse loopback upstreams even when --allow-local-upstream allows private ranges', default: 'loopback follows --allow-local-upstream' },
  { name: 'no-root-priming', type: 'boolean', help: 'do not prime the root (RFC 8109): ask the hinted servers directly, so every upstream query comes from a client query', default: 'priming on' },
  { name: 'no-harden-glue', type: 'boolean', help: 'also use glue from outside the bailiwick of the zone asked (weaker against poisoning)', default: 'in-bailiwick glue only' },
  { name: 'min-rsa-key-bits', type: 'string', value: 'N', help: 'smallest RSA key (512..4096 bits) DNSSEC validation uses; zones with only smaller keys are insecure', default: String(d.minRsaKeyBits) },
  { name: 'trust-anchors', type: 'string', value: 'FILE', help: 'DS/DNSKEY trust anchors for DNSSEC validation (zone-file form)', default: 'root.ds (the root KSKs) at the package root' },
  { name: 'no-dnssec', type: 'boolean', help: 'do not validate DNSSEC (no AD, no bogus SERVFAIL); for unsigned simulated internets', default: 'validation on' },
  { name: 'log-level', type: 'string', value: 'LEVEL', help: `one of ${LOG_LEVELS.join(', ')} (JSON lines on stderr; debug: a line per query)`, default: d.logLevel },
];

const helpFlag: FlagSpec = { name: 'help', type: 'boolean', help: 'show this help' };

export const serveFlags: FlagSpec[] = [
  {
    name: 'listen', type: 'string', multiple: true, value: 'ADDR:PORT',
    help: 'UDP and TCP listen address, repeatable; IPv6 as [::1]:5353', default: d.listen.map(formatListen).join(', '),
  },
  {
    name: 'allow-from', type: 'string', multiple: true, value: 'PREFIX',
    help: 'client prefix served on UDP, TCP, DoT and DoH (others get REFUSED, EDE 18), repeatable; replaces the list',
    default: 'loopback, RFC 1918, RFC 6598, fc00::/7, link-local',
  },
  { name: 'doh', type: 'string', multiple: true, value: 'ADDR:PORT', help: 'DNS-over-HTTPS listen address (HTTP/2 and HTTP/1.1 over TLS), repeatable; needs --tls-cert/--tls-key', default: 'none' },
  {
    name: 'doh-plain', type: 'string', multiple: true, value: 'ADDR:PORT',
    help: 'DoH over plain HTTP/1.1 and h2c, repeatable; loopback only (behind a TLS proxy) unless --doh-plain-remote', default: d.doh.plainListen.map(formatListen).join(', ') || 'none (npm start: 127.0.0.1:8053)',
  },
  { name: 'doh-plain-remote', type: 'boolean', help: 'allow --doh-plain on addresses other than loopback (DNS in clear on the network)', default: 'refused' },
  {
    name: 'doh-trusted-proxy', type: 'string', multiple: true, value: 'PREFIX',
    help: 'proxy whose Forwarded/X-Forwarded-For names the DoH client that --allow-from judges, repeatable', default: 'none',
  },
  { name: 'doh-path', type: 'string', value: 'PATH', help: 'path of the DoH endpoint (the JSON API is also at /resolve)', default: d.doh.path },
  { name: 'dot', type: 'string', multiple: true, value: 'ADDR:PORT', help: 'DNS-over-TLS listen address, repeatable; needs --tls-cert/--tls-key', default: 'none' },
  { name: 'tls-cert', type: 'string', value: 'FILE', help: 'PEM certificate chain for DoH and DoT (reloaded on SIGHUP or change)', default: 'none' },
  { name: 'tls-key', type: 'string', value: 'FILE', help: 'PEM private key of that certificate', default: 'none' },
  {
    name: 'redis', type: 'string', value: 'URL[,URL…]',
    help: 'Redis Cluster seed nodes (redis://[user:password@]host:port, rediss:// for TLS): share the cache with every front-end on it', default: 'none: embedded cache',
  },
  {
    name: 'memory-budget', type: 'string', value: 'MIB',
    help: 'MiB all caches of this host may hold (hot answers, embedded store, DNSSEC keys, infrastructure), split over --workers; RSS is about this plus ~100 MB', default: String(d.memory.budgetMiB),
  },
  { name: 'workers', type: 'string', value: 'N', help: 'serving processes on this machine (SO_REUSEPORT); without --redis each has its own cache', default: String(d.workers) },
  { name: 'control', type: 'string', value: 'ADDR:PORT', help: 'loopback HTTP control endpoint (cache flush, stats, nta, reload, restart); needs --control-token', default: 'none' },
  { name: 'control-token', type: 'string', value: 'FILE', help: 'file holding the control token, mode 0600 (others refused)', default: 'none' },
  { name: 'control-socket', type: 'string', value: 'PATH', help: 'control endpoint on a Unix socket (mode 0600: its owner may use it, no token)', default: 'none' },
  { name: 'query-log', type: 'boolean', help: 'write sampled JSON lines per query (client prefix, qname, qtype, rcode, tier, latency, EDE)', default: 'off' },
  { name: 'query-log-sample', type: 'string', value: 'RATE', help: 'fraction of queries the query log writes, 0 to 1', default: String(d.queryLog.sampleRate) },
  { name: 'dnstap-file', type: 'string', value: 'FILE', help: 'write dnstap (Frame Streams) of client queries and responses to FILE', default: 'none' },
  { name: 'dnstap-socket', type: 'string', value: 'PATH', help: 'send dnstap to a collector on a Unix socket (fstrm_capture, dnstap)', default: 'none' },
  {
    name: 'rate-limit', type: 'string', value: 'N',
    help: 'UDP response-rate limit: answers, NODATA and NXDOMAIN per second per /24 or /56 client prefix (errors: N/2); 0 turns it off',
    default: String(d.rateLimit.responsesPerSecond),
  },
  { name: 'rate-limit-slip', type: 'string', value: 'N', help: 'every Nth rate-limited UDP response is sent small (TC=1, or BADCOOKIE), the others dropped; 0 drops all', default: String(d.rateLimit.slip) },
  { name: 'rate-limit-exempt', type: 'string', multiple: true, value: 'PREFIX', help: 'a source no rate or client limit applies to, repeatable; "none" for no exemption', default: d.rateLimit.exempt.join(', ') },
  { name: 'client-qps', type: 'string', value: 'N', help: 'queries per second one client address (IPv6: /64) may send on any transport; 0: no limit', default: String(d.rateLimit.clientQueriesPerSecond) },
  { name: 'client-max-in-flight', type: 'string', value: 'N', help: 'queries one client address may have in resolution at once (DNSBomb); 0: no limit', default: String(d.rateLimit.clientMaxInFlight) },
  { name: 'no-cookies', type: 'boolean', help: 'do not answer DNS cookies (RFC 7873) with server cookies', default: 'cookies on' },
  { name: 'cookie-secret-file', type: 'string', value: 'FILE', help: 'server cookie secret (32 hex digits; a second line: the previous secret), the same on every front-end', default: 'a random secret per run, shared by its workers' },
  {
    name: 'metrics', type: 'string', value: 'ADDR:PORT',
    help: 'operations listener: Prometheus /metrics, /healthz, /readyz (e.g. 127.0.0.1:9153; no authentication: keep it on loopback or a management network)', default: 'none',
  },
  { name: 'otlp', type: 'string', value: 'URL', help: 'also push metrics and sampled traces over OTLP/HTTP to this receiver (e.g. http://127.0.0.1:4318)', default: 'none' },
  { name: 'drain-grace-ms', type: 'string', value: 'MS', help: 'on SIGTERM, /readyz answers 503 this long before queries drain (with --metrics)', default: String(d.health.drainGraceMs) },
  { name: 'canary', type: 'string', value: 'NAME', help: `name /readyz's canary resolves every ${d.health.canaryIntervalMs / 1000} s (type health.canaryType)`, default: `${d.health.canaryName} ${d.health.canaryType}` },
  ...configFlags,
  helpFlag,
];

export const queryFlags: FlagSpec[] = [
  ...configFlags,
  { name: 'dnssec', type: 'boolean', help: 'set the DO bit: show RRSIG and NSEC records', default: 'off' },
  helpFlag,
];

export class UsageError extends Error {}

export type ParsedFlags = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

export function parseFlags(specs: FlagSpec[], args: string[]): ParsedFlags {
  const options = Object.fromEntries(specs.map((s) => [s.name, { type: s.type, multiple: s.multiple ?? false }]));
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as ParsedFlags;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function overridesFrom(values: ParsedFlags['values']): Overrides {
  const str = (name: string): string | undefined => values[name] as string | undefined;
  return {
    listen: values['listen'] as string[] | undefined,
    allowFrom: values['allow-from'] as string[] | undefined,
    rootHints: str('root-hints'),
    upstreamPort: str('upstream-port'),
    qnameMinimisation: values['no-qname-minimisation'] ? false : undefined,
    ipv6Upstream: values['no-ipv6-upstream'] ? false : undefined,
    allowLocalUpstream: values['allow-local-upstream'] ? true : undefined,
    ipv4Upstream: values['no-ipv4-upstream'] ? false : undefined,
    qnameMinimisationType: str('qname-minimisation-type'),
    doNotQueryLocalhost: values['do-not-query-localhost'] ? true : undefined,
    rootPriming: values['no-root-priming'] ? false : undefined,
    hardenGlue: values['no-harden-glue'] ? false : undefined,
    minRsaKeyBits: str('min-rsa-key-bits'),
    dnssec: values['no-dnssec'] ? false : undefined,
    trustAnchors: str('trust-anchors'),
    logLevel: str('log-level'),
    redis: str('redis'),
    workers: str('workers'),
    memoryBudget: str('memory-budget'),
    control: str('control'),
    controlToken: str('control-token'),
    controlSocket: str('control-socket'),
    queryLog: values['query-log'] ? true : undefined,
    queryLogSample: str('query-log-sample'),
    dnstapFile: str('dnstap-file'),
    dnstapSocket: str('dnstap-socket'),
    doh: values['doh'] as string[] | undefined,
    dohPlain: values['doh-plain'] as string[] | undefined,
    dohPath: str('doh-path'),
    dohTrustedProxy: values['doh-trusted-proxy'] as string[] | undefined,
    dohPlainRemote: values['doh-plain-remote'] ? true : undefined,
    dot: values['dot'] as string[] | undefined,
    tlsCert: str('tls-cert'),
    tlsKey: str('tls-key'),
    rateLimit: str('rate-limit'),
    rateLimitSlip: str('rate-limit-slip'),
    rateLimitExempt: values['rate-limit-exempt'] as string[] | undefined,
    clientQps: str('client-qps'),
    clientMaxInFlight: str('client-max-in-flight'),
    cookies: values['no-cookies'] ? false : undefined,
    cookieSecretFile: str('cookie-secret-file'),
    metrics: str('metrics'),
    otlpEndpoint: str('otlp'),
    drainGraceMs: str('drain-grace-ms'),
    canaryName: str('canary'),
  };
}

/** Help text: the usage line, then every flag with its default. */
export function flagHelp(usage: string, summary: string, specs: FlagSpec[]): string {
  const left = specs.map((s) => `  --${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = specs.map((s, i) => `${left[i]!.padEnd(width)}${s.help}${s.default ? ` [default: ${s.default}]` : ''}`);
  return `usage: ${usage}\n\n${summary}\n\nflags:\n${lines.join('\n')}\n`;
}
