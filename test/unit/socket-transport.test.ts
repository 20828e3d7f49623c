// The socket upstream transport turns socket failures into ExchangeError values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketTransport } from '../../src/net/socket-transport.ts';
import { ExchangeError } from '../../src/resolver/upstream.ts';

test('an address the kernel cannot connect to is a network error, not a crash', async () => {
  const transport = new SocketTransport();
  // A link-local IPv6 address without a scope: connect() fails with EINVAL before any packet
  // leaves, the same path as "no route to host" on a machine without IPv6.
  await assert.rejects(
    transport.exchange({ address: 'fe80::1', port: 53, query: Buffer.alloc(20), protocol: 'udp', timeoutMs: 500 }),
    (err: unknown) => err instanceof ExchangeError && err.kind === 'network',
  );
});

test('upstream TCP: past maxTcp connections open at once, an exchange fails at once with tcp-limit, and a slot frees on completion', async () => {
  const net = await import('node:net');
  // A server that accepts and never answers: each exchange holds its connection until it times out.
  const held = new Set<import('node:net').Socket>();
  const server = net.createServer((s) => {
    held.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const transport = new SocketTransport({ maxTcp: 2 });
  const query = Buffer.from('abcd01000001000000000000' + '0377777707657861' + '6d706c6500' + '00010001', 'hex');
  const ask = (timeoutMs: number) => transport.exchange({ address: '127.0.0.1', port, query, protocol: 'tcp', timeoutMs });
  try {
    const first = ask(300);
    const second = ask(5000);
    assert.equal(transport.tcpConnections, 2);
    await assert.rejects(ask(5000), (err: unknown) => err instanceof ExchangeError && err.kind === 'tcp-limit');
    await assert.rejects(first, (err: unknown) => err instanceof ExchangeError && err.kind === 'timeout');
    assert.equal(transport.tcpConnections, 1, 'the timed-out exchange gave its slot back');
    const third = ask(5000);
    assert.equal(transport.tcpConnections, 2);
    transport.close();
    await Promise.allSettled([second, third]);
    assert.equal(transport.tcpConnections, 0);
  } finally {
    for (const s of held) s.destroy();
    server.close();
  }
});
