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
