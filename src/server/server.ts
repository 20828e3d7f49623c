// Starts the front-ends: a UDP socket and a TCP listener on each listen address, then DoH and
// DoT, all sharing one pipeline; closes them all gracefully (stop accepting, drain, close).

import type { Observer } from '../operations/observer.ts';
import { formatListen } from '../config/listen.ts';
import { Acl, DEFAULT_ALLOW_FROM, isLoopback, parsePrefixes } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress, ServerOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { startSecureFrontends, type Endpoint } from './secure-frontends.ts';
import { TcpFrontend } from './tcp.ts';
import { UdpFrontend } from './udp.ts';
import { isWildcard, WildcardUdp } from './wildcard-udp.ts';

export interface RunningServer {
  /** The addresses actually bound (a requested port 0 replaced by the port the kernel chose). */
  readonly addresses: readonly ListenAddress[];
  /** DoH and DoT listeners, as bound. */
  readonly endpoints: readonly Endpoint[];
  /** Re-reads the TLS certificate and key (SIGHUP); false when they are unusable or absent. */
  reloadTls(): boolean;
  /** Serves these client prefixes from the next query on (a config reload), on every transport. */
  setAllowFrom(prefixes: readonly string[]): void;
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
  // allowFrom is checked by the config schema; a direct caller's bad prefix throws here.
  const acl = Acl.from(options.allowFrom ?? DEFAULT_ALLOW_FROM);
  warnIfOpen(options, acl, log);
  try {
    for (const at of options.listen) {
      const pair = await listenPair(at, options, pipeline, log, observer, acl);
      frontends.push(pair.udp, pair.tcp);
      addresses.push({ ...at, port: pair.udp.port });
    }
    const secure = await startSecureFrontends(options, pipeline, log, acl);
    frontends.push(secure);
    const setAllowFrom = (prefixes: readonly string[]): void => {
      acl.replace(parsePrefixes(prefixes));
      warnIfOpen(options, acl, log);
    };
    return { addresses, endpoints: secure.endpoints, reloadTls: secure.reloadTls, setAllowFrom, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * An open resolver answers anyone, and is the amplifier of every reflection attack (RFC 5358):
 * say so loudly when a listener reachable from other hosts lets every address in.
 */
function warnIfOpen(options: ServerOptions, acl: Acl, log: Logger): void {
  if (!acl.allowsEveryone) return;
  const listeners = [...options.listen, ...(options.dot ?? []), ...(options.doh?.listen ?? []), ...(options.doh?.plainListen ?? [])];
  const exposed = listeners.filter((at) => !isLoopback(at.address)).map(formatListen);
  if (exposed.length === 0) return;
  log.warn('OPEN RESOLVER: allowFrom lets every address in (0.0.0.0/0 or ::/0) on listeners other hosts can reach; anyone can use this resolver, and attackers can use it to amplify floods (RFC 5358)', { listeners: exposed, allowFrom: acl.prefixes.length });
}

async function listenPair(at: ListenAddress, options: ServerOptions, pipeline: Pipeline, log: Logger, observer: Observer | undefined, acl: Acl): Promise<{ udp: { port: number; close(): Promise<void> }; tcp: TcpFrontend }> {
  for (let attempt = 1; ; attempt++) {
    // A wildcard becomes one UDP socket per local address, so replies leave from the address
    // queried (wildcard-udp.ts). TCP needs no such care: a connection's reply uses its own address.
    const listen = isWildcard(at.address) ? WildcardUdp.listen(at, pipeline, log, acl, { observer }) : UdpFrontend.listen(at, pipeline, log, observer, acl);
    const udp = await listen.catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(at, 'UDP', err);
    });
    try {
      const tcp = await TcpFrontend.listen({ ...at, port: udp.port }, pipeline, options.tcp, log, acl);
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
