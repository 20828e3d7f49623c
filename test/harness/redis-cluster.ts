// A real Redis Cluster for tests: six redis-server processes (three masters, three replicas) on
// free loopback ports in a temporary directory, created with redis-cli, killed and restarted by
// PID, and always torn down — in t.after, and by an exit hook if the test process dies first.

import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from './resp.ts';

export interface RedisClusterOptions {
  /** Nodes declare a peer failed after this long without an answer, ms. Default 1000 (fast fail-over). */
  nodeTimeoutMs?: number;
  /** Whole start-up deadline, ms. Default 15 000. */
  startTimeoutMs?: number;
}

interface Node {
  port: number;
  busPort: number;
  dir: string;
  process: ChildProcess | undefined;
}

/** Why the Redis tests cannot run here, or undefined when they can. Under CI, missing Redis throws. */
export function redisMissing(): string | undefined {
  for (const bin of ['redis-server', 'redis-cli']) {
    const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) {
      const reason = `${bin} not found on PATH (install redis-server to run the shared-cache cluster tests)`;
      if (process.env.CI) throw new Error(`CI must run the Redis Cluster tests: ${reason}`);
      return reason;
    }
  }
  return undefined;
}

/** Registers teardown on `t` when given (t.after), so a failing test still stops every node. */
export async function startRedisCluster(t?: { after(fn: () => Promise<void> | void): void }, options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const cluster = new RedisCluster(options);
  t?.after(() => cluster.stop());
  await cluster.start();
  return cluster;
}

const live = new Set<RedisCluster>();
// Last resort: never leave redis-server processes behind when the test process exits.
process.once('exit', () => {
  for (const c of live) c.killAllSync();
});

export class RedisCluster {
  readonly nodes: Node[] = [];
  private readonly options: Required<RedisClusterOptions>;
  private readonly root: string;

  constructor(options: RedisClusterOptions) {
    this.options = { nodeTimeoutMs: 1000, startTimeoutMs: 15_000, ...options };
    this.root = mkdtempSync(join(tmpdir(), 'andns-redis-'));
  }

  /** redis:// URLs of every node: any one of them is enough as a seed. */
  get seeds(): string[] {
    return this.nodes.map((n) => `redis://127.0.0.1:${n.port}`);
  }

