// UDP garbage flood from one source: random datagrams (some with a plausible header) as fast as
// one socket can send them, bounded by a packet count and a duration.

import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { AttackReport, AttackSpec } from '../spec.ts';
import { connectedUdp, pump } from './pump.ts';

export async function udpGarbage(s: Extract<AttackSpec, { kind: 'udp-garbage' }>): Promise<AttackReport> {
  const pool: Buffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const b = randomBytes(1 + (i % 300));
    // Half look like queries at a glance (QR=0, QDCOUNT=1): they pass a cheap header check.
    if (i % 2 === 0 && b.length >= 12) {
      b[2] = b[2]! & 0x7f;
      b.writeUInt16BE(1, 4);
    }
    pool.push(b);
  }
  const socket: dgram.Socket = await connectedUdp(s);
  let received = 0;
  socket.on('message', () => received++);
  const sent = await pump(s.durationS, s.maxPackets, Infinity, (k) => socket.send(pool[k & 1023]!));
  await new Promise((r) => setTimeout(r, 200));
  socket.close();
  return { sent, received, counters: {} };
}
