// Front-ends over real loopback sockets with a resolver double: UDP, TCP framing (RFC 7766),
// out-of-order answers, idle timeout, connection and in-flight caps, graceful close.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { defaultTcpOptions, type TcpOptions } from '../../src/server/options.ts';
import { silentLogger } from '../../src/util/log.ts';
import { rawQuery, readReply } from './server-packets.ts';

/** Names like `wait-150.test` resolve after 150 ms; `hold.test` waits until released. */
function delayedResolver() {
  const held: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const resolve = async (q: ClientQuestion): Promise<Resolution> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const wait = /^wait-(\d+)\./.exec(q.qname);
      if (wait) await new Promise((r) => setTimeout(r, Number(wait[1])));
      if (q.qname === 'hold.test') await new Promise<void>((r) => held.push(r));
      return { kind: 'answer', answer: [{ name: q.qname, type: 'A', class: 'IN', ttl: 60, data: '192.0.2.7' }], authority: [] };
    } finally {
      inFlight--;
    }
  };
  return { resolve, release: () => held.splice(0).forEach((r) => r()), held, get maxInFlight() { return maxInFlight; } };
}

async function serve(tcp: Partial<TcpOptions> = {}) {
  const resolver = delayedResolver();
  const pipeline = createPipeline({ resolve: resolver.resolve, log: silentLogger });
  const server = await startServer(
    { listen: [{ address: '127.0.0.1', port: 0, family: 4 }], tcp: { ...defaultTcpOptions, ...tcp } },
    pipeline,
    silentLogger,
  );
  return { server, resolver, port: server.addresses[0]!.port };
}

/** A TCP client that collects length-framed replies. */
async function tcpClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const replies: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
    }
    waiters.splice(0).forEach((w) => w());
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  return {
    socket,
    replies,
    closed,
    send: (...messages: Buffer[]) => socket.write(Buffer.concat(messages.map(frame))),
    async waitFor(count: number): Promise<void> {
      while (replies.length < count) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

function frame(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}

async function udpAsk(port: number, message: Buffer): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  try {
    sock.send(message, port, '127.0.0.1');
    const [reply] = (await once(sock, 'message')) as [Buffer];
    return reply;
  } finally {
    sock.close();
  }
}

function closeAfter(t: { after(fn: () => Promise<void>): void }, server: RunningServer): void {
  t.after(() => server.close());
}

test('UDP and TCP listen on the same port and answer', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const udp = readReply(await udpAsk(port, rawQuery({ id: 11, name: 'a.test' })));
  assert.equal(udp.id, 11);
  assert.equal(udp.ancount, 1);
  const client = await tcpClient(port);
  client.send(rawQuery({ id: 12, name: 'a.test' }));
  await client.waitFor(1);
  assert.equal(readReply(client.replies[0]!).id, 12);
  client.socket.destroy();
});

test('TCP: pipelined queries on one connection are answered as they complete, out of order', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const client = await tcpClient(port);
  client.send(rawQuery({ id: 1, name: 'wait-200.test' }), rawQuery({ id: 2, name: 'wait-100.test' }), rawQuery({ id: 3, name: 'now.test' }));
  await client.waitFor(3);
  assert.deepEqual(client.replies.map((r) => readReply(r).id), [3, 2, 1]);
  client.socket.destroy();
});

test('TCP: a frame split across writes is reassembled', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const client = await tcpClient(port);
  const bytes = frame(rawQuery({ id: 5, name: 'split.test' }));
  client.socket.write(bytes.subarray(0, 1));
  await new Promise((r) => setTimeout(r, 20));
  client.socket.write(bytes.subarray(1, 9));
  await new Promise((r) => setTimeout(r, 20));
  client.socket.write(bytes.subarray(9));
  await client.waitFor(1);
  assert.equal(readReply(client.replies[0]!).id, 5);
  client.socket.destroy();
});

