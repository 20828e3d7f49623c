// The real `andns serve` process exposed as on the open internet (loopback not exempt): kdig's
// DNS cookies get RFC 9018 server cookies and a cookie proves the client; an unverified UDP
// flood of one large answer gets back far fewer bytes than it sends (rate + slip).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInternet, rootHintsText, type CatalogueEntry } from '../sim/internet.ts';
import { serveNetwork, type SocketHost } from '../sim/socket-host.ts';
import { haveBinary, startServe, type ServeProcess } from './frontend-process.ts';
import { rawQuery } from '../unit/server-packets.ts';
import { simOnSockets, startAndns } from '../harness/andns-processes.ts';
import { freePort } from '../peers/ports.ts';

const run = promisify(execFile);
const internet = generateInternet({ seed: 4242, zones: 10 });
const dir = mkdtempSync(join(tmpdir(), 'andns-exposure-'));
const SECRET = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
let host: SocketHost;
let andns: ServeProcess;
let hasKdig = false;

before(async () => {
  hasKdig = await haveBinary('kdig', '--version');
  host = await serveNetwork(internet.network);
  const hints = join(dir, 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  const secretFile = join(dir, 'cookie.secret');
  writeFileSync(secretFile, `${SECRET}\n`);
  andns = await startServe(
    [
      '--listen', '127.0.0.1:0', '--root-hints', hints, '--upstream-port', String(host.port), '--allow-local-upstream', '--no-dnssec', '--log-level', 'warn',
      '--rate-limit-exempt', 'none', '--rate-limit', '5', '--rate-limit-slip', '2', '--client-qps', '0', '--cookie-secret-file', secretFile,
    ],
    1,
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

async function kdig(args: string[], timeout = 5): Promise<string> {
  const { stdout } = await run('kdig', ['+retry=0', `+timeout=${timeout}`, '+ignore', '@127.0.0.1', '-p', String(port()), ...args], { timeout: 20_000 });
  return stdout;
}

test('kdig +cookie gets an RFC 9018 server cookie; sending it back is answered in full past the rate limit', async (t) => {
  if (!hasKdig) return t.skip('kdig is not installed (apt-get install knot-dnsutils)');
  const a = find((e) => e.type === 'A' && e.rcode === 'NOERROR');
  const first = await kdig(['+cookie', a.name, 'A']);
  assert.match(first, /status: NOERROR/);
  const cookie = /COOKIE: ([0-9A-Fa-f]{16})([0-9A-Fa-f]{32})/.exec(first);
  assert.ok(cookie, `a client and a 16-byte server cookie in the reply:\n${first}`);
  assert.match(cookie[2]!, /^01000000/i, 'RFC 9018: version 1, reserved zero');
  const full = `${cookie[1]}${cookie[2]}`;
  // Well past 5 answers a second for this question from this /24: with the cookie, all in full.
  for (let i = 0; i < 12; i++) {
    const r = await kdig([`+cookie=${full}`, a.name, 'A']);
    assert.match(r, /status: NOERROR/);
    assert.doesNotMatch(r, /Flags:[^;]*\btc\b/, `answer ${i} not truncated`);
    assert.match(r, /ANSWER: [1-9]/, `answer ${i} carries the records`);
  }
  // Without a cookie the same client is limited (12 at once, 5 a second): slips (TC=1) or silence.
  const replies = await Promise.all(Array.from({ length: 12 }, () => kdig(['+nocookie', a.name, 'A'], 1).catch(() => 'timeout')));
  const limited = replies.filter((r) => r === 'timeout' || /[Ff]lags:[^;]*\btc\b/.test(r)).length;
  assert.ok(limited >= 5, `${limited} of 12 limited without a cookie`);
});

test('a COOKIE option of a bad length gets FORMERR (RFC 7873 §5.2.2)', async () => {
  const q = rawQuery({ id: 77, name: 'example.com', edns: {} });
  const option = Buffer.from('000a000a0102030405060708aabb', 'hex'); // 10 octets: neither 8 nor 16..40
  q.writeUInt16BE(option.length, q.length - 2);
  const sock = dgram.createSocket('udp4');
  const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
  sock.send(Buffer.concat([q, option]), port(), '127.0.0.1');
  const r = await reply;
  sock.close();
  assert.equal(r.readUInt16BE(0), 77);
  assert.equal(r[3]! & 0x0f, 1, 'FORMERR');
});

test('an unverified UDP flood for one large answer gets back less than 3× the bytes it sends', async () => {
  const big = find((e) => e.type === 'TXT' && e.rcode === 'NOERROR') ?? find((e) => e.type === 'A' && e.rcode === 'NOERROR');
  const query = (id: number): Buffer => rawQuery({ id, name: big.name, qtype: big.type === 'TXT' ? 16 : 1, edns: { dnssecOk: true } });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  let received = 0;
  let replies = 0;
  let truncated = 0;
  sock.on('message', (m) => {
    received += m.length;
    replies++;
    if (m[2]! & 0x02) truncated++;
  });
  // Warm the cache, then 2,000 queries in about a second.
  sock.send(query(0), port(), '127.0.0.1');
  await new Promise((r) => setTimeout(r, 500));
  received = replies = truncated = 0;
  let sent = 0;
  for (let burst = 0; burst < 20; burst++) {
    for (let i = 0; i < 100; i++) {
      const q = query(burst * 100 + i + 1);
      sent += q.length;
      sock.send(q, port(), '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  assert.ok(replies > 0, 'some answers came back');
  assert.ok(truncated > 0, 'some were slipped');
  assert.ok(received < 3 * sent, `received ${received} bytes for ${sent} sent (${(received / sent).toFixed(2)}×)`);
});

test('with --workers 2 and no secret configured, both workers accept each other\'s cookies (one secret per run)', { skip: process.platform !== 'linux' && 'SO_REUSEPORT workers are Linux-only' }, async (t) => {
  const sim = await simOnSockets(t, 6, 5);
  const andns = await startAndns(t, sim, {}, ['--workers', '2', '--listen', `127.0.0.1:${await freePort()}`, '--rate-limit-exempt', 'none', '--rate-limit', '1', '--rate-limit-slip', '1', '--client-qps', '0']);
  const name = sim.names[0]!;
  const ask = (cookie: Buffer): Promise<Buffer> => {
    const q = rawQuery({ id: 9, name, edns: {} });
    const option = Buffer.alloc(4 + cookie.length);
    option.writeUInt16BE(10, 0);
    option.writeUInt16BE(cookie.length, 2);
    cookie.copy(option, 4);
    q.writeUInt16BE(option.length, q.length - 2);
    // A new socket (source port) each time: SO_REUSEPORT spreads them over both workers.
    const sock = dgram.createSocket('udp4');
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), 5000);
      sock.once('message', (m) => {
        clearTimeout(timer);
        sock.close();
        resolve(m);
      });
      sock.send(Buffer.concat([q, option]), andns.port, '127.0.0.1');
    });
  };
  const first = await ask(Buffer.from('a1a2a3a4a5a6a7a8', 'hex'));
  const cookie = first.subarray(first.length - 24);
  assert.equal(cookie[8], 1, 'an RFC 9018 server cookie came back');
  // One answer a second is the limit; with a cookie any worker accepts, all 20 come back in full.
  const replies = await Promise.all(Array.from({ length: 20 }, () => ask(Buffer.from(cookie))));
  const full = replies.filter((r) => (r[3]! & 0x0f) === 0 && (r[2]! & 0x02) === 0 && r.readUInt16BE(6) > 0).length;
  assert.equal(full, 20, `${full} of 20 answered in full`);
  assert.equal(await andns.stop('SIGTERM'), 0);
});
