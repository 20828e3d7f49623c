// The diff_unbound scenario, run as its own process inside a network namespace (see
// test/peers/netns.ts): serves a simulated internet on 127.53.x.y:53, resolves the same names
// through Unbound and `andns serve`, and prints one JSON line with what differs.
// Usage: node diff_unbound-scenario.js plain-qmin | plain-no-qmin | signed

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type dnsPacket from 'dns-packet';
import { rdataText } from '../../src/dns/rdata.ts';
import { canonicalName } from '../../src/dns/name.ts';
import type { RR } from '../../src/dns/message.ts';
import { generateInternet, rootHintsText, type CatalogueEntry } from '../sim/internet.ts';
import { serveNetwork } from '../sim/socket-host.ts';
import { startUnbound } from '../peers/unbound.ts';
import { stubQuery } from '../peers/dns-client.ts';
import { startServe } from './frontend-process.ts';

export interface DiffResult {
  names: number;
  differences: string[];
  diagnostics: string[];
  /** Names with the AD bit set / answered SERVFAIL by andns (signed run only). */
  adAndns: number;
  servfailAndns: number;
}

/** Timing-dependent cases (servers that never, slowly or wrongly answer: Unbound keeps retrying
 * a server that sends wrong IDs for longer than a test waits) are proven by unit tests; here
 * they would only measure the two resolvers' retry schedules. */
const SKIP_TAGS = new Set(['dead', 'slow', 'wrong-id']);

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

function compare(names: CatalogueEntry[], ours: Run, theirs: Run): string[] {
  return names
    .map((e) => `${e.name} ${e.type}`)
    .filter((k) => ours.summaries.get(k) !== theirs.summaries.get(k))
    .map((k) => `${k}\n    andns:   ${ours.summaries.get(k)}\n    unbound: ${theirs.summaries.get(k)}`);
}

const perName = (run: Run, n: number): string => `${run.total} (${(run.total / n).toFixed(2)}/name)`;

/** Cleanups run in reverse order on success, failure and SIGTERM alike. */
const cleanups: (() => unknown)[] = [];
async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {});
}

async function plain(qmin: boolean): Promise<DiffResult> {
  const internet = generateInternet({ seed: 11, zones: 150 });
  // Unbound always queries port 53, so the simulated servers listen there (this namespace only).
  const host = await serveNetwork(internet.network, { port: 53 });
  cleanups.push(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-diff-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'root.hints'), rootHintsText(internet.rootHints));
  const names = sample(internet.catalogue, 320);

  const unbound = await startUnbound({ rootHintsText: rootHintsText(internet.rootHints), qnameMinimisation: qmin });
  cleanups.push(() => unbound.stop());
  const theirs = await resolveAll(unbound.address, unbound.port, names, internet.network);

  // Unbound runs with do-ip6: no, so andns too leaves IPv6 servers alone: same work to do.
  const andns = await startServe(['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'root.hints'), '--upstream-port', '53', '--allow-local-upstream', '--no-dnssec', '--no-ipv6-upstream', ...(qmin ? [] : ['--no-qname-minimisation']), '--log-level', 'warn'], 1);
  cleanups.push(() => andns.stop());
  const ours = await resolveAll('127.0.0.1', andns.ports.get('127.0.0.1')!, names, internet.network);

  const tags = [...new Set([...ours.queriesByTag.keys(), ...theirs.queriesByTag.keys()])].sort();
  return {
    names: names.length,
    differences: compare(names, ours, theirs),
    diagnostics: [
      `${names.length} names; upstream queries: andns ${perName(ours, names.length)}, unbound ${perName(theirs, names.length)}`,
      `queries by tag (andns/unbound): ${tags.map((tag) => `${tag} ${ours.queriesByTag.get(tag) ?? 0}/${theirs.queriesByTag.get(tag) ?? 0}`).join(', ')}`,
    ],
    adAndns: 0,
    servfailAndns: 0,
  };
}

async function signed(): Promise<DiffResult> {
  // Signed around the wall clock: Unbound checks signature validity against its own.
  const internet = generateInternet({ seed: 13, zones: 120, signed: true });
  const host = await serveNetwork(internet.network, { port: 53 });
  cleanups.push(() => host.close());
  const dir = mkdtempSync(join(tmpdir(), 'andns-diff-signed-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'root.hints'), rootHintsText(internet.rootHints));
  writeFileSync(join(dir, 'root.ds'), internet.dnssec!.trustAnchor);
  // Every name of the DNSSEC zones, and a sample of the rest (each signing profile is in it).
  const names = [...internet.catalogue.filter((e) => e.tags.includes('dnssec')), ...sample(internet.catalogue.filter((e) => !e.tags.includes('dnssec')), 260)];

  const unbound = await startUnbound({ rootHintsText: rootHintsText(internet.rootHints), trustAnchors: internet.dnssec!.trustAnchor.trim().split('\n') });
  cleanups.push(() => unbound.stop());
  const theirs = await resolveAll(unbound.address, unbound.port, names, internet.network, true);

  const andns = await startServe(['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'root.hints'), '--trust-anchors', join(dir, 'root.ds'), '--upstream-port', '53', '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'warn'], 1);
  cleanups.push(() => andns.stop());
  const ours = await resolveAll('127.0.0.1', andns.ports.get('127.0.0.1')!, names, internet.network, true);

  const keys = names.map((e) => `${e.name} ${e.type}`);
  const count = (run: Run, what: RegExp): number => keys.filter((k) => what.test(run.summaries.get(k) ?? '')).length;
  return {
    names: names.length,
    differences: compare(names, ours, theirs),
    diagnostics: [
      `${names.length} names: AD set andns ${count(ours, / ad=true/)} / unbound ${count(theirs, / ad=true/)}; SERVFAIL andns ${count(ours, /^SERVFAIL/)} / unbound ${count(theirs, /^SERVFAIL/)}`,
      `upstream queries: andns ${perName(ours, names.length)}, unbound ${perName(theirs, names.length)}`,
    ],
    adAndns: count(ours, / ad=true/),
    servfailAndns: count(ours, /^SERVFAIL/),
  };
}

process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));
const which = process.argv[2];
try {
  const result = which === 'signed' ? await signed() : which === 'plain-qmin' ? await plain(true) : which === 'plain-no-qmin' ? await plain(false) : undefined;
  if (!result) throw new Error(`usage: diff_unbound-scenario.js plain-qmin | plain-no-qmin | signed (got ${which})`);
  await cleanUp();
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  await cleanUp();
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}
