// The real `andns serve` process on the simulated internet, queried with dig and kdig over UDP and
// TCP, IPv4 and IPv6; garbage input; SERVFAIL with RA and an EDE; SIGTERM drains and exits 0.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInternet, rootHintsText, type CatalogueEntry } from '../sim/internet.ts';
import { serveNetwork, type SocketHost } from '../sim/socket-host.ts';
import { dig, haveBinary, startServe, type ServeProcess } from './frontend-process.ts';

const internet = generateInternet({ seed: 2026, zones: 20 });
const dir = mkdtempSync(join(tmpdir(), 'andns-frontend-'));
let host: SocketHost;
let andns: ServeProcess;
let ipv6 = false;
let hasDig = false;
let hasKdig = false;

async function ipv6Loopback(): Promise<boolean> {
  const sock = dgram.createSocket('udp6');
  try {
    sock.bind(0, '::1');
    await once(sock, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    sock.close();
  }
}

before(async () => {
  hasDig = await haveBinary('dig', '-v');
  hasKdig = await haveBinary('kdig', '--version');
  ipv6 = await ipv6Loopback();
  host = await serveNetwork(internet.network);
  const hints = join(dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  const listen = ['--listen', '127.0.0.1:0', ...(ipv6 ? ['--listen', '[::1]:0'] : [])];
  andns = await startServe(
    [...listen, '--root-hints', hints, '--upstream-port', String(host.port), '--allow-local-upstream', '--no-dnssec', '--log-level', 'warn'],
    ipv6 ? 2 : 1,
  );
});

after(async () => {
  await andns?.stop();
  await host?.close();
});

const port = (): number => andns.ports.get('127.0.0.1')!;
const find = (pred: (e: CatalogueEntry) => boolean): CatalogueEntry => {
  const entry = internet.catalogue.find(pred);
  assert.ok(entry, 'the simulated internet has such a name');
  return entry;
};
const sorted = (list: string[]): string[] => [...list].sort();
const noDot = (s: string): string => s.replace(/\.$/, '').replace(/\.(\s)/g, '$1');

test('dig over UDP gets the simulated internet\'s answers, with RA set', async (t) => {
  if (!hasDig) return t.skip('dig is not installed (apt-get install bind9-dnsutils)');
  const a = find((e) => e.type === 'A' && e.rcode === 'NOERROR' && e.tags.includes('glueless'));
  const r = await dig('dig', ['@127.0.0.1', '-p', String(port()), a.name, 'A']);
  assert.equal(r.status, 'NOERROR');
  assert.ok(r.flags.includes('ra') && r.flags.includes('rd') && r.flags.includes('qr'));
  assert.deepEqual(sorted(r.answer.slice(-a.rdata!.length)), sorted(a.rdata!));
  const nx = find((e) => e.rcode === 'NXDOMAIN');
  assert.equal((await dig('dig', ['@127.0.0.1', '-p', String(port()), nx.name, nx.type])).status, 'NXDOMAIN');
  const mx = find((e) => e.type === 'MX' && e.rcode === 'NOERROR');
  const m = await dig('dig', ['@127.0.0.1', '-p', String(port()), mx.name, 'MX']);
  assert.deepEqual(sorted(m.answer.map(noDot)), sorted(mx.rdata!));
});

test('kdig over TCP, and a CNAME chain followed', async (t) => {
  if (!hasKdig) return t.skip('kdig is not installed (apt-get install knot-dnsutils)');
  const chain = find((e) => e.tags.includes('cname') && e.rcode === 'NOERROR' && e.type === 'A');
  const r = await dig('kdig', ['@127.0.0.1', '-p', String(port()), '+tcp', chain.name, 'A']);
  assert.equal(r.status, 'NOERROR');
  assert.ok(r.flags.includes('ra'));
  assert.deepEqual(sorted(r.answer.slice(-chain.rdata!.length)), sorted(chain.rdata!));
});

test('the question comes back in the client\'s own case (0x20), over UDP and TCP', async (t) => {
  if (!hasDig) return t.skip('dig is not installed (apt-get install bind9-dnsutils)');
  const a = find((e) => e.type === 'A' && e.rcode === 'NOERROR');
  const mixed = [...a.name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
  for (const transport of ['+notcp', '+tcp']) {
    const r = await dig('dig', ['@127.0.0.1', '-p', String(port()), transport, mixed, 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.ok(r.question.startsWith(`;${mixed}.`), `question echoed as sent: ${r.question}`);
  }
});

test('IPv6 listen address answers over UDP and TCP', async (t) => {
  if (!ipv6) return t.skip('no IPv6 loopback on this machine');
  if (!hasKdig) return t.skip('kdig is not installed (apt-get install knot-dnsutils)');
  const a = find((e) => e.type === 'AAAA' && e.rcode === 'NOERROR');
  const p = String(andns.ports.get('::1'));
  for (const transport of ['+notcp', '+tcp']) {
    const r = await dig('kdig', ['@::1', '-p', p, transport, a.name, 'AAAA']);
    assert.equal(r.status, 'NOERROR');
    assert.deepEqual(sorted(r.answer.slice(-a.rdata!.length)), sorted(a.rdata!));
  }
});

test('an unresolvable name is a well-formed SERVFAIL with RA and an Extended DNS Error', async (t) => {
  if (!hasDig) return t.skip('dig is not installed (apt-get install bind9-dnsutils)');
  const r = await dig('dig', ['@127.0.0.1', '-p', String(port()), `www.${internet.special.nsLoop[0]}`, 'A']);
  assert.equal(r.status, 'SERVFAIL');
  assert.ok(r.flags.includes('ra') && r.flags.includes('qr'));
  assert.ok(r.ede, `dig shows an EDE:\n${r.raw}`);
});

test('class CH and zone transfers are REFUSED; EDNS version 1 gets BADVERS', async (t) => {
  if (!hasDig) return t.skip('dig is not installed (apt-get install bind9-dnsutils)');
  const ch = await dig('dig', ['@127.0.0.1', '-p', String(port()), 'version.bind', 'CH', 'TXT']);
  assert.equal(ch.status, 'REFUSED');
  assert.match(ch.ede ?? '', /^21 /);
  // dig and kdig report a failed transfer in words of their own, so ask over raw TCP.
  const axfr = dnsPacket.encode({ id: 7, type: 'query', questions: [{ name: 'example.com', type: 'AXFR', class: 'IN' }] });
  const conn = net.connect({ host: '127.0.0.1', port: port() });
  await once(conn, 'connect');
  conn.write(Buffer.concat([Buffer.from([0, axfr.length]), axfr]));
  const [reply] = (await once(conn, 'data')) as [Buffer];
  conn.destroy();
  assert.equal(reply.readUInt16BE(2), 0x0007, 'framed reply to ID 7');
  assert.equal(reply[5]! & 0x0f, 5, 'REFUSED');
  const v1 = await dig('dig', ['@127.0.0.1', '-p', String(port()), '+edns=1', '+noednsnegotiation', 'example.com']);
  assert.equal(v1.status, 'BADVERS');
});

test('garbage over UDP and TCP does not hurt the process', async (t) => {
  const udp = dgram.createSocket('udp4');
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: i % 80 }, (_, j) => (i * 31 + j * 17) & 0xff));
    udp.send(junk, port(), '127.0.0.1');
  }
  udp.close();
  const tcp = net.connect({ host: '127.0.0.1', port: port() });
  await once(tcp, 'connect');
  tcp.on('error', () => {});
  tcp.write(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5, 0xff, 0xff]));
  await once(tcp, 'close');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(andns.child.exitCode, null, 'andns is still running');
  if (!hasDig) return t.skip('dig is not installed: only survival checked');
  const a = find((e) => e.type === 'A' && e.rcode === 'NOERROR');
  assert.equal((await dig('dig', ['@127.0.0.1', '-p', String(port()), a.name])).status, 'NOERROR');
});

