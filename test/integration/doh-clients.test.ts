// Real clients against the real `andns serve` on the simulated internet: curl --doh-url fetches a
// page by a name only andns can resolve; kdig +https and +tls; dig +https; the JSON API; the
// certificate reloaded on SIGHUP; and the default plain DoH listener printed at start-up.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { makeCert } from '../unit/doh-fixture.ts';
import { ANDNS, dig, haveBinary } from './frontend-process.ts';
import { startDohWorld, type DohWorld } from './doh-process.ts';
import { listeningLines } from '../harness/listening.ts';

const run = promisify(execFile);
let world: DohWorld;
let has: Record<'curl' | 'kdig' | 'dig', boolean>;

before(async () => {
  has = { curl: await haveBinary('curl', '--version'), kdig: await haveBinary('kdig', '--version'), dig: await haveBinary('dig', '-v') };
  world = await startDohWorld();
});
after(() => world?.stop());

const sorted = (list: string[]): string[] => [...list].sort();
/** The DNS status from the header line: over DoH kdig also prints an HTTP "(status: 200)" first. */
const dnsStatus = (raw: string): string => /->>HEADER<<-.*status: (\w+)/.exec(raw)?.[1] ?? 'none';

test('curl --doh-url fetches a page by a name only the simulated internet knows', async (t) => {
  if (!has.curl) return t.skip('curl is not installed (apt-get install curl)');
  const { name, port, body } = world.site;
  // curl speaks DoH over HTTPS only (an http:// DoH URL is "not supported"); -4: the name also
  // has AAAA records on 2001:db8::/32, where no web server is.
  const doh = `https://127.0.0.1:${world.ports.https}/dns-query`;
  const { stdout } = await run('curl', ['-sS', '-4', '--max-time', '10', '--doh-url', doh, '--doh-insecure', `http://${name}:${port}/`], { timeout: 20_000 });
  assert.equal(stdout, body);
});

test('curl: the JSON API over HTTP/2 and HTTP/1.1 (Accept: application/dns-json)', async (t) => {
  if (!has.curl) return t.skip('curl is not installed (apt-get install curl)');
  const { name, address } = world.site;
  const h2 = await run('curl', ['-sS', '-k', '--http2', `https://127.0.0.1:${world.ports.https}/resolve?name=${name}&type=A`]);
  const doc = JSON.parse(h2.stdout);
  assert.equal(doc.Status, 0);
  assert.ok(doc.Answer.some((r: { type: number; data: string }) => r.type === 1 && r.data === address));
  const h1 = await run('curl', ['-sS', '--http1.1', '-H', 'accept: application/dns-json', `http://127.0.0.1:${world.ports.http}/dns-query?name=nx-never-${Date.now()}.${name}`]);
  assert.equal(JSON.parse(h1.stdout).Status, 3);
});

test('kdig +https (POST and GET) and kdig +tls get the catalogued answer; DoT replies are padded', async (t) => {
  if (!has.kdig) return t.skip('kdig is not installed (apt-get install knot-dnsutils)');
  const { name } = world.site;
  const entry = world.internet.catalogue.find((e) => e.name === name && e.type === 'A')!;
  const tlsArgs = [`+tls-ca=${world.cert.cert}`, '+tls-hostname=localhost'];
  for (const mode of ['+https', '+https-get']) {
    const r = await dig('kdig', ['@127.0.0.1', '-p', String(world.ports.https), mode, ...tlsArgs, name, 'A']);
    assert.equal(dnsStatus(r.raw), 'NOERROR', r.raw);
    assert.deepEqual(sorted(r.answer), sorted(entry.rdata!), mode);
    assert.match(r.raw, /HTTP\/2/, 'kdig speaks HTTP/2');
  }
  const dot = await dig('kdig', ['@127.0.0.1', '-p', String(world.ports.dot), '+tls', ...tlsArgs, '+edns', name, 'A']);
  assert.equal(dnsStatus(dot.raw), 'NOERROR', dot.raw);
  assert.deepEqual(sorted(dot.answer), sorted(entry.rdata!));
  assert.match(dot.raw, /PADDING: \d+ B/);
  assert.match(dot.raw, /Received 468 B/, 'a 468-byte block (RFC 8467 §4.1)');
});

test('dig +https (bind9-dnsutils) over DoH, GET and POST', async (t) => {
  if (!has.dig) return t.skip('dig is not installed (apt-get install bind9-dnsutils)');
  const help = await run('dig', ['-h']).catch((e: { stdout: string; stderr: string }) => e);
  if (!`${help.stdout}${help.stderr}`.includes('https')) {
    if (process.env['CI']) throw new Error('this dig has no +https (BIND 9.18 or later is needed)');
    return t.skip('this dig has no +https');
  }
  const { name } = world.site;
  const entry = world.internet.catalogue.find((e) => e.name === name && e.type === 'A')!;
  for (const mode of ['+https', '+https-get']) {
    const r = await dig('dig', ['@127.0.0.1', '-p', String(world.ports.https), mode, `+tls-ca=${world.cert.cert}`, '+tls-hostname=localhost', name, 'A']);
    assert.equal(dnsStatus(r.raw), 'NOERROR', r.raw);
    assert.match(r.raw, /\(HTTPS(-GET)?\)/, 'dig says it used DoH');
    assert.match(r.raw, /MSG SIZE  rcvd: 468/, 'padded (RFC 8467 §4.1)');
    assert.deepEqual(sorted(r.answer), sorted(entry.rdata!), mode);
  }
});

test('SIGHUP reloads a renewed certificate into the running process', async () => {
  const seen = async (): Promise<string> => {
    const socket = tls.connect({ host: '127.0.0.1', port: world.ports.https, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    await once(socket, 'secureConnect');
    const fingerprint = socket.getPeerX509Certificate()!.fingerprint256;
    socket.destroy();
    return fingerprint;
  };
  assert.equal(await seen(), new X509Certificate(world.cert.pem).fingerprint256);
  const renewed = makeCert(world.cert.dir, 'renewed')!;
  copyFileSync(renewed.key, world.cert.key);
  copyFileSync(renewed.cert, world.cert.cert);
  world.child.kill('SIGHUP');
  const want = new X509Certificate(renewed.pem).fingerprint256;
  let got = '';
  for (let i = 0; i < 40 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 50));
    got = await seen();
  }
  assert.equal(got, want);
  assert.equal(world.child.exitCode, null, 'still running');
  world.cert = renewed; // later tests trust the certificate now served
});

test('npm start (the embedded set-up) serves DoH over plain HTTP on loopback and says so at start-up', async () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['start']!, /andns\.js serve --doh-plain 127\.0\.0\.1:8053$/);
  // The same command on free ports (8053 may be taken by a developer's own andns).
  const child = spawn(process.execPath, [ANDNS, 'serve', '--doh-plain', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--no-dnssec', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // Up to 60 s: on a loaded machine start-up can take seconds, and a SIGTERM before the
  // handlers are installed would kill the process instead of draining it.
  for (let i = 0; i < 1200 && !out.includes('"DoH"'); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  const doh = listeningLines(out).find((l) => l.transports.includes('DoH'));
  assert.ok(doh, out);
  assert.equal(doh.url, `http://127.0.0.1:${doh.port}/dns-query`);
  assert.equal(doh.detail, 'plain HTTP/1.1 and h2c');
  assert.equal(code, 0);
});
