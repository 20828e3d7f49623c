// Tests for serving the simulated internet on real 127.53.x.y UDP and TCP sockets.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { generateInternet } from '../sim/internet.ts';
import { decodeReply, makeQuery, show } from '../sim/probe.ts';
import { forgedReplies, serveNetwork } from '../sim/socket-host.ts';

const run = promisify(execFile);

async function hasDig(): Promise<boolean> {
  try {
    await run('dig', ['-v']);
    return true;
  } catch {
    return false;
  }
}

/** One UDP exchange from an ephemeral 127.0.0.1 port; undefined on timeout. */
function udpAsk(address: string, port: number, query: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(undefined);
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.bind(0, '127.0.0.1', () => sock.send(query, port, address));
  });
}

test('socket host: dig and node sockets over UDP and TCP reach the simulated servers', async (t) => {
  const world = generateInternet({ zones: 30 });
  const host = await serveNetwork(world.network);
  t.after(() => host.close());
  const entry = world.catalogue.find((e) => e.tags.includes('glue') && e.type === 'A' && e.rcode === 'NOERROR')!;
  const zone = entry.name.slice(entry.name.indexOf('.') + 1);
  const server = world.zones.get(zone)!.servers[0]!;

  if (await hasDig()) {
    const { stdout } = await run('dig', [`@${server.address}`, '-p', String(host.port), entry.name, 'A', '+norec', '+short', '+tries=1', '+time=2']);
    assert.deepEqual(stdout.trim().split('\n').sort(), [...entry.rdata!].sort());
    const tcp = await run('dig', [`@${server.address}`, '-p', String(host.port), entry.name, 'A', '+tcp', '+norec', '+short', '+tries=1', '+time=2']);
    assert.deepEqual(tcp.stdout.trim().split('\n').sort(), [...entry.rdata!].sort());
    // The truncating server sets TC over UDP; dig retries over TCP by itself and gets it all.
    const truncating = world.zones.get(world.special.truncating)!.servers[0]!;
    const big = await run('dig', [`@${truncating.address}`, '-p', String(host.port), `big.${world.special.truncating}`, 'TXT', '+norec', '+short', '+tries=1', '+time=2']);
    assert.equal(big.stdout.replace(/[^x]/g, '').length, 1600);
    assert.deepEqual([truncating.udp, truncating.tcp], [1, 1]);
  }

  const reply = await udpAsk(server.address, host.port, makeQuery(entry.name.toUpperCase(), 'A', { id: 4321, udpSize: 1232 }));
  assert.ok(reply, 'a UDP reply');
  const decoded = decodeReply(reply);
  assert.deepEqual([decoded.id, decoded.aa, decoded.answers.map((r) => r.data).sort()], [4321, true, [...entry.rdata!].sort()]);
  assert.ok(server.log.some((l) => l.qname === entry.name.toUpperCase() && l.protocol === 'udp'));
});

test('socket host: several length-framed queries on one TCP connection (RFC 1035 §4.2.2)', async (t) => {
  const world = generateInternet({ zones: 5 });
  const host = await serveNetwork(world.network);
  t.after(() => host.close());
  const names = ['com', 'net', 'org'];
  const conn = net.connect({ host: '127.53.0.2', port: host.port });
  t.after(() => conn.destroy());
  // All queries go in one write: framing, not packet boundaries, separates them.
  const framed = names.map((n, i) => {
    const q = makeQuery(n, 'NS', { id: i + 1 });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    return Buffer.concat([len, q]);
  });
  conn.write(Buffer.concat(framed));
  const replies = await new Promise<Buffer[]>((resolve) => {
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === names.length) resolve(out);
    });
  });
  assert.deepEqual(replies.map((r) => decodeReply(r).id), [1, 2, 3]);
  assert.deepEqual(show(decodeReply(replies[0]!).authorities), ['com NS ns1.nic.com', 'com NS ns2.nic.com']);
  assert.equal(world.network.get('127.53.0.2')!.tcp, 3);
});

test('socket host: a dead server is bound, counts the query, and never answers', async (t) => {
  const world = generateInternet({ zones: 5 });
  const host = await serveNetwork(world.network);
  t.after(() => host.close());
  const dead = world.zones.get(world.special.allDead)!.servers[0]!;
  assert.equal(await udpAsk(dead.address, host.port, makeQuery(`www.${world.special.allDead}`, 'A'), 300), undefined);
  assert.equal(dead.udp, 1);
});

test('socket host: forged replies leave from a server address and the shared port', async (t) => {
  const world = generateInternet({ zones: 5 });
  const host = await serveNetwork(world.network);
  t.after(() => host.close());
  const victim = dgram.createSocket('udp4');
  t.after(() => victim.close());
  await new Promise<void>((r) => victim.bind(0, '127.0.0.1', () => r()));
  const got: { id: number; from: string; port: number }[] = [];
  victim.on('message', (msg, rinfo) => got.push({ id: msg.readUInt16BE(0), from: rinfo.address, port: rinfo.port }));
  const datagrams = forgedReplies({ qname: 'www.example', qtype: 'A', count: 3, address: '127.66.6.6' });
  await host.sendFrom('127.53.0.1', { address: '127.0.0.1', port: victim.address().port }, datagrams);
  await assert.rejects(host.sendFrom('127.53.0.1', { address: '192.0.2.1', port: 53 }, datagrams), /127\.0\.0\.0\/8/);
  while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got, [0, 1, 2].map((id) => ({ id, from: '127.53.0.1', port: host.port })));
});
