// Serves the simulated internet on 127.53.x.y sockets for manual runs, with a root hints file for resolvers.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateInternet, rootHintsText, type Internet } from '../test/sim/internet.ts';
import { serveNetwork, type SocketHost } from '../test/sim/socket-host.ts';

export interface ServedInternet {
  internet: Internet;
  host: SocketHost;
  hintsFile: string;
  close(): Promise<void>;
}

/**
 * Builds and serves the internet. `delayMs` holds every reply back that long (the socket host
 * honours SimServer.faults.delayMs): a fixed round-trip time in front of every server, since
 * this kernel has no netem. Faulty servers keep their own delay if theirs is longer.
 */
export async function serveInternet(o: { seed: number; zones: number; port?: number; delayMs?: number; dir?: string }): Promise<ServedInternet> {
  const internet = generateInternet({ seed: o.seed, zones: o.zones });
  if (o.delayMs) {
    for (const s of internet.network.servers()) s.faults.delayMs = Math.max(s.faults.delayMs ?? 0, o.delayMs);
  }
  const host = await serveNetwork(internet.network, o.port ? { port: o.port } : {});
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'andns-sim-'));
  const hintsFile = join(dir, 'root.hints');
  writeFileSync(hintsFile, rootHintsText(internet.rootHints));
  return { internet, host, hintsFile, close: () => host.close() };
}

/** `andns-loadtest sim`: serve until a signal or --for seconds (bounded: nothing here runs forever). */
export async function simMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'sim-seed': { type: 'string' }, 'sim-zones': { type: 'string' }, port: { type: 'string' }, 'delay-ms': { type: 'string' }, for: { type: 'string' } },
  });
  const served = await serveInternet({
    seed: Number(values['sim-seed'] ?? 1),
    zones: Number(values['sim-zones'] ?? 300),
    ...(values.port ? { port: Number(values.port) } : {}),
    delayMs: Number(values['delay-ms'] ?? 0),
  });
  const forS = Number(values.for ?? 3600);
  console.log(JSON.stringify({ port: served.host.port, hints: served.hintsFile, servers: served.internet.network.servers().length, stopsAfterS: forS }));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, forS * 1000);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (clearTimeout(timer), resolve()));
  });
  await served.close();
}
