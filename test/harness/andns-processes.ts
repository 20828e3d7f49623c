// Real `andns serve` processes for the cluster tests: each on its own free ports (DNS and the
// control endpoint) over a simulated internet served on sockets, queried with a stub client,
// flushed with the real `andns cache flush`, and stopped by PID in t.after.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type dnsPacket from 'dns-packet';
import { stubQuery } from '../peers/dns-client.ts';
import { generateInternet, rootHintsText, type Internet } from '../sim/internet.ts';
import { serveNetwork, type SocketHost } from '../sim/socket-host.ts';
import { plainNames } from './frontends.ts';
import { portOf } from './listening.ts';

const run = promisify(execFile);
const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');
type After = { after(fn: () => Promise<void> | void): void };

export interface SimOnSockets {
  internet: Internet;
  host: SocketHost;
  hints: string;
  dir: string;
  names: string[];
  /** Queries the simulated servers have received so far. */
  queries(): number;
}

export async function simOnSockets(t: After, seed = 7, zones = 30): Promise<SimOnSockets> {
  const internet = generateInternet({ seed, zones });
  const host = await serveNetwork(internet.network);
  t.after(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-cluster-'));
  const hints = join(dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  return { internet, host, hints, dir, names: plainNames(internet), queries: () => internet.network.totals().queries };
}

export interface AndnsProcess {
  child: ChildProcess;
  port: number;
  controlPort: number;
  /** The config file it was started with (rewrite it, then reload). */
  configFile: string;
  /** Flags that point an `andns` command at this process's control endpoint. */
  controlArgs: string[];
  stderr(): string;
  /** What it printed on stdout so far (the start-up lines). */
  stdout(): string;
  query(name: string, type?: string): Promise<Reply>;
  /** `andns cache flush ARGS` against this process; resolves its stdout. */
  flush(...args: string[]): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let configs = 0;

/**
 * Starts `andns serve` on 127.0.0.1 port 0 (or `listen`) with a control endpoint, the simulated
 * internet's hints and `config` (JSON) merged over: no plain DoH listener, and `extra` flags.
 */
export async function startAndns(t: After, sim: SimOnSockets, config: Record<string, unknown>, extra: string[] = []): Promise<AndnsProcess> {
  const file = join(sim.dir, `config-${process.pid}-${configs++}.json`);
  writeFileSync(file, JSON.stringify({ doh: { plainListen: [] }, ...config }));
  // Flags override the file: validation stays off unless the config turns it on.
  const dnssec = config['dnssec'] === true ? [] : ['--no-dnssec'];
  const args = [ANDNS, 'serve', '--config', file, '--root-hints', sim.hints, '--upstream-port', String(sim.host.port), '--allow-local-upstream', ...dnssec, ...(config['logLevel'] ? [] : ['--log-level', 'warn'])];
  const hasListen = extra.includes('--listen');
  // The control endpoint on TCP wants a token file only its owner can read.
  const token = join(sim.dir, `control-${process.pid}.token`);
  writeFileSync(token, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const control = ['--control', '127.0.0.1:0', '--control-token', token];
  const child = spawn(process.execPath, [...args, ...(hasListen ? [] : ['--listen', '127.0.0.1:0']), ...control, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [port, controlPort] = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`andns did not start: ${err}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`andns exited with ${code} at start: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const dns = portOf(out, 'UDP');
      const control = portOf(out, 'control');
      if (dns && control) {
        clearTimeout(timer);
        resolve([dns, control]);
      }
    });
  });
  return {
    child,
    port,
    controlPort,
    configFile: file,
    controlArgs: ['--control', `127.0.0.1:${controlPort}`, '--control-token', token],
    stderr: () => err,
    stdout: () => out,
    query: (name, type = 'A') => stubQuery('127.0.0.1', port, { name, type, timeoutMs: 5000 }) as Promise<Reply>,
    async flush(...flushArgs) {
      const { stdout } = await run(process.execPath, [ANDNS, 'cache', 'flush', ...flushArgs, '--control', `127.0.0.1:${controlPort}`, '--control-token', token]);
      return stdout;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** A decoded reply; dns-packet's types leave out the rcode it decodes. */
export type Reply = dnsPacket.DecodedPacket & { rcode?: string };

/** The RDATA of the answer records, for comparisons. */
export function answerData(reply: Reply): unknown[] {
  return (reply.answers ?? []).map((rr) => (rr as { data?: unknown }).data);
}

/** The TTL of the first answer record, or -1. */
export function firstTtl(reply: dnsPacket.DecodedPacket): number {
  return (reply.answers?.[0] as { ttl?: number } | undefined)?.ttl ?? -1;
}

/** The info code of the reply's Extended DNS Error (RFC 8914), if any. */
export function edeCode(reply: dnsPacket.DecodedPacket): number | undefined {
  for (const rr of reply.additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    for (const o of (rr as { options?: { code: number; data?: Buffer }[] }).options ?? []) {
      if (o.code === 15 && o.data && o.data.length >= 2) return o.data.readUInt16BE(0);
    }
  }
  return undefined;
}