test('TCP: an idle connection is closed after the idle timeout, a busy one is not', async (t) => {
  const { server, port } = await serve({ idleTimeoutMs: 150 });
  closeAfter(t, server);
  const idle = await tcpClient(port);
  const started = Date.now();
  await idle.closed;
  assert.ok(Date.now() - started >= 100, 'not closed before the timeout');
  const busy = await tcpClient(port);
  busy.send(rawQuery({ id: 1, name: 'wait-400.test' }));
  await busy.waitFor(1);
  assert.equal(readReply(busy.replies[0]!).id, 1, 'a query longer than the idle timeout is still answered');
  await busy.closed;
});

test('TCP: a full listener closes its idlest connection for a newcomer; with every one busy, the newcomer', async (t) => {
  const { server, port, resolver } = await serve({ maxConnections: 2 });
  closeAfter(t, server);
  const first = await tcpClient(port);
  first.send(rawQuery({ id: 1, name: 'hold.test' })); // busy until released
  while (resolver.held.length < 1) await new Promise((r) => setTimeout(r, 5));
  const second = await tcpClient(port); // idle
  const third = await tcpClient(port);
  await second.closed; // the idlest made room (RFC 7766 §6.2.3)
  third.send(rawQuery({ id: 3, name: 'hold.test' }));
  while (resolver.held.length < 2) await new Promise((r) => setTimeout(r, 5));
  const fourth = await tcpClient(port);
  await fourth.closed; // both are busy: nothing to evict
  resolver.release();
  await first.waitFor(1);
  await third.waitFor(1);
  assert.deepEqual([readReply(first.replies[0]!).id, readReply(third.replies[0]!).id], [1, 3]);
  first.socket.destroy();
  third.socket.destroy();
});

test('TCP: in-flight queries per connection are capped; the rest wait and are answered', async (t) => {
  const { server, port, resolver } = await serve({ maxInFlightPerConnection: 2 });
  closeAfter(t, server);
  const client = await tcpClient(port);
  client.send(...[1, 2, 3, 4, 5].map((id) => rawQuery({ id, name: 'wait-50.test' })));
  await client.waitFor(5);
  assert.equal(resolver.maxInFlight, 2);
  client.socket.destroy();
});

test('TCP: malformed framing (a length too short for a header) closes the connection', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const client = await tcpClient(port);
  client.socket.write(Buffer.from([0, 3, 1, 2, 3]));
  await client.closed;
  // The server is still fine.
  assert.equal(readReply(await udpAsk(port, rawQuery({ id: 8, name: 'after.test' }))).id, 8);
});

test('TCP: a client that half-closes after its queries still gets its answers', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const client = await tcpClient(port);
  client.send(rawQuery({ id: 21, name: 'wait-50.test' }));
  client.socket.end();
  await client.waitFor(1);
  assert.equal(readReply(client.replies[0]!).id, 21);
  await client.closed;
});

test('UDP: garbage and responses are ignored and the socket keeps serving', async (t) => {
  const { server, port } = await serve();
  closeAfter(t, server);
  const sock = dgram.createSocket('udp4');
  for (const junk of [Buffer.alloc(0), Buffer.from('hello'), rawQuery({ flags: 0x8000 }), Buffer.alloc(600, 0xff)]) {
    sock.send(junk, port, '127.0.0.1');
  }
  sock.close();
  assert.equal(readReply(await udpAsk(port, rawQuery({ id: 99, name: 'still.test' }))).id, 99);
});

test('close() stops accepting, answers what is in flight on UDP and TCP, then resolves', async () => {
  const { server, port, resolver } = await serve();
  const client = await tcpClient(port);
  client.send(rawQuery({ id: 31, name: 'hold.test' }));
  const udpReply = udpAsk(port, rawQuery({ id: 32, name: 'hold.test' }));
  while (resolver.held.length < 2) await new Promise((r) => setTimeout(r, 5));
  let closed = false;
  const closing = server.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(closed, false, 'close waits for in-flight queries');
  await assert.rejects(tcpClient(port), 'no new connections while draining');
  resolver.release();
  await closing;
  await client.waitFor(1);
  assert.equal(readReply(client.replies[0]!).id, 31);
  assert.equal(readReply(await udpReply).id, 32);
  await client.closed;
});
