// Unbound as a bench target: a config in a temp dir, one thread, the simulated root hints, UDP/TCP/DoT/DoH.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnPinned, waitForDns } from './process.ts';
import type { RunningTarget, Target, TargetContext } from './target.ts';

export interface UnboundOptions {
  threads?: number;
  /** Extra `server:` lines, e.g. cache sizes. */
  extra?: string[];
}

/**
 * The simulated servers must listen on port 53: Unbound sends every upstream query to port 53
 * (hints and glue carry no port), so the bench serves the simulated internet there.
 * No trust anchor and the iterator module alone: the bench's simulated internet is unsigned and
 * andns runs with --no-dnssec, so neither validates (to do: both validating, on signed
 * simulated zones). Settings match the
 * differential test's Unbound (test/peers/unbound.ts).
 */
export function unboundConfig(ctx: TargetContext, ports: { dns: number; dot: number; doh: number }, o: UnboundOptions = {}): string {
  if (ctx.upstreamPort !== 53) throw new Error(`unbound can only query authoritative servers on port 53, the simulated internet is on ${ctx.upstreamPort}`);
  const lines = [
    'server:',
    `  interface: 127.0.0.1@${ports.dns}`,
    `  interface: 127.0.0.1@${ports.dot}`,
    `  interface: 127.0.0.1@${ports.doh}`,
    `  port: ${ports.dns}`,
    `  tls-port: ${ports.dot}`,
    `  https-port: ${ports.doh}`,
    `  tls-service-key: "${ctx.tls.keyFile}"`,
    `  tls-service-pem: "${ctx.tls.certFile}"`,
    '  http-endpoint: "/dns-query"',
    `  num-threads: ${o.threads ?? 1}`,
    '  do-not-query-localhost: no',
    `  root-hints: "${ctx.hintsFile}"`,
    '  chroot: ""',
    '  username: ""',
    `  directory: "${ctx.workDir}"`,
    `  pidfile: "${join(ctx.workDir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  do-daemonize: no',
    '  access-control: 127.0.0.0/8 allow',
    '  do-ip6: no',
    // Resolvers' defaults elsewhere; stated so that a changed Debian default cannot move the figures.
    '  qname-minimisation: yes',
    '  minimal-responses: yes',
    '  prefetch: no',
    '  module-config: "iterator"',
    // RFC 6761 special-use names are answered locally by default; the simulated internet delegates them.
    '  local-zone: "test." nodefault',
    '  local-zone: "invalid." nodefault',
    '  local-zone: "onion." nodefault',
    ...(o.extra ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
  ];
  return `${lines.join('\n')}\n`;
}

export function unboundTarget(o: UnboundOptions = {}): Target {
  const name = o.threads && o.threads > 1 ? `unbound ${o.threads} threads` : 'unbound';
  return {
    name,
    unavailable() {
      try {
        execFileSync('unbound', ['-V'], { stdio: 'ignore' });
        return undefined;
      } catch {
        return 'unbound is not installed (Debian package "unbound")';
      }
    },
    async start(ctx: TargetContext): Promise<RunningTarget> {
      // A directory per instance: the cluster scenario runs several Unbounds at once (pid files).
      const dir = mkdtempSync(join(ctx.workDir, 'unbound-'));
      const ports = { dns: await freePort(), dot: await freePort(), doh: await freePort() };
      const conf = join(dir, 'unbound.conf');
      writeFileSync(conf, unboundConfig({ ...ctx, workDir: dir }, ports, o));
      execFileSync('unbound-checkconf', [conf], { stdio: 'pipe' });
      const proc = spawnPinned('unbound', ['-d', '-c', conf], ctx.cpu);
      try {
        await waitForDns('127.0.0.1', ports.dns, 10_000, () => proc.child.exitCode === null);
      } catch (err) {
        await proc.stop();
        throw new Error(`${(err as Error).message}\nunbound said:\n${proc.output()}`);
      }
      return {
        name,
        udp: { host: '127.0.0.1', port: ports.dns },
        tcp: { host: '127.0.0.1', port: ports.dns },
        dot: { host: '127.0.0.1', port: ports.dot },
        doh: { host: '127.0.0.1', port: ports.doh, path: '/dns-query' },
        pids: () => [proc.pid],
        stop: () => proc.stop(),
      };
    },
  };
}
