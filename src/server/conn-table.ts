// The open connections of one stream listener (TCP, DoT, DoH), so that no client can take the
// listener away: caps per source address and per source prefix, and when the listener is full an
// idle connection is closed to make room instead of refusing the newcomer (RFC 7766 §6.2.3:
// servers close idle connections first when resources run short) — one of the source holding the
// most connections, the idlest of those, so a churning attacker evicts itself, not its victims.

import type net from 'node:net';
import { parseAddress } from '../policy/address.ts';

export interface ConnectionCaps {
  /** Open connections on the listener (handshakes included). */
  maxConnections: number;
  /** Open connections from one client address. */
  maxConnectionsPerAddress: number;
  /** Open connections from one /24 (IPv4) or /56 (IPv6): one site, one NAT pool, one attacker's block. */
  maxConnectionsPerPrefix: number;
}

/** One connection's record: it is busy while it has requests in flight. */
export class Slot {
  busy = 0;
  private deadline: NodeJS.Timeout | undefined;
  readonly socket: net.Socket;
  readonly key: string;
  readonly address: string;
  readonly prefix: string;
  private readonly table: ConnectionTable;

  constructor(socket: net.Socket, key: string, address: string, prefix: string, table: ConnectionTable) {
    this.socket = socket;
    this.key = key;
    this.address = address;
    this.prefix = prefix;
    this.table = table;
  }

  /**
   * Closes the connection unless `met()` is called within `ms`: an absolute bound (a TLS
   * handshake), which bytes trickling in do not extend as they extend Node's idle-based
   * handshakeTimeout.
   */
  deadlineIn(ms: number): void {
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.socket.destroy(), ms);
    this.socket.once('close', () => clearTimeout(this.deadline));
  }

  met(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** A whole request came in or an answer went out: this connection is the last to be evicted. */
  touch(): void {
    this.table.touch(this);
  }
}

const scratch = new Uint32Array(4);

/** The source prefix a connection counts against: /24 for IPv4, /56 for IPv6. */
export function sourcePrefix(address: string): string {
  const family = parseAddress(address, scratch);
  if (family === 4) return `4:${scratch[0]! >>> 8}`;
  if (family === 6) return `6:${scratch[0]}:${scratch[1]! >>> 8}`;
  return `?:${address}`;
}

export class ConnectionTable {
  /** In order of last useful activity (oldest first): Map keeps insertion order. */
  private readonly slots = new Map<string, Slot>();
  private readonly perAddress = new Map<string, number>();
  private readonly perPrefix = new Map<string, number>();
  /** Connections closed to make room, and newcomers turned away (source over its cap, or all busy). */
  evicted = 0;
  refused = 0;

  private readonly caps: ConnectionCaps;

  constructor(caps: ConnectionCaps) {
    this.caps = caps;
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Takes a newly accepted socket in, or closes it: its source is over a cap, or every slot is
   * busy. On a full listener the connection idle longest (nothing in flight; a half-read message
   * counts as idle) is destroyed first.
   */
  admit(socket: net.Socket): Slot | undefined {
    const address = socket.remoteAddress;
    if (address === undefined) return this.refuse(socket); // already gone: nothing to serve
    const prefix = sourcePrefix(address);
    if ((this.perAddress.get(address) ?? 0) >= this.caps.maxConnectionsPerAddress || (this.perPrefix.get(prefix) ?? 0) >= this.caps.maxConnectionsPerPrefix) {
      return this.refuse(socket);
    }
    if (this.slots.size >= this.caps.maxConnections && !this.evictIdlest()) return this.refuse(socket);
    const key = slotKey(socket);
    const slot = new Slot(socket, key, address, prefix, this);
    this.slots.set(key, slot);
    bump(this.perAddress, address, 1);
    bump(this.perPrefix, prefix, 1);
    socket.once('close', () => this.remove(slot));
    return slot;
  }

  /** The slot of a socket the listener admitted (a TLS socket finds its TCP socket's slot). */
  find(socket: net.Socket): Slot | undefined {
    return this.slots.get(slotKey(socket));
  }

  touch(slot: Slot): void {
    if (this.slots.get(slot.key) !== slot) return;
    this.slots.delete(slot.key);
    this.slots.set(slot.key, slot);
  }

  /**
   * Closes an idle connection (nothing in flight; a half-read message or a handshake counts as
   * idle): of the sources with the most open connections (address, then prefix), the one idle
   * longest. O(connections), paid only when the listener is full.
   */
  private evictIdlest(): boolean {
    let victim: Slot | undefined;
    let victimAddress = 0;
    let victimPrefix = 0;
    for (const slot of this.slots.values()) {
      if (slot.busy > 0) continue;
      const byAddress = this.perAddress.get(slot.address) ?? 0;
      const byPrefix = this.perPrefix.get(slot.prefix) ?? 0;
      // Oldest first in this order, so a strictly heavier source is needed to displace a victim.
      if (byAddress > victimAddress || (byAddress === victimAddress && byPrefix > victimPrefix)) {
        victim = slot;
        victimAddress = byAddress;
        victimPrefix = byPrefix;
      }
    }
    if (!victim) return false;
    this.remove(victim);
    victim.socket.destroy();
    this.evicted++;
    return true;
  }

  private refuse(socket: net.Socket): undefined {
    this.refused++;
    socket.destroy();
    return undefined;
  }

  private remove(slot: Slot): void {
    if (this.slots.get(slot.key) !== slot) return;
    this.slots.delete(slot.key);
    bump(this.perAddress, slot.address, -1);
    bump(this.perPrefix, slot.prefix, -1);
  }
}

/** Remote address and port name a connection for as long as it is open. */
function slotKey(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
