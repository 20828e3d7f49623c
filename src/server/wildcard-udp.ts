// UDP on a wildcard listen address (0.0.0.0, ::) as one socket per local address, so every reply
// leaves from the address its query was sent to. A socket bound to the wildcard replies from
// whatever source the route to the client picks (Node has no IP_PKTINFO), and on a host with
// several addresses — every anycast node — clients then drop the reply (RFC 1122 §4.1.3.5 hosts
// match replies by address). The local addresses are polled, so added and removed ones follow.

import os from 'node:os';
import type { Observer } from '../operations/observer.ts';
import type { Acl } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { UdpFrontend } from './udp.ts';

/** The local addresses of a family, as bind() takes them (IPv6 link-local with its %scope). */
export type LocalAddresses = (family: 4 | 6) => string[];

/** How often the interfaces are read again: a new address is served within this long. */
export const ADDRESS_POLL_MS = 5_000;

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** os.networkInterfaces(), loopback included (an anycast address often sits on lo). */
export const systemAddresses: LocalAddresses = (family) => {
  const out: string[] = [];
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
      // A link-local address names an interface too: bind needs its scope.
      out.push(family === 6 && a.scopeid ? `${a.address}%${name}` : a.address);
    }
  }
  return out;
};

export interface WildcardOptions {
  addresses?: LocalAddresses;
  /** The query log and dnstap (operations/observer.ts), handed to every socket. */
  observer?: Observer | undefined;
  pollMs?: number;
}

export class WildcardUdp {
  private readonly sockets = new Map<string, UdpFrontend>();
  private readonly timer: NodeJS.Timeout;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly at: ListenAddress;
  private readonly start: (address: string) => Promise<UdpFrontend>;
  private readonly addresses: LocalAddresses;
  private readonly log: Logger;
  readonly port: number;

  private constructor(at: ListenAddress, port: number, start: (address: string) => Promise<UdpFrontend>, addresses: LocalAddresses, pollMs: number, log: Logger) {
    this.at = at;
    this.start = start;
    this.addresses = addresses;
    this.log = log;
    this.port = port;
    this.timer = setInterval(() => void this.sync(), pollMs);
    this.timer.unref();
  }

  /**
   * Binds every local address of `at`'s family on `at.port` (port 0: the port the first one
   * got). With no local address at all, falls back to the wildcard itself, and says so.
   */
  static async listen(at: ListenAddress, pipeline: Pipeline, log: Logger, acl: Acl, options: WildcardOptions = {}): Promise<WildcardUdp | UdpFrontend> {
    const addresses = options.addresses ?? systemAddresses;
    const list = addresses(at.family);
    if (list.length === 0) {
      log.warn('no local address to bind; UDP replies from the wildcard socket may leave from another address', { listen: at.address });
      return UdpFrontend.listen(at, pipeline, log, options.observer, acl);
    }
    const first = await UdpFrontend.listen({ ...at, address: list[0]! }, pipeline, log, options.observer, acl);
    const start = (address: string): Promise<UdpFrontend> => UdpFrontend.listen({ ...at, address, port: first.port }, pipeline, log, options.observer, acl);
    const wildcard = new WildcardUdp(at, first.port, start, addresses, options.pollMs ?? ADDRESS_POLL_MS, log);
    wildcard.sockets.set(list[0]!, first);
    try {
      await wildcard.sync();
    } catch (err) {
      await wildcard.close();
      throw err;
    }
    return wildcard;
  }

  /** The addresses currently bound (tests, the start-up line). */
  get bound(): string[] {
    return [...this.sockets.keys()];
  }

  /** Binds addresses that appeared and closes the sockets of those that went. One at a time. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow());
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.closed) return;
    const wanted = new Set(this.addresses(this.at.family));
    for (const [address, socket] of this.sockets) {
      if (wanted.has(address)) continue;
      this.sockets.delete(address);
      this.log.info('local address gone; its UDP socket closes', { address, port: this.port });
      await socket.close();
    }
    for (const address of wanted) {
      if (this.sockets.has(address) || this.closed) continue;
      try {
        this.sockets.set(address, await this.start(address));
        this.log.info('local address appeared; serving UDP on it', { address, port: this.port });
      } catch (err) {
        // E.g. an IPv6 address still in duplicate address detection: the next poll tries again.
        this.log.warn('cannot bind a local address; trying again at the next poll', { address, port: this.port, err: (err as NodeJS.ErrnoException).code ?? String(err) });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.sockets.values()].map((s) => s.close()));
    this.sockets.clear();
  }
}
