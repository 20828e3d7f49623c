// Runs a real Unbound (Debian package) beside andns for differential tests and benchmarks:
// a throwaway config in a temp dir, loopback only, no chroot, no remote control.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForDns } from './ports.ts';

export const UNBOUND_BIN = '/usr/sbin/unbound';

export interface UnboundOptions {
  /** named.root-format hints (the simulated internet's root servers). */
  rootHintsText: string;
  qnameMinimisation?: boolean;
  /** Trust anchor lines (DS/DNSKEY); none = validation off (iterator module only). */
  trustAnchors?: string[];
  threads?: number;
  port?: number;
}

export interface UnboundProcess {
  address: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export function unboundAvailable(): boolean {
  return spawnSync(UNBOUND_BIN, ['-V'], { stdio: 'ignore' }).status === 0;
}

export async function startUnbound(o: UnboundOptions): Promise<UnboundProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'andns-unbound-'));
  const port = o.port ?? (await freePort());
  writeFileSync(join(dir, 'root.hints'), o.rootHintsText);
  const anchors = o.trustAnchors ?? [];
  if (anchors.length) writeFileSync(join(dir, 'anchors'), anchors.join('\n') + '\n');
  const conf = [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  access-control: 127.0.0.0/8 allow',
    `  num-threads: ${o.threads ?? 1}`,
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  do-ip6: no',
    // The simulated internet lives on 127/8, which Unbound refuses to query by default.
    '  do-not-query-localhost: no',
    `  root-hints: "${join(dir, 'root.hints')}"`,
    `  qname-minimisation: ${o.qnameMinimisation === false ? 'no' : 'yes'}`,
    '  prefetch: no',
    // Unbound answers RFC 6761 special-use names (test., invalid., …) locally by default; the
    // simulated internet delegates them for real.
    '  local-zone: "test." nodefault',
    '  local-zone: "invalid." nodefault',
    '  local-zone: "onion." nodefault',
    '  so-reuseport: no',
    anchors.length ? `  trust-anchor-file: "${join(dir, 'anchors')}"` : '  module-config: "iterator"',
    'remote-control:',
    '  control-enable: no',
  ].join('\n');
  writeFileSync(join(dir, 'unbound.conf'), conf + '\n');
  const child: ChildProcess = spawn(UNBOUND_BIN, ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForDns('127.0.0.1', port, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`unbound did not start: ${String(err)}\n${stderr}`);
  }
  return {
    address: '127.0.0.1',
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
