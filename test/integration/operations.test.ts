// The operations listener of the real `andns serve` process: dig queries move the Prometheus
// families that curl scrapes from /metrics; /readyz turns 503 on SIGTERM while queries are
// still answered during the grace period; with --workers 2 one scrape adds up both workers;
// a dead Redis shows in /readyz and the breaker series; validation outcomes are counted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAndns, simOnSockets, type AndnsProcess } from '../harness/andns-processes.ts';
import { portOf } from '../harness/listening.ts';
import { freePort } from '../peers/ports.ts';
import { generateInternet, rootHintsText } from '../sim/internet.ts';
import { serveNetwork } from '../sim/socket-host.ts';
import { dig, haveBinary, startServe } from './frontend-process.ts';

const run = promisify(execFile);
const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');

/** The operations listener's port, from its start-up line (printed after the DNS and control lines). */
async function opsPort(andns: AndnsProcess): Promise<number> {
  for (let i = 0; i < 100 && portOf(andns.stdout(), 'operations') === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const port = portOf(andns.stdout(), 'operations');
  assert.ok(port > 0, `no operations line in: ${andns.stdout()}`);
  return port;
}

/** GET with curl: status and body. */
async function curl(port: number, path: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '--max-time', '10', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** Prometheus text → "name{labels}" → value; HELP/TYPE/UNIT lines kept apart as the family list. */
function parse(text: string): { samples: Map<string, number>; families: Set<string> } {
  const samples = new Map<string, number>();
  const families = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) families.add(type[1]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return { samples, families };
}

async function scrape(port: number): Promise<Map<string, number>> {
  const r = await curl(port, '/metrics');
  assert.equal(r.status, 200);
  return parse(r.body).samples;
}

const get = (s: Map<string, number>, key: string): number => s.get(key) ?? 0;

async function waitReady(port: number): Promise<{ status: number; body: string }> {
  for (let i = 0; i < 100; i++) {
    const r = await curl(port, '/readyz');
    if (r.status === 200) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return curl(port, '/readyz');
}

/** A datagram that is not a DNS query (a response bit set): dropped without reply. */
async function sendGarbage(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const junk = Buffer.alloc(12);
  junk.writeUInt16BE(0x8000, 2); // QR=1: a response, never answered (RFC 1035 §4.1.1; answers to answers loop)
  await new Promise<void>((resolve, reject) => socket.send(junk, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

test('operations: /metrics families move with dig traffic, /healthz and /readyz answer, SIGTERM flips /readyz before draining', async (t) => {
  if (!(await haveBinary('dig', '-v')) || !(await haveBinary('curl', '--version'))) return t.skip('dig or curl missing');
  const sim = await simOnSockets(t);
  const andns = await startAndns(t, sim, { health: { drainGraceMs: 1_500, canaryIntervalMs: 200, canaryMaxAgeMs: 5_000 } }, ['--metrics', '127.0.0.1:0']);
  const ops = await opsPort(andns);

  const alive = await curl(ops, '/healthz');
  assert.equal(alive.status, 200);
  assert.equal(JSON.parse(alive.body).status, 'alive');
  const ready = await waitReady(ops);
  assert.equal(ready.status, 200, ready.body);
  const report = JSON.parse(ready.body);
  assert.equal(report.canary.ok, true);
  assert.equal(report.sharedCache, 'embedded');

  const before = await scrape(ops);
  const names = sim.names.slice(0, 8);
  for (const name of names) assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', name, 'A'])).status, 'NOERROR');
  // The same names again: answered from the hot tier, no upstream query.
  for (const name of names) assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', name, 'A'])).status, 'NOERROR');
  assert.equal((await dig('dig', ['+tcp', '-p', String(andns.port), '@127.0.0.1', names[0]!, 'A'])).status, 'NOERROR');
  // Handled in arrival order on the one socket: dropped (and counted) before the next query's answer.
  await sendGarbage(andns.port);
  assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', `no-such-name.${names[0]!}`, 'A'])).status, 'NXDOMAIN');

  const after = await scrape(ops);
  const moved = (key: string): number => get(after, key) - get(before, key);
  assert.equal(moved('andns_queries_total{transport="udp",rcode="NOERROR"}'), 16);
  assert.equal(moved('andns_queries_total{transport="udp",rcode="NXDOMAIN"}'), 1);
  assert.equal(moved('andns_queries_total{transport="tcp",rcode="NOERROR"}'), 1);
  assert.ok(moved('andns_answers_total{tier="hot"}') >= 8, 'the repeated names come from the hot tier');
  assert.ok(moved('andns_answers_total{tier="resolved"}') >= 9, 'the first names and the NXDOMAIN were resolved');
  assert.ok(moved('andns_resolver_upstream_queries_total{outcome="reply"}') > 0);
  assert.ok(moved('andns_resolution_duration_seconds_count') >= 9);
  assert.ok(moved('andns_resolution_duration_seconds_sum') > 0);
  assert.equal(get(after, 'andns_resolution_duration_seconds_bucket{le="+Inf"}'), get(after, 'andns_resolution_duration_seconds_count'));
  assert.ok(get(after, 'andns_cache_memory_bytes{tier="hot_answers"}') > get(before, 'andns_cache_memory_bytes{tier="hot_answers"}'));
  assert.ok(get(after, 'andns_cache_memory_bytes{tier="embedded_store"}') > 0);
  assert.ok(get(after, 'andns_process_resident_memory_bytes') > 10_000_000);
  assert.equal(moved('andns_queries_dropped_total{reason="malformed"}'), 1);

  const { families } = parse((await curl(ops, '/metrics')).body);
  for (const family of [
    'andns_queries_total', 'andns_answers_total', 'andns_queries_dropped_total', 'andns_queries_coalesced_total', 'andns_queries_lease_waited_total',
    'andns_resolver_upstream_queries_total', 'andns_resolution_duration_seconds', 'andns_connections_open', 'andns_cache_memory_bytes',
    'andns_cache_entries', 'andns_cache_record_lookups_total', 'andns_process_resident_memory_bytes',
  ]) assert.ok(families.has(family), `family ${family} missing`);
  // No Redis here: no breaker series, and no query names anywhere in the labels.
  assert.ok(!families.has('andns_redis_breaker_state'));
  assert.ok(!(await curl(ops, '/metrics')).body.includes(names[0]!));

  // SIGTERM: /readyz is 503 at once, yet queries are answered until the grace period ends.
  andns.child.kill('SIGTERM');
  let draining = await curl(ops, '/readyz');
  for (let i = 0; draining.status === 200 && i < 20; i++) draining = await curl(ops, '/readyz');
  assert.equal(draining.status, 503);
  assert.equal(JSON.parse(draining.body).draining, true);
  assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', names[2]!, 'A'])).status, 'NOERROR', 'still answering during the grace period');
  // No second signal (that would mean "exit now"): wait for the drain to end by itself.
  const [code] = andns.child.exitCode !== null ? [andns.child.exitCode] : await once(andns.child, 'exit');
  assert.equal(code, 0);
});

test('operations: with --workers 2 one scrape adds up both workers; /readyz lists them, stays 200 through a rolling restart and flips on SIGTERM', { skip: process.platform !== 'linux' && 'SO_REUSEPORT workers are Linux-only' }, async (t) => {
  if (!(await haveBinary('dig', '-v')) || !(await haveBinary('curl', '--version'))) return t.skip('dig or curl missing');
  const sim = await simOnSockets(t, 11);
  const port = await freePort();
  const andns = await startAndns(t, sim, { health: { drainGraceMs: 1_000, canaryIntervalMs: 200, canaryMaxAgeMs: 5_000 } }, ['--workers', '2', '--listen', `127.0.0.1:${port}`, '--metrics', '127.0.0.1:0']);
  const ops = await opsPort(andns);
  const ready = await waitReady(ops);
  assert.equal(ready.status, 200, ready.body);
  const workers = JSON.parse(ready.body).workers as { pid: number; ready: boolean }[];
  assert.equal(workers.length, 2);
  assert.notEqual(workers[0]!.pid, workers[1]!.pid);

  const before = await scrape(ops);
  // dig takes a new source port per run, so the kernel spreads these over both workers.
  const names = sim.names.slice(0, 12);
  for (const name of [...names, ...names]) assert.equal((await dig('dig', ['-p', String(port), '@127.0.0.1', name, 'A'])).status, 'NOERROR');
  const after = await scrape(ops);
  assert.equal(get(after, 'andns_queries_total{transport="udp",rcode="NOERROR"}') - get(before, 'andns_queries_total{transport="udp",rcode="NOERROR"}'), 24);
  // Three processes' resident memory in one figure: more than any single Node process at rest.
  assert.ok(get(after, 'andns_process_resident_memory_bytes') > 3 * 30_000_000);

  // A rolling restart never turns the node unready: each replacement joins ready.
  let polling = true;
  const statuses: number[] = [];
  const poll = (async () => {
    while (polling) {
      statuses.push((await curl(ops, '/readyz')).status);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  await run(process.execPath, [ANDNS, 'restart', ...andns.controlArgs], { timeout: 120_000 });
  polling = false;
  await poll;
  assert.ok(statuses.length >= 3, `polled ${statuses.length} times`);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], `readiness stayed 200 through the rolling restart: ${statuses.join(' ')}`);
  const pids = (JSON.parse((await curl(ops, '/readyz')).body).workers as { pid: number }[]).map((w) => w.pid);
  assert.equal(pids.filter((pid) => workers.some((w) => w.pid === pid)).length, 0, 'both workers were replaced');

  // SIGTERM to the primary: the node's /readyz is 503 while the workers still answer.
  andns.child.kill('SIGTERM');
  let draining = await curl(ops, '/readyz');
  for (let i = 0; draining.status === 200 && i < 20; i++) draining = await curl(ops, '/readyz');
  assert.equal(draining.status, 503);
  assert.equal(JSON.parse(draining.body).draining, true);
  assert.equal((await dig('dig', ['-p', String(port), '@127.0.0.1', names[0]!, 'A'])).status, 'NOERROR', 'still answering during the grace period');
  const [code] = andns.child.exitCode !== null ? [andns.child.exitCode] : await once(andns.child, 'exit');
  assert.equal(code, 0);
});

test('operations: Redis down is reported in /readyz and the breaker series, not fatal', async (t) => {
  if (!(await haveBinary('curl', '--version'))) return t.skip('curl missing');
  const sim = await simOnSockets(t, 13);
  // A port nothing listens on: every Redis command fails, the breaker opens, answers go on.
  const dead = await freePort();
  const andns = await startAndns(t, sim, {
    sharedCache: { redis: [`redis://127.0.0.1:${dead}`], redisConnectTimeoutMs: 200 },
    health: { drainGraceMs: 0, canaryIntervalMs: 200, canaryMaxAgeMs: 5_000 },
  }, ['--metrics', '127.0.0.1:0']);
  const ops = await opsPort(andns);
  const ready = await waitReady(ops);
  assert.equal(ready.status, 200, ready.body);
  // Enough lookups for the breaker to trip (5 consecutive failures).
  for (const name of sim.names.slice(0, 6)) assert.equal((await andns.query(name)).rcode, 'NOERROR');
  const report = JSON.parse((await curl(ops, '/readyz')).body) as { ready: boolean; sharedCache: string };
  // Per-master circuits (node-health.ts): with no master reachable the tier as a whole is down.
  assert.equal(report.sharedCache, 'down', `shared tier ${report.sharedCache}`);
  const s = await scrape(ops);
  assert.equal(get(s, 'andns_redis_breaker_state{state="closed"}'), 0);
  assert.equal(get(s, 'andns_redis_breaker_state{state="open"}') + get(s, 'andns_redis_breaker_state{state="half-open"}'), 1);
  assert.ok(get(s, 'andns_redis_breaker_trips_total') >= 1);
  assert.ok(get(s, 'andns_cache_store_errors_total') > 0);
  const timed = [...s].filter(([k]) => k.startsWith('andns_redis_command_duration_seconds_count{command=')).reduce((n, [, v]) => n + v, 0);
  assert.ok(timed >= 5, `failed commands are timed too (${timed})`);
  assert.equal(s.has('andns_cache_memory_bytes{tier="embedded_store"}'), false, 'no embedded store beside Redis');
  assert.equal(await andns.stop(), 0);
});

test('operations: DNSSEC validation outcomes are counted (signed simulated internet)', async (t) => {
  if (!(await haveBinary('dig', '-v')) || !(await haveBinary('curl', '--version'))) return t.skip('dig or curl missing');
  const internet = generateInternet({ seed: 5, zones: 16, signed: true });
  const host = await serveNetwork(internet.network);
  t.after(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-ops-val-'));
  writeFileSync(join(dir, 'sim.hints'), rootHintsText(internet.rootHints));
  writeFileSync(join(dir, 'sim.ds'), internet.dnssec!.trustAnchor);
  const ops = await freePort();
  const andns = await startServe(['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'sim.hints'), '--trust-anchors', join(dir, 'sim.ds'),
    '--upstream-port', String(host.port), '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'warn', '--metrics', `127.0.0.1:${ops}`, '--drain-grace-ms', '0'], 1);
  t.after(() => andns.stop());
  const port = String(andns.ports.get('127.0.0.1')!);
  const secure = internet.catalogue.find((e) => e.type === 'A' && e.dnssec?.status === 'secure' && e.rcode === 'NOERROR')!.name;
  const bogus = internet.catalogue.find((e) => e.dnssec?.status === 'bogus')!;
  assert.equal((await dig('dig', ['-p', port, '@127.0.0.1', '+dnssec', secure, 'A'])).status, 'NOERROR');
  assert.equal((await dig('dig', ['-p', port, '@127.0.0.1', '+dnssec', bogus.name, bogus.type])).status, 'SERVFAIL');
  const s = await scrape(ops);
  assert.ok(get(s, 'andns_resolver_dnssec_validations_total{outcome="secure"}') > 0);
  assert.ok(get(s, 'andns_resolver_dnssec_validations_total{outcome="bogus"}') > 0);
  assert.ok(get(s, 'andns_queries_total{transport="udp",rcode="SERVFAIL"}') >= 1);
});

test('operations: queries dropped by response-rate limiting are counted, replies and drops add up', async (t) => {
  if (!(await haveBinary('dig', '-v')) || !(await haveBinary('curl', '--version'))) return t.skip('dig or curl missing');
  const sim = await simOnSockets(t, 17);
  const andns = await startAndns(t, sim, {}, ['--metrics', '127.0.0.1:0', '--drain-grace-ms', '0', '--rate-limit', '2', '--rate-limit-slip', '0', '--rate-limit-exempt', 'none']);
  const ops = await opsPort(andns);
  const name = sim.names[0]!;
  assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', name, 'A'])).status, 'NOERROR');
  const before = await scrape(ops);
  // A burst of the same question from one socket: past 2 per second, RRL drops (slip 0).
  const socket = dgram.createSocket('udp4');
  let replies = 0;
  socket.on('message', () => replies++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const burst = 30;
  for (let id = 1; id <= burst; id++) {
    const q = Buffer.from(dnsQuery(id, name));
    await new Promise<void>((resolve, reject) => socket.send(q, andns.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  // Every datagram is handled by the time a later query on another socket is answered.
  await dig('dig', ['-p', String(andns.port), '@127.0.0.1', '+tries=1', 'version.bind', 'TXT', 'CH']);
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.close();
  const after = await scrape(ops);
  const dropped = get(after, 'andns_queries_dropped_total{reason="ratelimit"}') - get(before, 'andns_queries_dropped_total{reason="ratelimit"}');
  assert.ok(replies < burst && dropped > 0, `replies ${replies}, dropped ${dropped}`);
  assert.equal(dropped + replies, burst, 'each query of the burst was answered or counted as dropped');
});

/** A minimal RD=1 query for NAME A (RFC 1035 §4.1). */
function dnsQuery(id: number, name: string): Uint8Array {
  const labels = name.split('.').filter((l) => l !== '');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, qname, Buffer.from([0, 1, 0, 1])]);
}
