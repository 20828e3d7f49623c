// A wildcard UDP listen serves from one socket per local address, so each reply leaves from
// the address its query went to, and follows addresses that come and go. Real sockets on
// 127.0.0.0/8; only the list of local addresses is handed in, so a test can change it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Acl, DEFAULT_ALLOW_FROM } from '../../src/policy/acl.ts';
import { defaultTcpOptions } from '../../src/server/options.ts';
import { startServer } from '../../src/server/server.ts';
import { UdpFrontend } from '../../src/server/udp.ts';
import { systemAddresses, WildcardUdp } from '../../src/server/wildcard-udp.ts';
import { silentLogger } from '../../src/util/log.ts';
import { fakePipeline, query } from './doh-fixture.ts';

const { pipeline } = fakePipeline();
const acl = Acl.from(DEFAULT_ALLOW_FROM);

/** Sends a query to `to:port`; resolves with the address the reply came from, or undefined after 1 s. */
async function replyFrom(to: string, port: number): Promise<string | undefined> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.bind({ address: '127.0.0.1', port: 0 }, r));
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1_000);
      socket.once('message', (_m, rinfo) => {
        clearTimeout(timer);
        resolve(rinfo.address);
      });
      socket.send(query('www.test'), port, to);
    });
  } finally {
    socket.close();
  }
}

test('the bug this fixes: a socket bound to 0.0.0.0 answers a query to 127.0.0.2 from 127.0.0.1', async (t) => {
  const plain = await UdpFrontend.listen({ address: '0.0.0.0', port: 0, family: 4 }, pipeline, silentLogger, undefined, acl);
  t.after(() => plain.close());
  assert.equal(await replyFrom('127.0.0.2', plain.port), '127.0.0.1');
});

test('wildcard UDP: each reply leaves from the address queried; added and removed addresses are followed', async (t) => {
  let local = ['127.0.0.1', '127.0.0.2'];
  const udp = await WildcardUdp.listen({ address: '0.0.0.0', port: 0, family: 4 }, pipeline, silentLogger, acl, { addresses: () => local, pollMs: 60_000 });
  assert.ok(udp instanceof WildcardUdp);
  t.after(() => udp.close());
  assert.deepEqual(udp.bound.sort(), ['127.0.0.1', '127.0.0.2']);
  assert.equal(await replyFrom('127.0.0.2', udp.port), '127.0.0.2');
  assert.equal(await replyFrom('127.0.0.1', udp.port), '127.0.0.1');
  local = ['127.0.0.1', '127.0.0.3'];
  await udp.sync(); // what the poll does every ADDRESS_POLL_MS
  assert.deepEqual(udp.bound.sort(), ['127.0.0.1', '127.0.0.3']);
  assert.equal(await replyFrom('127.0.0.3', udp.port), '127.0.0.3');
  assert.equal(await replyFrom('127.0.0.2', udp.port), undefined, 'a removed address is no longer served');
});

test('serve on 0.0.0.0 binds the host\'s IPv4 addresses on one port, UDP from 127.0.0.1 answered from it', async (t) => {
  const server = await startServer({ listen: [{ address: '0.0.0.0', port: 0, family: 4 }], tcp: defaultTcpOptions }, pipeline, silentLogger);
  t.after(() => server.close());
  assert.ok(systemAddresses(4).includes('127.0.0.1'));
  assert.equal(await replyFrom('127.0.0.1', server.addresses[0]!.port), '127.0.0.1');
});
