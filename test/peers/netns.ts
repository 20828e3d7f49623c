// Runs a test scenario in a network namespace of its own (`unshare -n`), so that it may bind
// 127.53.x.y:53 whatever the host has bound there: a child node process, loopback brought up
// inside, its result read back as the last JSON line of its stdout.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Netns = { ok: true; argv: string[]; ip: string } | { ok: false; reason: string };

let cached: Netns | undefined;

/** A program on PATH or in the sbin directories (not on an unprivileged user's PATH on Debian). */
function findProgram(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.filter(Boolean).map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Tries `unshare -n` (root, as in CI) then `unshare -rn` (an unprivileged user namespace). */
export function netnsSupport(): Netns {
  if (cached) return cached;
  const ip = findProgram('ip');
  const unshare = findProgram('unshare');
  if (!ip) return (cached = { ok: false, reason: 'the ip command is missing (apt-get install iproute2)' });
  if (!unshare) return (cached = { ok: false, reason: 'the unshare command is missing (apt-get install util-linux)' });
  const tries = process.getuid?.() === 0 ? [['-n'], ['-rn']] : [['-rn']];
  let last = '';
  for (const flags of tries) {
    const r = spawnSync(unshare, [...flags, ip, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (r.status === 0) return (cached = { ok: true, argv: [unshare, ...flags], ip });
    last = `unshare ${flags.join(' ')}: ${(r.error?.message ?? r.stderr ?? '').trim() || `exit ${r.status}`}`;
  }
  return (cached = { ok: false, reason: `cannot create a network namespace (${last}); run as root or allow user namespaces` });
}

/** Fails in CI, skips with the reason elsewhere; true when the test may go on. */
export function requireNetns(t: { skip(message: string): void }): boolean {
  const ns = netnsSupport();
  if (ns.ok) return true;
  if (process.env['CI']) throw new Error(`a network namespace is required in CI: ${ns.reason}`);
  t.skip(ns.reason);
  return false;
}

/**
 * Runs `node SCRIPT ARGS` inside a new network namespace (loopback up) and returns the JSON of
 * the last stdout line. Everything the script starts (simulated servers, unbound, andns) lives
 * and dies with the namespace; on timeout or test abort the child gets SIGTERM.
 */
export async function runInNetns<T>(script: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<T> {
  const ns = netnsSupport();
  if (!ns.ok) throw new Error(ns.reason);
  const [cmd, ...flags] = ns.argv;
  // exec: the pid we hold is node's, so SIGTERM reaches the scenario and it stops its children.
  const child = spawn(cmd!, [...flags, 'sh', '-c', `${ns.ip} link set lo up && exec "$0" "$@"`, process.execPath, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = (): void => void child.kill('SIGTERM');
  const timer = setTimeout(stop, timeoutMs);
  signal?.addEventListener('abort', stop, { once: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, signal) => resolve(c ?? (signal ? -1 : null)));
  }).finally(() => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  });
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`${script} in a network namespace exited ${code}\n${err.slice(-4000)}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} printed no JSON result: ${last.slice(0, 200)}\n${err.slice(-4000)}`);
  }
}
