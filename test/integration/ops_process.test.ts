// Operating a real `andns serve`: the query log and dnstap (decoded by BIND's dnstap-read),
// `andns stats`, negative trust anchors added and removed at run time, reloads (the control
// endpoint and SIGHUP) of the log level, limits and forward zones without a dropped query, a
// refused bad config, and a rolling restart of the workers under load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simOnSockets, startAndns, type AndnsProcess } from '../harness/andns-processes.ts';
import { portOf } from '../harness/listening.ts';
import { until } from '../harness/store-contract.ts';
import { freePort } from '../peers/ports.ts';

const run = promisify(execFile);
const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');

async function andns(p: AndnsProcess, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ANDNS, ...args, ...p.controlArgs], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function logLines(p: AndnsProcess): Record<string, unknown>[] {
  return p.stderr().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Queries `names` in a loop until `stop()`; resolves every reply's rcode. */
function keepQuerying(p: AndnsProcess, names: string[], stop: () => boolean): Promise<string[]> {
  return (async () => {
    const rcodes: string[] = [];
    for (let i = 0; !stop(); i++) {
      const batch = await Promise.all(names.slice(0, 4).map((n, k) => p.query(names[(i + k) % names.length]!).then((r) => r.rcode ?? 'none', () => 'timeout')));
      rcodes.push(...batch);
    }
    return rcodes;
  })();
}

test('ops: the query log and dnstap of a real process; dnstap-read decodes every query and response', async (t) => {
  const sim = await simOnSockets(t, 11);
  const tap = join(sim.dir, 'andns.dnstap');
  const p = await startAndns(t, sim, { queryLog: { enabled: true, sampleRate: 1 }, dnstap: { file: tap, identity: 'node-7' }, doh: { plainListen: ['127.0.0.1:0'] } });
  const names = sim.names.slice(0, 5);
  for (const n of names) assert.equal((await p.query(n)).rcode, 'NOERROR');
  for (const n of names) assert.equal((await p.query(n)).rcode, 'NOERROR'); // hot-tier hits
  const tcp = await run('dig', ['@127.0.0.1', '-p', String(p.port), '+tcp', '+tries=1', names[0]!, 'A']);
  assert.match(tcp.stdout, /status: NOERROR/);
  const doh = await fetch(`http://127.0.0.1:${portOf(p.stdout(), 'DoH')}/dns-query?name=${names[1]}&type=A`, { headers: { accept: 'application/dns-json' } });
  assert.equal(doh.status, 200);
  assert.equal(await p.stop(), 0);

  const queries = logLines(p).filter((l) => l['msg'] === 'query');
  assert.equal(queries.length, 12, p.stderr());
  for (const q of queries) {
    assert.equal(q['client'], '127.0.0.0/24', 'a prefix, never the address');
    assert.equal(q['qtype'], 'A');
    assert.equal(q['rcode'], 'NOERROR');
    assert.equal(typeof q['ms'], 'number');
  }
  assert.deepEqual(queries.slice(0, 5).map((q) => q['tier']), ['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
  assert.deepEqual(queries.slice(5, 10).map((q) => q['tier']), ['hot', 'hot', 'hot', 'hot', 'hot']);
  assert.deepEqual(queries.slice(0, 5).map((q) => q['qname']), names);
  assert.equal(queries[10]!['transport'], 'tcp');
  assert.equal(queries[11]!['transport'], 'doh');
  assert.equal(queries[11]!['tier'], 'shared', 'DoH skips the hot tier: the shared cache answered');

  // BIND's reader: 12 queries and 12 responses, with our identity, addresses and DNS messages.
  const { stdout: yaml } = await run('dnstap-read', ['-y', tap], { maxBuffer: 16 << 20 });
  assert.equal((yaml.match(/^ {2}type: CLIENT_QUERY$/gm) ?? []).length, 12, yaml.slice(0, 3000));
  assert.equal((yaml.match(/^ {2}type: CLIENT_RESPONSE$/gm) ?? []).length, 12);
  assert.equal((yaml.match(/^identity: "?node-7"?$/gm) ?? []).length, 24);
  assert.equal((yaml.match(/^ {2}query_address: "?127\.0\.0\.1"?$/gm) ?? []).length, 24);
  assert.equal((yaml.match(/^ {2}socket_protocol: TCP$/gm) ?? []).length, 2);
  // (BIND 9.18's dnstap-read prints any protocol but TCP as UDP, so DoH's value 4 is not visible here.)
  for (const n of names) assert.ok(yaml.includes(`${n}.`), `${n} in a decoded message`);
  assert.match(yaml, /status: NOERROR/);
});

test('ops: dnstap to a collector socket (fstrm_capture): frames wait for no one while it is away, then flow after a reconnect', async (t) => {
  const sim = await simOnSockets(t, 12);
  const socket = join(sim.dir, 'dnstap.sock');
  const captured = join(sim.dir, 'captured.fstrm');
  const p = await startAndns(t, sim, { logLevel: 'info', dnstap: { socket, identity: '' } });
  const names = sim.names.slice(0, 6);
  // No collector yet: queries are answered all the same, and their frames are dropped and counted.
  for (const n of names.slice(0, 3)) assert.equal((await p.query(n)).rcode, 'NOERROR');
  const stats = JSON.parse((await andns(p, 'stats')).stdout) as { dnstapDropped: number };
  assert.equal(stats.dnstapDropped, 6, 'a query and a response frame for each of 3 queries');
  const collector = spawn('fstrm_capture', ['-t', 'protobuf:dnstap.Dnstap', '-u', socket, '-w', captured], { stdio: 'ignore' });
  t.after(() => {
    if (collector.exitCode === null) collector.kill('SIGKILL');
  });
  await until(() => logLines(p).some((l) => l['msg'] === 'dnstap collector connected'), 10_000);
  for (const n of names.slice(3)) assert.equal((await p.query(n)).rcode, 'NOERROR');
  assert.equal(await p.stop(), 0); // STOP, and the collector's FINISH
  const gone = once(collector, 'exit');
  collector.kill('SIGTERM');
  await gone;
  const { stdout: yaml } = await run('dnstap-read', ['-y', captured], { maxBuffer: 16 << 20 });
  assert.equal((yaml.match(/^ {2}type: CLIENT_QUERY$/gm) ?? []).length, 3, yaml.slice(0, 2000));
  assert.equal((yaml.match(/^ {2}type: CLIENT_RESPONSE$/gm) ?? []).length, 3);
  for (const n of names.slice(3)) assert.ok(yaml.includes(`${n}.`), `${n} in a decoded message`);
});

test('ops: stats, negative trust anchors at run time, reloads without a dropped query, a bad config refused', async (t) => {
  const sim = await simOnSockets(t, 13);
  // Validation on with the real root's anchors over an unsigned simulated root: every answer is bogus.
  const config = { dnssec: true, logLevel: 'warn', limits: { upstreamTimeoutMs: 300, maxQueryTimeMs: 2000 } };
  const p = await startAndns(t, sim, config);
  const [bogus, fresh, forwarded, other] = sim.names;
  assert.equal((await p.query(bogus!)).rcode, 'SERVFAIL', 'unsigned data under a signed root is bogus');

  const added = await andns(p, 'nta', 'add', bogus!);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, new RegExp(`^${bogus!.replace(/\./g, '\\.')}$`, 'm'));
  assert.equal((await p.query(bogus!)).rcode, 'NOERROR', 'validation is off below the NTA at once');
  assert.equal((await p.query(fresh!)).rcode, 'SERVFAIL', 'and only there');
  const stats = await andns(p, 'stats');
  assert.equal(stats.code, 0, stats.stderr);
  const s = JSON.parse(stats.stdout) as { negativeTrustAnchors: string[]; sharedCache: { misses: number }; pid: number };
  assert.deepEqual(s.negativeTrustAnchors, [bogus]);
  assert.ok(s.sharedCache.misses > 0);
  assert.equal(s.pid, p.child.pid);
  assert.equal((await andns(p, 'nta', 'remove', bogus!)).code, 0);
  assert.equal((await p.query(bogus!)).rcode, 'SERVFAIL', 'validated again after the removal');
  assert.match((await andns(p, 'nta', 'list')).stdout, /no negative trust anchors/);

  // Reload through the control endpoint while queries flow: debug logging and a forward zone
  // to an address where nothing listens (so a name under it now fails), and no query lost.
  let stop = false;
  const load = keepQuerying(p, [bogus!, fresh!, other!], () => stop);
  const debugConfig = { ...JSON.parse(readFileSync(p.configFile, 'utf8')), logLevel: 'debug', negativeTrustAnchors: [bogus], forwardZones: [{ zone: forwarded, addresses: ['127.54.0.1'] }] };
  writeFileSync(p.configFile, JSON.stringify(debugConfig));
  const reloaded = await andns(p, 'reload');
  assert.equal(reloaded.code, 0, reloaded.stderr);
  const report = JSON.parse(reloaded.stdout) as { applied: string[]; needsRestart: string[] };
  assert.deepEqual(report.applied.sort(), ['forwardZones', 'logLevel', 'negativeTrustAnchors']);
  assert.deepEqual(report.needsRestart, []);
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  const rcodes = await load;
  assert.ok(rcodes.length > 0 && rcodes.every((r) => r === 'NOERROR' || r === 'SERVFAIL'), `no query dropped: ${rcodes.join(',')}`);
  assert.equal((await p.query(bogus!)).rcode, 'NOERROR', 'the configured NTA applies');
  assert.equal((await p.query(forwarded!)).rcode, 'SERVFAIL', 'the forward zone applies');
  const before = logLines(p).filter((l) => l['msg'] === 'query' && l['level'] === 'debug').length;
  assert.ok(before > 0, '--log-level debug writes a line per query');

  // A config with an error is refused; the running one stays.
  writeFileSync(p.configFile, JSON.stringify({ ...config, limits: { upstreamTimeoutMs: -1 } }));
  const refused = await andns(p, 'reload');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /reload refused.*limits\.upstreamTimeoutMs/);
  assert.equal((await p.query(other!)).rcode, 'SERVFAIL');

  // allowFrom (the ACL) follows a reload too: with loopback left out, a query from it is REFUSED.
  writeFileSync(p.configFile, JSON.stringify({ ...debugConfig, allowFrom: ['192.0.2.0/24'] }));
  const acl = await andns(p, 'reload');
  assert.equal(acl.code, 0, acl.stderr);
  const aclReport = JSON.parse(acl.stdout) as { applied: string[]; needsRestart: string[] };
  assert.deepEqual(aclReport, { applied: ['allowFrom'], needsRestart: [] });
  assert.equal((await p.query(other!)).rcode, 'REFUSED', 'outside allowFrom after the reload');

  // SIGHUP does the same: back to warn, no forward zone, no NTA.
  writeFileSync(p.configFile, JSON.stringify(config));
  p.child.kill('SIGHUP');
  await until(() => logLines(p).some((l) => l['msg'] === 'config reloaded' && (l['applied'] as string[]).includes('forwardZones')), 5000);
  assert.equal((await p.query(other!)).rcode, 'SERVFAIL', 'loopback is allowed again (the default allowFrom)');
  const after = logLines(p).filter((l) => l['msg'] === 'query').length;
  await p.query(other!);
  assert.equal(logLines(p).filter((l) => l['msg'] === 'query').length, after, 'no debug line after the level went back to warn');
  assert.equal(await p.stop(), 0);
});

test('ops: a rolling restart replaces every worker while queries keep being answered; reload and stats reach every worker', { skip: process.platform !== 'linux' && 'SO_REUSEPORT workers are Linux-only' }, async (t) => {
  const sim = await simOnSockets(t, 17);
  const p = await startAndns(t, sim, {}, ['--workers', '2', '--listen', `127.0.0.1:${await freePort()}`]);
  const workersOf = async (): Promise<number[]> => {
    const r = await andns(p, 'stats');
    return (JSON.parse(r.stdout) as { workers: { pid: number }[] }).workers.map((w) => w.pid).sort();
  };
  const old = await workersOf();
  assert.equal(old.length, 2);
  let stop = false;
  const load = keepQuerying(p, sim.names.slice(0, 8), () => stop);
  const restarted = await andns(p, 'restart');
  stop = true;
  assert.equal(restarted.code, 0, restarted.stderr);
  const report = JSON.parse(restarted.stdout) as { replaced: number[]; started: number[] };
  assert.deepEqual(report.replaced.sort(), old);
  const rcodes = await load;
  assert.ok(rcodes.length >= 8, `queries during the restart: ${rcodes.length}`);
  assert.deepEqual(rcodes.filter((r) => r !== 'NOERROR'), [], 'every query answered during the restart');
  const now = await workersOf();
  assert.equal(now.length, 2);
  assert.deepEqual(now.filter((pid) => old.includes(pid)), [], 'no old worker left');

  // A reload reaches every worker through the primary, and an NTA added there is in each.
  const reloaded = await andns(p, 'reload');
  assert.equal(reloaded.code, 0, reloaded.stderr);
  assert.equal((JSON.parse(reloaded.stdout) as { workers: unknown[] }).workers.length, 2);
  assert.equal((await andns(p, 'nta', 'add', 'broken.example')).code, 1, 'validation is off here: an NTA is refused (HTTP 400)');
  const stats = JSON.parse((await andns(p, 'stats')).stdout) as { workers: { pid: number; negativeTrustAnchors: string[] }[] };
  assert.deepEqual(stats.workers.map((w) => w.pid).sort(), now);
  assert.equal(await p.stop(), 0);
});