test('SIGTERM while a query is in flight: the query is answered, then andns exits 0', async () => {
  // A "root server" that never answers keeps the query in flight until the resolver gives up.
  const silent = dgram.createSocket('udp4');
  silent.bind(0, '127.0.0.1');
  await once(silent, 'listening');
  const hints = join(dir, 'silent.hints');
  writeFileSync(hints, '. 3600000 NS a.root.test.\na.root.test. 3600000 A 127.0.0.1\n');
  const config = join(dir, 'short.json');
  writeFileSync(config, JSON.stringify({ allowLocalUpstream: true, limits: { upstreamTimeoutMs: 300, maxQueryTimeMs: 1500 }, logLevel: 'warn' }));
  const proc = await startServe(['--config', config, '--listen', '127.0.0.1:0', '--root-hints', hints, '--upstream-port', String(silent.address().port)], 1);
  try {
    const client = dgram.createSocket('udp4');
    const query = dnsPacket.encode({ id: 0xabcd, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'www.test', type: 'A', class: 'IN' }] });
    client.send(query, proc.ports.get('127.0.0.1')!, '127.0.0.1');
    const reply = once(client, 'message');
    await once(silent, 'message'); // the resolver is now waiting upstream
    const exit = proc.stop();
    const [msg] = (await reply) as [Buffer];
    client.close();
    assert.equal(msg.readUInt16BE(0), 0xabcd);
    assert.equal(msg[3]! & 0x0f, 2, 'SERVFAIL');
    assert.equal(msg[3]! & 0x80, 0x80, 'RA set');
    assert.equal(await exit, 0);
  } finally {
    silent.close();
    await proc.stop();
  }
});

test('SIGTERM exits 0', async () => {
  assert.equal(await andns.stop(), 0, andns.stderr());
});
