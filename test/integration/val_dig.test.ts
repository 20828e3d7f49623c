// The real `andns serve` validating the signed simulated internet (its root DS given with
// --trust-anchors), queried with dig +dnssec and kdig +dnssec: AD and RRSIGs on secure names,
// no AD on insecure ones, SERVFAIL with the EDE for bogus ones, and +cd for the bogus data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInternet, rootHintsText } from '../sim/internet.ts';
import { serveNetwork, type SocketHost } from '../sim/socket-host.ts';
import { dig, haveBinary, startServe, type ServeProcess } from './frontend-process.ts';

const internet = generateInternet({ seed: 5, zones: 16, signed: true });
const dir = mkdtempSync(join(tmpdir(), 'andns-val-dig-'));
let host: SocketHost;
let andns: ServeProcess;
const clients: ('dig' | 'kdig')[] = [];

before(async () => {
  if (await haveBinary('dig', '-v')) clients.push('dig');
  if (await haveBinary('kdig', '--version')) clients.push('kdig');
  host = await serveNetwork(internet.network);
  writeFileSync(join(dir, 'sim.hints'), rootHintsText(internet.rootHints));
  writeFileSync(join(dir, 'sim.ds'), internet.dnssec!.trustAnchor);
  andns = await startServe(
    ['--listen', '127.0.0.1:0', '--root-hints', join(dir, 'sim.hints'), '--trust-anchors', join(dir, 'sim.ds'), '--upstream-port', String(host.port), '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'warn'],
    1,
  );
});

after(async () => {
  await andns?.stop();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (): string[] => ['@127.0.0.1', '-p', String(andns.ports.get('127.0.0.1')!)];
const secure = (): string => internet.catalogue.find((e) => e.type === 'A' && e.dnssec?.status === 'secure' && e.tags.includes('glue'))!.name;
const insecure = (): string => internet.catalogue.find((e) => e.type === 'A' && e.dnssec?.status === 'insecure' && e.rcode === 'NOERROR')!.name;

test('val_dig: +dnssec on a secure name shows the ad flag and the RRSIG', async (t) => {
  if (clients.length === 0) return t.skip('neither dig nor kdig is installed');
  for (const client of clients) {
    const r = await dig(client, [...at(), '+dnssec', secure(), 'A']);
    assert.equal(r.status, 'NOERROR', `${client}\n${r.raw}`);
    assert.ok(r.flags.includes('ad'), `${client}: flags ${r.flags.join(' ')}`);
    assert.ok(/\sRRSIG\s+A\s/.test(r.raw), `${client}: an RRSIG over the A RRset\n${r.raw}`);
    const plain = await dig(client, [...at(), '+nodnssec', '+noadflag', secure(), 'A']);
    assert.ok(!plain.flags.includes('ad') && !/\sRRSIG\s/.test(plain.raw), `${client}: no AD, no RRSIG without DO or AD\n${plain.raw}`);
  }
});

test('val_dig: an insecure name has no ad flag; an NXDOMAIN in a signed zone shows its NSEC/NSEC3 proof', async (t) => {
  if (clients.length === 0) return t.skip('neither dig nor kdig is installed');
  for (const client of clients) {
    const r = await dig(client, [...at(), '+dnssec', insecure(), 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.ok(!r.flags.includes('ad'), `${client}: ${r.flags.join(' ')}`);
    const nx = internet.catalogue.find((e) => e.rcode === 'NXDOMAIN' && e.dnssec?.status === 'secure')!;
    const n = await dig(client, [...at(), '+dnssec', nx.name, 'A']);
    assert.equal(n.status, 'NXDOMAIN');
    assert.ok(n.flags.includes('ad'), `${client}: ${n.flags.join(' ')}`);
    assert.ok(/\sNSEC3?\s/.test(n.raw) && /\sRRSIG\s+NSEC3?\s/.test(n.raw), `${client}: signed denial\n${n.raw}`);
  }
});

test('val_dig: a bogus name is SERVFAIL with the Extended DNS Error; +cd returns its data', async (t) => {
  if (clients.length === 0) return t.skip('neither dig nor kdig is installed');
  for (const client of clients) {
    const r = await dig(client, [...at(), '+dnssec', 'www.sig-expired.test', 'A']);
    assert.equal(r.status, 'SERVFAIL', r.raw);
    assert.match(r.ede ?? r.raw, /\b7\b.*Signature Expired/i, `${client}\n${r.raw}`);
    const k = await dig(client, [...at(), '+dnssec', 'www.ds-mismatch.test', 'A']);
    assert.match(k.ede ?? k.raw, /\b9\b.*DNSKEY Missing/i, `${client}\n${k.raw}`);
    const cd = await dig(client, [...at(), '+dnssec', '+cd', 'www.sig-expired.test', 'A']);
    assert.equal(cd.status, 'NOERROR', cd.raw);
    assert.ok(!cd.flags.includes('ad') && cd.answer.some((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)), `${client}\n${cd.raw}`);
    // The CD=1 answer must not reach a later CD=0 client through any cache layer (serve-stale included).
    const after = await dig(client, [...at(), '+dnssec', 'www.sig-expired.test', 'A']);
    assert.equal(after.status, 'SERVFAIL', `${client}\n${after.raw}`);
  }
});