  async start(): Promise<void> {
    live.add(this);
    const deadline = Date.now() + this.options.startTimeoutMs;
    const ports = await freePorts(12);
    for (let i = 0; i < 6; i++) {
      const dir = join(this.root, `node-${i}`);
      mkdirSync(dir);
      this.nodes.push({ port: ports[i]!, busPort: ports[i + 6]!, dir, process: undefined });
    }
    await Promise.all(this.nodes.map((_, i) => this.launch(i, deadline)));
    const addresses = this.nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], deadline - Date.now());
    await this.waitHealthy(deadline - Date.now());
  }

  /** Until every running node says cluster_state:ok and every running replica's link is up. */
  async waitHealthy(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        last = await this.health();
        if (last === '') return;
      } catch (err) {
        last = String(err);
      }
      await sleep(50);
    }
    throw new Error(`redis cluster not healthy after ${timeoutMs} ms: ${last}`);
  }

  /** Indexes (into nodes) of the nodes that serve slots now, as a running node sees it. */
  async masters(): Promise<number[]> {
    const running = this.nodes.find((n) => n.process);
    if (!running) return [];
    const text = String(await command(running.port, ['CLUSTER', 'NODES']));
    const out: number[] = [];
    for (const line of text.trim().split('\n')) {
      const [, address, flags] = line.split(' ');
      if (!flags?.includes('master') || flags.includes('fail')) continue;
      const port = Number(address?.split('@')[0]?.split(':')[1]);
      const i = this.nodes.findIndex((n) => n.port === port);
      if (i >= 0) out.push(i);
    }
    return out.sort();
  }

  /** Index of the master serving `slot`, as a running node sees it. */
  async masterOf(slot: number): Promise<number> {
    const running = this.nodes.find((n) => n.process);
    if (!running) throw new Error('no redis node is running');
    const text = String(await command(running.port, ['CLUSTER', 'NODES']));
    for (const line of text.trim().split('\n')) {
      const fields = line.split(' ');
      if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
      const owns = fields.slice(8).some((range) => {
        const [lo, hi] = range.split('-').map(Number);
        return slot >= lo! && slot <= (hi ?? lo)!;
      });
      const port = Number(fields[1]?.split('@')[0]?.split(':')[1]);
      if (owns) return this.nodes.findIndex((n) => n.port === port);
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** SIGKILL one node by its PID and wait until it is gone. */
  async kill(i: number): Promise<void> {
    const proc = this.nodes[i]!.process;
    if (!proc) return;
    this.nodes[i]!.process = undefined;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await gone;
  }

  /**
   * SIGSTOP one node: it keeps its sockets but answers nothing (a stalled master: a long GC, a
   * swapping host, a fork that took the CPU) until resume(). Its peers declare it failed after
   * nodeTimeoutMs.
   */
  pause(i: number): void {
    const proc = this.nodes[i]!.process;
    if (proc && proc.exitCode === null) proc.kill('SIGSTOP');
  }

  /** SIGCONT a paused node. */
  resume(i: number): void {
    const proc = this.nodes[i]!.process;
    if (proc && proc.exitCode === null) proc.kill('SIGCONT');
  }

  /**
   * Makes one node slow: paused for `stallMs` out of every `periodMs` (added latency up to
   * stallMs on whatever it is asked meanwhile). Resolves a function that ends it (resumed).
   */
  slow(i: number, stallMs: number, periodMs: number): () => void {
    let paused = false;
    const tick = (): void => {
      this.pause(i);
      paused = true;
      setTimeout(() => {
        this.resume(i);
        paused = false;
      }, stallMs).unref();
    };
    const timer = setInterval(tick, periodMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      if (paused) this.resume(i);
      // A resume timer may still be pending: resume now too, it is harmless twice.
      this.resume(i);
    };
  }

  /** Starts a killed node again with its old config (its nodes.conf keeps its identity). */
  async restart(i: number, timeoutMs = 5000): Promise<void> {
    await this.launch(i, Date.now() + timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i)));
    live.delete(this);
    rmSync(this.root, { recursive: true, force: true });
  }

  killAllSync(): void {
    for (const n of this.nodes) n.process?.kill('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }

  private async health(): Promise<string> {
    for (const n of this.nodes) {
      if (!n.process) continue;
      const info = String(await command(n.port, ['CLUSTER', 'INFO']));
      if (!info.includes('cluster_state:ok')) return `:${n.port} ${info.split('\r\n')[0]}`;
      const repl = String(await command(n.port, ['INFO', 'replication']));
      if (repl.includes('role:slave') && !repl.includes('master_link_status:up')) return `:${n.port} replica link down`;
    }
    return '';
  }

  private async launch(i: number, deadline: number): Promise<void> {
    const n = this.nodes[i]!;
    // No persistence (--save '' --appendonly no): a restarted node comes back empty, as in a cache.
    const args = [
      '--port', String(n.port), '--cluster-port', String(n.busPort), '--bind', '127.0.0.1',
      '--dir', n.dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(this.options.nodeTimeoutMs),
      // A replica may take over however long it lost its master: tests kill masters at will.
      '--cluster-replica-validity-factor', '0',
      // Replicas sync at once (Redis 7 waits 5 s for more replicas to share a diskless sync).
      '--repl-diskless-sync-delay', '0',
      '--save', '', '--appendonly', 'no', '--logfile', join(n.dir, 'redis.log'),
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    n.process = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`redis-server :${n.port} exited (${code}): ${tail(join(n.dir, 'redis.log'))}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPing(n.port, deadline), exited]);
  }
}

async function waitForPing(port: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      if ((await command(port, ['PING'], 200)) === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server :${port} did not answer PING in time`);
    await sleep(10);
  }
}

/** Ports the kernel hands out, all held open at once so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
      servers.push(s);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: Math.max(1000, timeoutMs) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
