// Runs the real `andns serve` with DoH and DoT on the simulated internet for the real-client
// tests (curl, kdig, dig, Chromium), and reads back every endpoint it prints.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInternet, rootHintsText, type CatalogueEntry, type Internet } from '../sim/internet.ts';
import { serveNetwork, type SocketHost } from '../sim/socket-host.ts';
import { makeCert, type Cert } from '../unit/doh-fixture.ts';
import { ANDNS } from './frontend-process.ts';
import { listeningLines, portOf } from '../harness/listening.ts';

export interface DohWorld {
  internet: Internet;
  host: SocketHost;
  cert: Cert;
  child: ChildProcess;
  /** Ports as printed: udp (and TCP), https (DoH over TLS), http (plain DoH), dot. */
  ports: { udp: number; https: number; http: number; dot: number };
  stderr(): string;
  /** A name only the simulated internet knows, with an IPv4 address of 127.100.x.y, and a web page there. */
  site: { name: string; address: string; port: number; body: string };
  stop(): Promise<void>;
}

/**
 * A plain A-record name on a loopback host address (127.100/16) with no AAAA record: clients
 * then never try an address off this machine (the sim's AAAA records are in 2001:db8::/32).
 */
export function webName(internet: Internet): CatalogueEntry {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const hasAaaa = (name: string): boolean => {
    const apex = [...internet.zones.keys()].filter((z) => name.endsWith(`.${z}`)).sort((x, y) => y.length - x.length)[0];
    if (apex === undefined) return true;
    const relative = name.slice(0, -apex.length - 1);
    return new RegExp(`^(?:${escape(relative)}|${escape(name)}\\.)\\s+(?:\\d+\\s+)?AAAA\\s`, 'm').test(internet.zones.get(apex)!.text);
  };
  const entry = internet.catalogue.find((e) => e.type === 'A' && e.rcode === 'NOERROR' && e.answerTypes?.length === e.rdata?.length && e.rdata![0]!.startsWith('127.100.') && !hasAaaa(e.name));
  if (!entry) throw new Error('the simulated internet has no A-only name on 127.100/16');
  return entry;
}

export async function startDohWorld(extraArgs: string[] = []): Promise<DohWorld> {
  const cert = makeCert();
  if (!cert) throw new Error('openssl is needed to make a test certificate');
  const internet = generateInternet({ seed: 8484, zones: 20 });
  const host = await serveNetwork(internet.network);
  const hints = join(cert.dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));

  // The web server sits on the name's own address, which exists only on loopback (127.0.0.0/8).
  const entry = webName(internet);
  const address = entry.rdata![0]!;
  const body = `<!doctype html><title>andns doh test</title><p id="ok">served to ${entry.name}</p>`;
  const web = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body));
  web.listen(0, address);
  await once(web, 'listening');
  const webPort = (web.address() as { port: number }).port;

  const args = [
    'serve', '--listen', '127.0.0.1:0', '--doh', '127.0.0.1:0', '--doh-plain', '127.0.0.1:0', '--dot', '127.0.0.1:0',
    '--tls-cert', cert.cert, '--tls-key', cert.key,
    '--root-hints', hints, '--upstream-port', String(host.port), '--allow-local-upstream', '--no-dnssec', ...extraArgs,
  ];
  const child = spawn(process.execPath, [ANDNS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  const ports = await new Promise<DohWorld['ports']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`andns did not start: ${err}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`andns exited with ${code} at start: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = listeningLines(out);
      const doh = (scheme: string): number => lines.find((l) => l.url?.startsWith(`${scheme}://127.0.0.1:`))?.port ?? 0;
      const found = { udp: portOf(out, 'UDP'), https: doh('https'), http: doh('http'), dot: portOf(out, 'DoT') };
      if (Object.values(found).every((p) => p > 0)) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  return {
    internet, host, cert, child, ports,
    stderr: () => err,
    site: { name: entry.name, address, port: webPort, body },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      web.close();
      await host.close();
    },
  };
}
