// Free loopback ports and waiting for a DNS server to answer, for tests that start processes.

import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** A port free for both UDP and TCP on 127.0.0.1 (bound and released: small race, retried by callers). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => {
        const udp = dgram.createSocket('udp4');
        udp.once('error', () => srv.close(() => resolve(false)));
        udp.bind(port, '127.0.0.1', () => udp.close(() => srv.close(() => resolve(true))));
      });
    });
    if (ok) return port;
  }
  throw new Error('no free port found');
}

/** Resolves once a UDP DNS query for ". NS" with RD=0 gets any reply. */
export async function waitForDns(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: '.', type: 'NS' }] });
  while (Date.now() < deadline) {
    const answered = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => (s.close(), resolve(false)), 200);
      s.on('message', () => (clearTimeout(t), s.close(), resolve(true)));
      s.on('error', () => (clearTimeout(t), s.close(), resolve(false)));
      s.send(query, port, address);
    });
    if (answered) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no DNS answer from ${address}:${port} within ${timeoutMs} ms`);
}
