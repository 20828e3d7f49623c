// Serves a SimNetwork on real UDP and TCP sockets, one 127.x address per server, one shared port.

import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { SimNetwork, SimServer } from './server.ts';

export interface SocketHost {
  port: number;
  /** Sends raw datagrams from a server's address and the shared port: spoofing tests. */
  sendFrom(serverAddress: string, to: { address: string; port: number }, datagrams: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

export interface SocketHostOptions {
  /** A fixed port; otherwise random high ports are tried until one binds on every address. */
  port?: number;
  attempts?: number;
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** RFC 7766 §6.2.3: close idle connections; generous so that tests never race it. */
const TCP_IDLE_MS = 30_000;

interface Bound {
  udp: dgram.Socket;
  tcp: net.Server;
}

function later(ms: number | undefined, fn: () => void): void {
  if (ms && ms > 0) setTimeout(fn, ms).unref();
  else fn();
}

function bindUdp(server: SimServer, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: 'udp4' });
    sock.once('error', reject);
    sock.on('message', (msg, rinfo) => {
      const reply = server.handle(msg, 'udp');
      if (!reply) return;
      later(server.faults.delayMs, () => sock.send(reply, rinfo.port, rinfo.address, () => {}));
    });
    sock.bind({ address: server.address, port, exclusive: true }, () => {
      sock.off('error', reject);
      sock.on('error', () => {}); // e.g. ICMP port unreachable surfacing late: not our problem
      resolve(sock);
    });
  });
}

/** RFC 1035 §4.2.2: each message is preceded by a two-octet length; many per connection. */
function serveTcpConnection(server: SimServer, conn: net.Socket, open: Set<net.Socket>): void {
  open.add(conn);
  conn.setTimeout(TCP_IDLE_MS, () => conn.end());
  conn.on('close', () => open.delete(conn));
  conn.on('error', () => {});
  let pending = Buffer.alloc(0);
  conn.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const frame = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + frame.length);
      const reply = server.handle(Buffer.from(frame), 'tcp');
      if (!reply) continue;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      later(server.faults.delayMs, () => {
        if (!conn.destroyed) conn.write(Buffer.concat([len, reply]));
      });
    }
  });
}

function bindTcp(server: SimServer, port: number, open: Set<net.Socket>): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((conn) => serveTcpConnection(server, conn, open));
    srv.once('error', reject);
    srv.listen({ host: server.address, port, exclusive: true }, () => {
      srv.off('error', reject);
      resolve(srv);
    });
  });
}

async function closeAll(bound: Bound[], open: Set<net.Socket>): Promise<void> {
  for (const c of open) c.destroy();
  await Promise.all(
    bound.flatMap((b) => [
      new Promise<void>((r) => b.udp.close(() => r())),
      new Promise<void>((r) => b.tcp.close(() => r())),
    ]),
  );
}

/** Binds every server on one port; rejects if any address refuses it (the caller retries). */
async function bindAll(servers: SimServer[], port: number, open: Set<net.Socket>): Promise<Bound[]> {
  const results = await Promise.allSettled(
    servers.map(async (s) => {
      const udp = await bindUdp(s, port);
      try {
        return { udp, tcp: await bindTcp(s, port, open) };
      } catch (err) {
        udp.close();
        throw err;
      }
    }),
  );
  const bound = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await closeAll(bound, open);
    throw failed.reason;
  }
  return bound;
}

/**
 * Serves every server of the network at its own address on one shared port (a resolver has
 * one global upstream port). Dead servers are bound too: they receive and count, never answer.
 */
export async function serveNetwork(network: SimNetwork, options: SocketHostOptions = {}): Promise<SocketHost> {
  const servers = network.servers();
  const open = new Set<net.Socket>();
  const attempts = options.port ? 1 : (options.attempts ?? 20);
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = options.port ?? 20000 + Math.floor(Math.random() * 40000);
    let bound: Bound[];
    try {
      bound = await bindAll(servers, port, open);
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EACCES') continue;
      throw err;
    }
    const byAddress = new Map(servers.map((s, k) => [s.address, bound[k]!]));
    return {
      port,
      close: () => closeAll(bound, open),
      async sendFrom(serverAddress, to, datagrams) {
        const b = byAddress.get(serverAddress);
        if (!b) throw new Error(`no server bound at ${serverAddress}`);
        if (!LOOPBACK.test(to.address)) throw new Error(`refusing to send outside 127.0.0.0/8: ${to.address}`);
        for (const d of datagrams) {
          await new Promise<void>((resolve, reject) => b.udp.send(d, to.port, to.address, (err) => (err ? reject(err) : resolve())));
        }
      },
    };
  }
  throw new Error(`no free port bound on all ${servers.length} addresses after ${attempts} attempts: ${String(lastError)}`);
}

export interface ForgeOptions {
  qname: string;
  qtype: string;
  count: number;
  /** Address the forged A records point to. */
  address: string;
  /** IDs to try; by default 0, 1, 2 … count-1 (a blind off-path guesser, RFC 5452 §4). */
  ids?: number[];
}

/** Forged replies with the right question and guessed IDs, for Kaminsky-style spoofing tests. */
export function forgedReplies(o: ForgeOptions): Buffer[] {
  return Array.from({ length: o.count }, (_, i) =>
    dnsPacket.encode({
      type: 'response',
      id: o.ids?.[i] ?? i,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: [{ name: o.qname, type: o.qtype as 'A', class: 'IN' }],
      answers: [{ name: o.qname, type: 'A', class: 'IN', ttl: 86400, data: o.address }],
    }),
  );
}
