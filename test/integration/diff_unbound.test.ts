// Differential test: andns (the real `andns serve` process) and Unbound resolve the same names
// of the same simulated internet; rcodes and answer RRsets must agree. Also reports the
// upstream queries each needed (counted at the simulated servers). On the signed internet both
// validate from its root DS, and the AD bit must agree too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type dnsPacket from 'dns-packet';
import { rdataText } from '../../src/dns/rdata.ts';
import { canonicalName } from '../../src/dns/name.ts';
import type { RR } from '../../src/dns/message.ts';
import { generateInternet, rootHintsText, type CatalogueEntry } from '../sim/internet.ts';
import { serveNetwork } from '../sim/socket-host.ts';
import { startUnbound, unboundAvailable } from '../peers/unbound.ts';
import { stubQuery } from '../peers/dns-client.ts';
import { startServe } from './frontend-process.ts';

/** Timing-dependent cases (servers that never, slowly or wrongly answer: Unbound keeps retrying
 * a server that sends wrong IDs for longer than a test waits) are proven by unit tests; here
 * they would only measure the two resolvers' retry schedules. */
const SKIP_TAGS = new Set(['dead', 'slow', 'wrong-id']);

/** Port 53 is one per machine: wait a while if another test run holds it. */
async function servePort53(network: Parameters<typeof serveNetwork>[0]): Promise<Awaited<ReturnType<typeof serveNetwork>>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await serveNetwork(network, { port: 53 });
    } catch (err) {
      if (attempt >= 60 || !/EADDRINUSE/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function sample(catalogue: CatalogueEntry[], size: number): CatalogueEntry[] {
  const usable = catalogue.filter((e) => !e.tags.some((t) => SKIP_TAGS.has(t)));
  const special = usable.filter((e) => !e.tags.some((t) => ['glue', 'glueless', 'tld'].includes(t)));
  const ordinary = usable.filter((e) => !special.includes(e));
  const step = Math.max(1, Math.floor(ordinary.length / Math.max(1, size - special.length)));
  return [...special, ...ordinary.filter((_, i) => i % step === 0)].slice(0, size);
}

function summary(reply: dnsPacket.DecodedPacket & { flags?: number }, withAd = false): string {
  const answer = (reply.answers ?? [])
    .filter((a) => a.type !== 'OPT' && a.type !== 'RRSIG')
    .map((a) => `${canonicalName(a.name)} ${a.type} ${rdataText(a as RR).toLowerCase()}`)
    .sort();
  const ad = withAd ? ` ad=${((reply.flags ?? 0) & 0x20) !== 0}` : '';
  // A SERVFAIL's answer section is empty; with CD=0 that is all a client sees of a bogus name.
  return `${(reply as { rcode?: string }).rcode}${ad} ${answer.join(' | ')}`;
}

interface Run {
  summaries: Map<string, string>;
  /** Upstream queries per feature tag, from the sim servers' counters. */
  queriesByTag: Map<string, number>;
  total: number;
}

/** One name at a time, so the upstream queries each name caused can be counted. */
async function resolveAll(address: string, port: number, names: CatalogueEntry[], network: { totals(): { queries: number } }, dnssec = false): Promise<Run> {
  const run: Run = { summaries: new Map(), queriesByTag: new Map(), total: 0 };
  for (const e of names) {
    const before = network.totals().queries;
    const key = `${e.name} ${e.type}`;
    try {
      run.summaries.set(key, summary(await stubQuery(address, port, { name: e.name, type: e.type, dnssecOk: dnssec, timeoutMs: 15_000 }), dnssec));
    } catch (err) {
      run.summaries.set(key, `ERROR ${(err as Error).message}`);
    }
    const spent = network.totals().queries - before;
    run.total += spent;
    for (const tag of e.tags) run.queriesByTag.set(tag, (run.queriesByTag.get(tag) ?? 0) + spent);
  }
  return run;
}

for (const qmin of [true, false]) {
test(`diff_unbound: andns and Unbound agree on rcode and answers (QNAME minimisation ${qmin ? 'on' : 'off'})`, { timeout: 180_000 }, async (t) => {
  if (!unboundAvailable()) {
    if (process.env['CI']) throw new Error('unbound is required in CI (apt-get install unbound)');
    t.skip('unbound is not installed (apt-get install unbound)');
    return;
  }
  const internet = generateInternet({ seed: 11, zones: 150 });
  // Unbound always queries port 53, so the simulated servers listen there (127.53.x.y only).
  const host = await servePort53(internet.network);
  t.after(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-diff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'root.hints'), rootHintsText(internet.rootHints));
  const names = sample(internet.catalogue, 320);

  const unbound = await startUnbound({ rootHintsText: rootHintsText(internet.rootHints), qnameMinimisation: qmin });
  t.after(() => unbound.stop());
  const theirs = await resolveAll(unbound.address, unbound.port, names, internet.network);

  // Unbound runs with do-ip6: no, so andns too leaves IPv6 servers alone: same work to do.
  const andns = await startServe(['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'root.hints'), '--upstream-port', '53', '--allow-local-upstream', '--no-dnssec', '--no-ipv6-upstream', ...(qmin ? [] : ['--no-qname-minimisation']), '--log-level', 'warn'], 1);
  t.after(() => andns.stop());
  const ours = await resolveAll('127.0.0.1', andns.ports.get('127.0.0.1')!, names, internet.network);

  const differences = names
    .map((e) => `${e.name} ${e.type}`)
    .filter((k) => ours.summaries.get(k) !== theirs.summaries.get(k))
    .map((k) => `${k}\n    andns:   ${ours.summaries.get(k)}\n    unbound: ${theirs.summaries.get(k)}`);
  t.diagnostic(`${names.length} names; upstream queries: andns ${ours.total} (${(ours.total / names.length).toFixed(2)}/name), unbound ${theirs.total} (${(theirs.total / names.length).toFixed(2)}/name)`);
  const tags = [...new Set([...ours.queriesByTag.keys(), ...theirs.queriesByTag.keys()])].sort();
  t.diagnostic(`queries by tag (andns/unbound): ${tags.map((tag) => `${tag} ${ours.queriesByTag.get(tag) ?? 0}/${theirs.queriesByTag.get(tag) ?? 0}`).join(', ')}`);
  assert.deepEqual(differences, [], `${differences.length} of ${names.length} names differ`);
  assert.ok(names.length >= 300);
});
}

test('diff_unbound: on the signed internet andns and Unbound agree on rcode, AD bit and answers for every DNSSEC case', { timeout: 240_000 }, async (t) => {
  if (!unboundAvailable()) {
    if (process.env['CI']) throw new Error('unbound is required in CI (apt-get install unbound)');
    t.skip('unbound is not installed (apt-get install unbound)');
    return;
  }
  // Signed around the wall clock: Unbound checks signature validity against its own.
  const internet = generateInternet({ seed: 13, zones: 120, signed: true });
  const host = await servePort53(internet.network);
  t.after(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-diff-signed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'root.hints'), rootHintsText(internet.rootHints));
  writeFileSync(join(dir, 'root.ds'), internet.dnssec!.trustAnchor);
  // Every name of the DNSSEC zones, and a sample of the rest (each signing profile is in it).
  const names = [...internet.catalogue.filter((e) => e.tags.includes('dnssec')), ...sample(internet.catalogue.filter((e) => !e.tags.includes('dnssec')), 260)];

  const unbound = await startUnbound({ rootHintsText: rootHintsText(internet.rootHints), trustAnchors: internet.dnssec!.trustAnchor.trim().split('\n') });
  t.after(() => unbound.stop());
  const theirs = await resolveAll(unbound.address, unbound.port, names, internet.network, true);

  const andns = await startServe(['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'root.hints'), '--trust-anchors', join(dir, 'root.ds'), '--upstream-port', '53', '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'warn'], 1);
  t.after(() => andns.stop());
  const ours = await resolveAll('127.0.0.1', andns.ports.get('127.0.0.1')!, names, internet.network, true);

  const keys = names.map((e) => `${e.name} ${e.type}`);
  const differences = keys
    .filter((k) => ours.summaries.get(k) !== theirs.summaries.get(k))
    .map((k) => `${k}\n    andns:   ${ours.summaries.get(k)}\n    unbound: ${theirs.summaries.get(k)}`);
  const count = (run: Run, what: RegExp): number => keys.filter((k) => what.test(run.summaries.get(k) ?? '')).length;
  t.diagnostic(`${names.length} names: AD set andns ${count(ours, / ad=true/)} / unbound ${count(theirs, / ad=true/)}; SERVFAIL andns ${count(ours, /^SERVFAIL/)} / unbound ${count(theirs, /^SERVFAIL/)}`);
  t.diagnostic(`upstream queries: andns ${ours.total} (${(ours.total / names.length).toFixed(2)}/name), unbound ${theirs.total} (${(theirs.total / names.length).toFixed(2)}/name)`);
  assert.deepEqual(differences, [], `${differences.length} of ${names.length} names differ`);
  assert.ok(count(ours, / ad=true/) > 100 && count(ours, /^SERVFAIL/) > 10);
});
