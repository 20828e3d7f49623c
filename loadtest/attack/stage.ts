// The attack suite's stage: a signed simulated internet on loopback, and one `andns serve` on
// every transport (UDP, TCP, DoT, DoH) in front of it, restarted if an attack kills it.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateInternet, rootHintsText, type Internet } from '../../test/sim/internet.ts';
import { serveNetwork, type SocketHost } from '../../test/sim/socket-host.ts';
import { freePort, spawnPinned, waitForDns, type Spawned } from '../bench/process.ts';
import { selfSignedCert } from '../bench/tls.ts';

const OWN_ANDNS = fileURLToPath(new URL('../../src/cli/andns.js', import.meta.url));

/**
 * Where the probes, the attacker and the outsider send from (all loopback, RFC 5735 §3). The
 * attacker sits in another /24 than the probes: rate limits count per /24 client prefix.
 */
export const PROBE_SOURCE = '127.0.0.1';
export const ATTACKER_SOURCE = '127.0.66.66';
/**
 * The fuzzer: allowed, and exempt from rate limits, so that every fuzzed packet gets its reply
 * and every reply is checked (the limits are measured by the other attacks).
 */
export const FUZZ_SOURCE = '127.0.99.99';
export const FUZZ_EXEMPT = '127.0.99.0/24';
/** Outside the allowFrom the stage configures. */
export const OUTSIDER_SOURCE = '127.0.200.200';
export const ALLOW_FROM = ['127.0.0.0/24', '127.0.66.0/24', FUZZ_EXEMPT, '::1/128'];

export interface Endpoints {
  udp: { host: string; port: number };
  tcp: { host: string; port: number };
  dot: { host: string; port: number };
  doh: { host: string; port: number; path: string };
}

/** Zones the random-subdomain floods aim at, by how their denials are proven. */
export interface FloodZones {
  nsec: string;
  nsec3: string;
  unsigned: string;
}

/** Zones the amplification table needs besides the flood zones. */
export interface AmpZones {
  /** A zone signed with RSASHA256: its DNSKEY +DO reply is the size of the real root's (~900 B). */
  rsa: string;
}

export interface Stage {
  internet: Internet;
  sim: SocketHost;
  endpoints: Endpoints;
  zones: FloodZones;
  ampZones: AmpZones;
  /** Names the probes ask, warmed into the cache before the first attack. */
  warmNames: { name: string; type: string }[];
  /** A wildcard owner whose expansions are answerable cache misses: `<random>.<wildcard>`. */
  wildcardParent: string;
  /** Features `andns serve --help` offers (the suite adapts to what main has today). */
  features: { allowFrom: boolean; rateLimit: boolean };
  andnsPath: string;
  pid(): number;
  /** True while the andns process runs. */
  alive(): boolean;
  /** Crashes seen (process exits not caused by us). */
  crashes: number;
  /** Starts andns again when it died; true when it had to. */
  reviveIfDead(): Promise<boolean>;
  /** Upstream queries the simulated servers received so far. */
  upstreamQueries(): number;
  close(): Promise<void>;
}

export interface StageOptions {
  /** The andns CLI to attack (default: this build's); e.g. an older build for "before" figures. */
  andnsPath?: string;
  zones?: number;
  seed?: number;
  dir?: string;
  extraArgs?: string[];
}

