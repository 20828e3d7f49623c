// Starts the front-ends: a UDP socket and a TCP listener on each listen address, then DoH and
// DoT, all sharing one pipeline; closes them all gracefully (stop accepting, drain, close).

import type { Observer } from '../operations/observer.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress, ServerOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { startSecureFrontends, type Endpoint } from './secure-frontends.ts';
import { TcpFrontend } from './tcp.ts';
import { UdpFrontend } from './udp.ts';

export interface RunningServer {
  /** The addresses actually bound (a requested port 0 replaced by the port the kernel chose). */
  readonly addresses: readonly ListenAddress[];
  /** DoH and DoT listeners, as bound. */
  readonly endpoints: readonly Endpoint[];
  /** Re-reads the TLS certificate and key (SIGHUP); false when they are unusable or absent. */
  reloadTls(): boolean;
  /** Resolves when every front-end has answered its in-flight queries and closed. */
  close(): Promise<void>;
}

/** Port 0: UDP takes a free port, TCP must get the same one; retry when TCP finds it taken. */
const EPHEMERAL_ATTEMPTS = 8;

export async function startServer(options: ServerOptions, pipeline: Pipeline, log: Logger, observer?: Observer): Promise<RunningServer> {
  const frontends: { close(): Promise<void> }[] = [];
  const addresses: ListenAddress[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(frontends.map((f) => f.close()));
  };
  try {
    for (const at of options.listen) {
      const pair = await listenPair(at, options, pipeline, log, observer);
      frontends.push(pair.udp, pair.tcp);
      addresses.push({ ...at, port: pair.udp.port });
    }
    const secure = await startSecureFrontends(options, pipeline, log);
    frontends.push(secure);
    return { addresses, endpoints: secure.endpoints, reloadTls: secure.reloadTls, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function listenPair(at: ListenAddress, options: ServerOptions, pipeline: Pipeline, log: Logger, observer: Observer | undefined): Promise<{ udp: UdpFrontend; tcp: TcpFrontend }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await UdpFrontend.listen(at, pipeline, log, observer).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, 'UDP', err);
    });
    try {
      const tcp = await TcpFrontend.listen({ ...at, port: udp.port }, pipeline, options.tcp, log);
      return { udp, tcp };
    } catch (err) {
      await udp.close();
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (at.port !== 0 || !inUse || attempt >= EPHEMERAL_ATTEMPTS) throw new ListenError(at, 'TCP', err as NodeJS.ErrnoException);
    }
  }
}

export class ListenError extends Error {
  constructor(at: ListenAddress, protocol: string, cause: NodeJS.ErrnoException) {
    const where = at.family === 6 ? `[${at.address}]:${at.port}` : `${at.address}:${at.port}`;
    super(`cannot listen on ${where} (${protocol}): ${cause.code ?? cause.message}`);
    this.name = 'ListenError';
  }
}
