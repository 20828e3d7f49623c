// Run inside a network namespace (test/peers/netns.ts), so that `npm start`'s fixed ports
// (127.0.0.1:5353, 8053) are free whatever the host runs: starts `npm start` exactly as the
// README says, waits until andns answers, sends SIGTERM to the npm process (what a supervisor
// does) and reports npm's exit and whether the andns process is gone. One JSON line on stdout.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForDns } from '../peers/ports.ts';

export interface NpmStartResult {
  npmCode: number | null;
  npmSignal: string | null;
  andnsPid: number;
  /** The command line of npm's child process: node running andns, not a shell in between. */
  andnsCommand: string;
  /** Whether a process with andns's pid was still there 5 s after npm exited. */
  andnsAlive: boolean;
  listening: string[];
  /** ms from spawning npm to andns answering DNS. */
  startMs: number;
  stderr: string;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** npm's child: with `exec` in the start script it is node running andns itself. */
function childOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? undefined : Number(text.split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

const npmCli = process.env['npm_execpath'];
// --ignore-scripts: no prestart build here (another test covers it); start itself still runs.
const argv = npmCli && npmCli.endsWith('.js') ? [process.execPath, npmCli] : ['npm'];
const started = Date.now();
const npm = spawn(argv[0]!, [...argv.slice(1), 'start', '--ignore-scripts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let err = '';
npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
npm.stderr!.on('data', (d: Buffer) => (err += d.toString()));
const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));

try {
  await waitForDns('127.0.0.1', 5353, 30_000);
  const startMs = Date.now() - started;
  const andnsPid = childOf(npm.pid!) ?? 0;
  const andnsCommand = andnsPid > 0 ? readFileSync(`/proc/${andnsPid}/cmdline`, 'utf8').split('\0').join(' ').trim() : '';
  npm.kill('SIGTERM');
  const { code, signal } = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('npm did not exit within 20 s of SIGTERM')), 20_000))]);
  await new Promise((r) => setTimeout(r, 5_000));
  const records = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; transports?: string[]; listen?: string });
  const result: NpmStartResult = {
    npmCode: code,
    npmSignal: signal,
    andnsPid,
    andnsCommand,
    andnsAlive: andnsPid > 0 && alive(andnsPid),
    listening: records.filter((r) => r.msg === 'listening').map((r) => `${(r.transports ?? []).join('/')} ${r.listen}`),
    startMs,
    stderr: err.slice(-2000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  npm.kill('SIGKILL');
  process.stderr.write(`${String(e)}\nnpm stdout:\n${out}\nnpm stderr:\n${err}\n`);
  process.exitCode = 1;
}