function help(andnsPath: string): string {
  try {
    return execFileSync(process.execPath, [andnsPath, 'serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return '';
  }
}

/** The first ordinary zone of each denial kind (read from the signed zone's own records). */
function floodZones(internet: Internet): FloodZones {
  const found: Partial<FloodZones> = {};
  for (const [apex, z] of internet.zones) {
    // Ordinary second-level zones only: those carry an MX (the special ones do not).
    if (apex.split('.').length !== 2 || !z.zone.records.some((r) => r.type === 'MX')) continue;
    const types = new Set(z.zone.records.map((r) => r.type));
    const kind: keyof FloodZones = types.has('NSEC3') ? 'nsec3' : types.has('NSEC') ? 'nsec' : 'unsigned';
    if (kind === 'unsigned' && internet.dnssec && types.has('RRSIG')) continue;
    found[kind] ??= apex;
  }
  if (!found.nsec || !found.nsec3 || !found.unsigned) throw new Error(`simulated internet lacks a flood zone: ${JSON.stringify(found)}`);
  return found as FloodZones;
}

/** RFC 8624 algorithm 8 (RSASHA256): the zone with the largest keys, like the real root's. */
function rsaZone(internet: Internet): string {
  for (const [apex, z] of internet.zones) {
    if (z.zone.records.some((r) => r.type === 'DNSKEY' && (r.data as { algorithm?: number }).algorithm === 8)) return apex;
  }
  throw new Error('simulated internet has no RSASHA256 zone');
}

export async function startStage(o: StageOptions = {}): Promise<Stage> {
  const andnsPath = o.andnsPath ?? OWN_ANDNS;
  if (!existsSync(andnsPath)) throw new Error(`${andnsPath} does not exist (npm run build)`);
  const text = help(andnsPath);
  const features = { allowFrom: text.includes('--allow-from'), rateLimit: text.includes('--rate-limit-exempt') };
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'andns-attack-'));
  const internet = generateInternet({ seed: o.seed ?? 12, zones: o.zones ?? 24, signed: true });
  const sim = await serveNetwork(internet.network);
  const hints = join(dir, 'sim.hints');
  const anchors = join(dir, 'sim.ds');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  writeFileSync(anchors, internet.dnssec!.trustAnchor);
  const tlsFiles = selfSignedCert(dir);
  const zones = floodZones(internet);
  const ok = (e: (typeof internet.catalogue)[number]): boolean => e.rcode !== 'SERVFAIL' && !e.tags.some((t) => ['slow', 'dead', 'lame', 'nxns', 'ns-loop'].includes(t));
  const warmNames = internet.catalogue.filter(ok).slice(0, 60).map((e) => ({ name: e.name, type: e.type }));
  const wild = internet.catalogue.find((e) => e.tags.includes('wildcard') && e.rcode === 'NOERROR' && e.type === 'TXT');
  if (!wild) throw new Error('simulated internet has no wildcard name');
  const wildcardParent = wild.name.slice(wild.name.indexOf('.') + 1);

  const ports = { dns: await freePort(), dot: await freePort(), doh: await freePort() };
  const args = [
    andnsPath, 'serve',
    '--listen', `127.0.0.1:${ports.dns}`,
    '--dot', `127.0.0.1:${ports.dot}`,
    '--doh', `127.0.0.1:${ports.doh}`,
    '--tls-cert', tlsFiles.certFile,
    '--tls-key', tlsFiles.keyFile,
    '--root-hints', hints,
    '--trust-anchors', anchors,
    '--upstream-port', String(sim.port),
    '--allow-local-upstream',
    '--no-ipv6-upstream',
    '--log-level', 'error',
    ...(features.allowFrom ? ALLOW_FROM.flatMap((p) => ['--allow-from', p]) : []),
    // Loopback is exempt from rate limits by default; here loopback plays the internet, and only
    // the fuzzer is exempt.
    ...(features.rateLimit ? ['--rate-limit-exempt', FUZZ_EXEMPT] : []),
    ...(o.extraArgs ?? []),
  ];
  let proc: Spawned | undefined;
  const stage: Stage = {
    internet,
    sim,
    endpoints: {
      udp: { host: '127.0.0.1', port: ports.dns },
      tcp: { host: '127.0.0.1', port: ports.dns },
      dot: { host: '127.0.0.1', port: ports.dot },
      doh: { host: '127.0.0.1', port: ports.doh, path: '/dns-query' },
    },
    zones,
    ampZones: { rsa: rsaZone(internet) },
    warmNames,
    wildcardParent,
    features,
    andnsPath,
    crashes: 0,
    pid: () => proc!.pid,
    alive: () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null,
    async reviveIfDead() {
      if (stage.alive()) return false;
      stage.crashes++;
      process.stderr.write(`attack: andns exited (${proc?.child.exitCode ?? proc?.child.signalCode}); its last words:\n${proc?.output() ?? ''}\n`);
      await start();
      return true;
    },
    upstreamQueries: () => internet.network.totals().queries,
    async close() {
      await proc?.stop();
      await sim.close();
    },
  };
  const start = async (): Promise<void> => {
    proc = spawnPinned(process.execPath, args, undefined);
    try {
      await waitForDns('127.0.0.1', ports.dns, 15_000, () => proc!.child.exitCode === null);
    } catch (err) {
      await proc.stop();
      throw new Error(`${(err as Error).message}\nandns said:\n${proc.output()}`);
    }
  };
  await start();
  return stage;
}

/** RSS of a process in MB, from /proc (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
