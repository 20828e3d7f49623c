// Child processes of the bench: started pinned to a core, waited on until they answer DNS, stopped by their own PID.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Last lines of stderr/stdout, to explain a failed start. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; only ever this child, by its PID. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs `command` under `taskset -c cpu` when a core is given (taskset execs, so the PID is the command's). */
export function spawnPinned(command: string, args: string[], cpu: number | undefined, env: NodeJS.ProcessEnv = process.env, logFile?: string): Spawned {
  const argv = cpu === undefined ? [command, ...args] : ['taskset', '-c', String(cpu), command, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  let tail = '';
  const keep = (b: Buffer): void => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // The whole output too, when asked (e.g. --trace-gc lines to count after the run).
  if (logFile) {
    const log = createWriteStream(logFile);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    pid: child.pid,
    output: () => tail,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free for both UDP and TCP on `host` right now (the kernel picks it; a race is unlikely). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer().listen(0, host, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
      s.on('error', reject);
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, host, () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/** A DNS query for ". NS" with RD: any reply at all means the server is up. */
const PROBE = Buffer.from('1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '00' + '0002' + '0001', 'hex');

/** Waits until a UDP DNS query to host:port gets a reply; rejects after `timeoutMs`. */
export async function waitForDns(host: string, port: number, timeoutMs = 10_000, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sock.on('error', () => {});
  try {
    while (Date.now() < deadline) {
      if (!isAlive()) throw new Error(`the server exited before answering on ${host}:${port}`);
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => (sock.off('message', onMessage), resolve(false)), 200);
        const onMessage = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        sock.once('message', onMessage);
        sock.send(PROBE, port, host);
      });
      if (answered) return;
    }
    throw new Error(`no DNS reply from ${host}:${port} within ${timeoutMs} ms`);
  } finally {
    sock.close();
  }
}

/** A process and its children, from /proc/PID/task/TID/children (for servers with worker processes). */
export function withChildren(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim();
      for (const c of text ? text.split(/\s+/) : []) out.push(Number(c));
    }
  } catch {
    // exited, or no /proc: the parent alone
  }
  return out;
}
