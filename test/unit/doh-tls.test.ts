// TLS for DoH and DoT: ALPN, the TLS 1.2 floor, certificate reload (on demand and on file
// change) without a restart, DoT framing with padded replies, and a graceful close that drains.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import tls from 'node:tls';
import dnsPacket from 'dns-packet';
import { Client } from 'undici';
import { listenDot } from '../../src/server/dot.ts';
import { defaultTcpOptions } from '../../src/server/options.ts';
import { TlsCredentials } from '../../src/server/tls.ts';
import { silentLogger } from '../../src/util/log.ts';
import { fakePipeline, makeCert, query, startDoh, type Cert } from './doh-fixture.ts';

const { pipeline, asked } = fakePipeline();

/** The certificate a fresh TLS connection is shown, as PEM-comparable DER, and the ALPN chosen. */
async function handshake(port: number, options: tls.ConnectionOptions = {}): Promise<{ der: Buffer; alpn: string | false }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return { der: socket.getPeerX509Certificate()!.raw, alpn: socket.alpnProtocol ?? false };
  } finally {
    socket.destroy();
  }
}

const derOf = (cert: Cert): Buffer => new X509Certificate(cert.pem).raw;

test('DoH over TLS offers h2 and http/1.1 by ALPN and refuses TLS below 1.2', async (t) => {
  const cert = makeCert();
  if (!cert) return t.skip('openssl is not installed');
  const { listener } = await startDoh(pipeline, {}, cert);
  t.after(() => listener.close());
  assert.equal((await handshake(listener.port, { ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2');
  assert.equal((await handshake(listener.port, { ALPNProtocols: ['http/1.1'] })).alpn, 'http/1.1');
  await assert.rejects(handshake(listener.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
});

test('a renewed certificate is served without a restart: on reload(), and when the files change', async (t) => {
  const first = makeCert();
  if (!first) return t.skip('openssl is not installed');
  const second = makeCert(first.dir, 'second')!;
  const live = makeCert(first.dir, 'live')!;
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const { listener, credentials } = await startDoh(pipeline, {}, live);
  t.after(() => listener.close());
  assert.deepEqual((await handshake(listener.port)).der, derOf(first));

  // The certificate alone replaced: it no longer matches the key, so the old pair stays.
  copyFileSync(second.cert, live.cert);
  assert.equal(credentials!.reload(), false);
  assert.deepEqual((await handshake(listener.port)).der, derOf(first));

  copyFileSync(second.key, live.key);
  assert.equal(credentials!.reload(), true);
  assert.deepEqual((await handshake(listener.port)).der, derOf(second));

  // Watching: put the first pair back and wait for the poll to notice (mtime changes).
  credentials!.watch(50);
  t.after(() => credentials!.close());
  await new Promise((r) => setTimeout(r, 20));
  copyFileSync(first.key, live.key);
  copyFileSync(first.cert, live.cert);
  let der: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 60 && !der.equals(derOf(first)); i++) {
    await new Promise((r) => setTimeout(r, 50));
    der = (await handshake(listener.port)).der;
  }
  assert.deepEqual(der, derOf(first));
});

test('DoT: length-framed queries over TLS, pipelined, replies padded to 468 bytes, ALPN dot', async (t) => {
  const cert = makeCert();
  if (!cert) return t.skip('openssl is not installed');
  const credentials = TlsCredentials.load({ cert: cert.cert, key: cert.key }, silentLogger);
  const dot = await listenDot({ address: '127.0.0.1', port: 0, family: 4 }, pipeline, defaultTcpOptions, credentials, silentLogger);
  t.after(() => dot.close());
  assert.equal((await handshake(dot.frontend.port, { ALPNProtocols: ['dot'] })).alpn, 'dot');
  const socket = tls.connect({ host: '127.0.0.1', port: dot.frontend.port, ca: cert.pem, servername: 'localhost' });
  t.after(() => socket.destroy());
  const frames = [query('slow.test', 'A', { id: 1 }), query('www.test', 'A', { id: 2 }), query('nx.test', 'A', { id: 3, edns: false })];
  socket.write(Buffer.concat(frames.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]))));
  const replies: Buffer[] = [];
  let pending = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length === 3) resolve();
    });
  });
  assert.deepEqual(replies.map((r) => r.readUInt16BE(0)), [2, 3, 1], 'answered as resolved: the slow one last (RFC 7766 §6.2.1.1)');
  assert.equal(replies[0]!.length % 468, 0, 'padded (RFC 8467 §4.1)');
  assert.equal(replies[2]!.length % 468, 0);
  assert.notEqual(replies[1]!.length % 468, 0, 'a query without EDNS gets no OPT, so no padding');
  assert.equal(dnsPacket.decode(replies[0]!).answers!.length, 2);
});

test('close() lets HTTP/2 and HTTP/1.1 requests in flight finish, then resolves', async () => {
  const { listener, origin } = await startDoh(pipeline);
  const h2 = new Client(origin, { allowH2: true, h2Options: { useH2c: true } });
  const h1 = new Client(origin);
  const ask = (c: Client) => c.request({ path: `/dns-query?dns=${query('slow.test').toString('base64url')}`, method: 'GET' });
  const before = asked.length;
  const inFlight = [ask(h2), ask(h1)];
  // Both requests are being resolved (not merely sent: a loaded machine may not have read them yet).
  while (asked.slice(before).filter((q) => q.qname === 'slow.test').length < 2) await new Promise((r) => setTimeout(r, 10));
  const closed = listener.close();
  const responses = await Promise.all(inFlight);
  assert.deepEqual(responses.map((r) => r.statusCode), [200, 200]);
  await Promise.all(responses.map((r) => r.body.dump()));
  await closed;
  await Promise.all([h2.close(), h1.close()]);
});
