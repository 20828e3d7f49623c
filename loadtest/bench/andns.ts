// andns as a bench target: `andns serve` on the simulated root hints, pinned to a core.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, spawnPinned, waitForDns, withChildren } from './process.ts';
import type { RunningTarget, Target, TargetContext } from './target.ts';

const ANDNS = fileURLToPath(new URL('../../src/cli/andns.js', import.meta.url));

export interface AndnsOptions {
  /** Worker processes (`--workers N`); 1 runs the single-process server. */
  workers?: number;
  /** Extra `andns serve` flags, e.g. a --config for the shared cache. */
  extraArgs?: string[];
  /** Node flags before the script, e.g. --cpu-prof (profile-andns.ts). */
  nodeFlags?: string[];
  /** Keep all of andns's output in this file. */
  logFile?: string;
}

function serveHelp(): string | undefined {
  try {
    return execFileSync(process.execPath, [ANDNS, 'serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return undefined;
  }
}

/**
 * Flags as `andns serve --help` documents them (checked at start so a renamed flag fails
 * loudly here rather than as a silent mis-configuration). DoH and DoT listen on their own
 * ports with the bench's self-signed certificate, so the DoH scenario runs as for Unbound.
 */
export function andnsTarget(o: AndnsOptions = {}): Target {
  const workers = o.workers ?? 1;
  const name = workers > 1 ? `andns --workers ${workers}` : 'andns';
  return {
    name,
    unavailable() {
      if (!existsSync(ANDNS)) return `${ANDNS} is not built (npm run build)`;
      const help = serveHelp();
      if (!help) return 'andns serve --help fails';
      for (const flag of ['--listen', '--root-hints', '--upstream-port', '--allow-local-upstream', '--no-dnssec', '--doh', '--dot', '--tls-cert']) {
        if (!help.includes(flag)) return `andns serve has no ${flag} flag`;
      }
      if (workers > 1 && !help.includes('--workers')) return 'andns serve has no --workers flag yet';
      return undefined;
    },
    async start(ctx: TargetContext): Promise<RunningTarget> {
      const port = await freePort();
      const dohPort = await freePort();
      const dotPort = await freePort();
      const args = [
        ...(o.nodeFlags ?? []),
        ANDNS, 'serve',
        '--listen', `127.0.0.1:${port}`,
        '--root-hints', ctx.hintsFile,
        '--upstream-port', String(ctx.upstreamPort),
        '--allow-local-upstream',
        '--no-dnssec', // the simulated internet of the benchmarks is unsigned
        '--no-ipv6-upstream',
        '--log-level', 'warn',
        '--doh', `127.0.0.1:${dohPort}`,
        '--dot', `127.0.0.1:${dotPort}`,
        '--tls-cert', ctx.tls.certFile,
        '--tls-key', ctx.tls.keyFile,
        ...(workers > 1 ? ['--workers', String(workers)] : []),
        ...(o.extraArgs ?? []),
      ];
      const proc = spawnPinned(process.execPath, args, ctx.cpu, process.env, o.logFile);
      try {
        await waitForDns('127.0.0.1', port, 15_000, () => proc.child.exitCode === null);
      } catch (err) {
        await proc.stop();
        throw new Error(`${(err as Error).message}\nandns said:\n${proc.output()}`);
      }
      return {
        name,
        udp: { host: '127.0.0.1', port },
        tcp: { host: '127.0.0.1', port },
        dot: { host: '127.0.0.1', port: dotPort },
        doh: { host: '127.0.0.1', port: dohPort, path: '/dns-query' },
        // With --workers the children do the work: they are sampled with the parent.
        pids: () => withChildren(proc.pid),
        // Without --redis each worker has its own embedded cache (README, Cluster).
        caches: (o.extraArgs ?? []).includes('--redis') ? 1 : workers,
        stop: () => proc.stop(),
      };
    },
  };
}
