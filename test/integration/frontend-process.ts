// Runs the real `andns serve` process for the front-end integration tests, and real clients against it.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listeningLines } from '../harness/listening.ts';

const run = promisify(execFile);
export const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');

export interface ServeProcess {
  child: ChildProcess;
  /** "127.0.0.1" → port, "::1" → port, as printed by andns. */
  ports: Map<string, number>;
  stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `andns serve ARGS` and waits for every start-up line of a UDP/TCP listener. */
export async function startServe(args: string[], listenCount: number): Promise<ServeProcess> {
  const child = spawn(process.execPath, [ANDNS, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ports = new Map<string, number>();
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`andns did not start: ${err}`)), 10_000);
    child.on('exit', (code) => reject(new Error(`andns exited with ${code} at start: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const l of listeningLines(out)) if (l.transports.includes('UDP')) ports.set(l.address!, l.port!);
      if (ports.size >= listenCount) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    child,
    ports,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Whether a client binary exists; outside CI a missing one skips the test with a reason, in CI it fails. */
export async function haveBinary(name: string, versionFlag: string): Promise<boolean> {
  try {
    await run(name, [versionFlag]);
    return true;
  } catch {
    if (process.env['CI']) throw new Error(`${name} is required in CI (apt-get install bind9-dnsutils knot-dnsutils)`);
    return false;
  }
}

export interface DigResult {
  status: string;
  flags: string[];
  question: string;
  answer: string[];
  ede: string | undefined;
  raw: string;
}

/** Runs dig or kdig and reads status, flags, the question line and answer rdata from its text. */
export async function dig(binary: 'dig' | 'kdig', args: string[]): Promise<DigResult> {
  const once = binary === 'dig' ? '+tries=1' : '+retry=0';
  const { stdout } = await run(binary, [once, '+timeout=5', ...args], { timeout: 20_000 });
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
  const flags = (/;; [Ff]lags: ([a-z ]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const lines = stdout.split('\n');
  const at = (title: string): number => lines.findIndex((l) => l.includes(`${title} SECTION:`));
  const question = at('QUESTION') >= 0 ? (lines[at('QUESTION') + 1] ?? '').trim() : '';
  const answer: string[] = [];
  for (let i = at('ANSWER') + 1; at('ANSWER') >= 0 && i < lines.length && lines[i]!.trim() !== ''; i++) {
    if (!lines[i]!.startsWith(';')) answer.push(lines[i]!.trim().split(/\s+/).slice(4).join(' '));
  }
  const ede = /; EDE: (.*)/.exec(stdout)?.[1];
  return { status, flags, question, answer, ede, raw: stdout };
}
