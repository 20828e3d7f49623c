// Iterator hardening on the small hierarchy: QNAME minimisation, 0x20, EDNS fallback, server
// choice, refusal of special-use addresses, failure caching (RFC 9520), NXNS bounds, forwarding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import { smallWorld } from '../sim/small-world.ts';

const q = (qname: string, qtype = 1): ClientQuestion => ({
  qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true,
});
const first = (r: Resolution): string => {
  assert.ok(r.kind === 'answer', `expected an answer, got ${JSON.stringify(r)}`);
  return String(r.answer[0]!.data);
};

test('iter_qmin: each zone sees one label more than it serves, the last the full name (RFC 9156)', async () => {
  const w = smallWorld({}, {}, { qnameMinimisation: true });
  assert.equal(first(await w.resolver.resolve(q('www.example.com'))), '192.0.2.10');
  const seen = (n: string) => w.server(n).log.map((e) => `${e.qname.toLowerCase()}/${e.qtype}`);
  assert.deepEqual(seen('a.root'), ['./2', 'com/1']);
  assert.deepEqual(seen('ns.com'), ['example.com/1']);
  assert.deepEqual(seen('ns1.example.com'), ['www.example.com/1']);
});

test('iter_qmin: off, every server sees the full name', async () => {
  const w = smallWorld({}, {}, { qnameMinimisation: false });
  await w.resolver.resolve(q('www.example.com'));
  assert.deepEqual(w.server('ns.com').log.map((e) => e.qname.toLowerCase()), ['www.example.com']);
});

test('iter_0x20: query names carry random case; a server that does not echo it is asked in plain case', async () => {
  const w = smallWorld();
  for (let i = 0; i < 6; i++) await w.resolver.resolve(q(`only-a.example.com`, [1, 28, 15, 16, 2, 6][i]!));
  const names = w.net.servers().flatMap((s) => s.log.map((e) => e.qname)).filter((n) => n !== '.');
  assert.ok(names.some((n) => n !== n.toLowerCase()), 'some letters were upper-cased');
  assert.ok(names.some((n) => /[a-z]/.test(n)), 'and some were not');

  const broken = smallWorld({ 'ns1.example.com': { noCaseEcho: true } });
  assert.equal(first(await broken.resolver.resolve(q('www.example.com'))), '192.0.2.10');
  const log = broken.server('ns1.example.com').log;
  assert.equal(log.length, 2, 'one 0x20 query that failed, one in plain case');
  assert.equal(log[1]!.qname, 'www.example.com');
  await broken.resolver.resolve(q('only-a.example.com'));
  assert.equal(broken.server('ns1.example.com').log[2]!.qname, 'only-a.example.com', 'remembered per server');
});

test('iter_edns: an EDNS-intolerant server is asked again without EDNS, and remembered', async () => {
  const w = smallWorld({ 'ns1.example.com': { ednsIntolerant: true } });
  assert.equal(first(await w.resolver.resolve(q('www.example.com'))), '192.0.2.10');
  assert.equal(w.server('ns1.example.com').queries, 2);
  assert.equal(first(await w.resolver.resolve(q('only-a.example.com'))), '192.0.2.11');
  assert.equal(w.server('ns1.example.com').queries, 3);
});

test('iter_special_use: NS addresses on loopback are refused unless allowed', async () => {
  const w = smallWorld({}, {}, { allowLocalUpstream: false });
  const r = await w.resolver.resolve(q('www.example.com'));
  assert.equal(r.kind, 'servfail');
  assert.equal(w.net.totals().queries, 0);
});

test('iter_failure_cache: a zone whose servers all fail is not asked again for a few seconds (RFC 9520)', async () => {
  const w = smallWorld({ 'ns1.lame.com': { dead: true }, 'ns2.lame.com': { dead: true } });
  const r1 = await w.resolver.resolve(q('host.lame.com'));
  assert.ok(r1.kind === 'servfail' && r1.ede.code === 22);
  const after = w.net.totals().queries;
  const r2 = await w.resolver.resolve(q('other.lame.com'));
  assert.ok(r2.kind === 'servfail' && r2.ede.code === 13, 'EDE Cached Error');
  assert.equal(w.net.totals().queries, after);
  w.clock.advance(6_000);
  await w.resolver.resolve(q('host.lame.com'));
  assert.ok(w.net.totals().queries > after);
});

test('iter_server_choice: timeouts steer queries to the live server', async () => {
  const w = smallWorld({ 'ns1.lame.com': { dead: true } });
  for (let i = 0; i < 30; i++) {
    const r = await w.resolver.resolve(q(`n${i}.lame.com`));
    assert.equal(r.kind, 'nxdomain');
  }
  assert.ok(w.server('ns1.lame.com').queries <= 4, `dead server asked ${w.server('ns1.lame.com').queries} times`);
  assert.ok(w.server('ns2.lame.com').queries >= 30);
});

test('iter_nxns: a delegation to 100 glue-less NS names costs a bounded number of queries', async () => {
  const w = smallWorld();
  const r = await w.resolver.resolve(q('www.nxns.com'));
  assert.equal(r.kind, 'servfail');
  const total = w.net.totals().queries;
  assert.ok(total <= 20, `${total} upstream queries`);
});

test('iter_forward: a forward zone is asked with RD=1 instead of iterating', async () => {
  const w = smallWorld({}, {}, { forwardZones: [{ zone: 'example.com', addresses: ['127.53.2.1'] }] });
  assert.equal(first(await w.resolver.resolve(q('www.example.com'))), '192.0.2.10');
  assert.equal(w.server('a.root').queries, 0);
  assert.equal(w.server('ns1.example.com').queries, 1);
});

test('iter_any: ANY is answered minimally with a synthesised HINFO (RFC 8482)', async () => {
  const w = smallWorld();
  const r = await w.resolver.resolve(q('www.example.com', 255));
  assert.ok(r.kind === 'answer');
  assert.equal(r.answer[0]!.type, 'HINFO');
  assert.equal(w.net.totals().queries, 0);
});

test('iter_cookies: a client cookie goes to every server; a learnt server cookie comes back (RFC 7873)', async () => {
  const w = smallWorld();
  w.server('ns1.example.com').cookies = true;
  await w.resolver.resolve(q('www.example.com'));
  await w.resolver.resolve(q('only-a.example.com'));
  const sent = w.server('ns1.example.com').log.map((e) => e.cookie ?? '');
  assert.equal(sent[0]!.length, 16, 'first query: the 8-octet client cookie alone');
  assert.equal(sent[1]!.length, 32, 'then client + server cookie');
  assert.equal(sent[1]!.slice(0, 16), sent[0]);
  const other = w.server('ns.com').log.map((e) => e.cookie ?? '');
  assert.ok(other.every((c) => c.length === 16), 'servers without cookies get the client cookie only');
  assert.notEqual(other[0], sent[0], 'each server sees a different client cookie');
});

test('iter_cookies: replies with someone else\'s client cookie, or none once supported, are discarded', async () => {
  const w = smallWorld({ 'ns1.lame.com': { cookie: 'wrongClient' } });
  w.server('ns1.lame.com').cookies = true;
  for (let i = 0; i < 4; i++) assert.equal(first(await w.resolver.resolve(q('host.lame.com', 1))), '192.0.2.30');

  const v = smallWorld();
  v.server('ns1.example.com').cookies = true;
  assert.equal(first(await v.resolver.resolve(q('www.example.com'))), '192.0.2.10');
  v.server('ns1.example.com').faults.cookie = 'drop';
  const r = await v.resolver.resolve(q('only-a.example.com'));
  assert.equal(r.kind, 'servfail', 'a cookie-less reply from a cookie server is treated as forged');
});

test('iter_lame_memory: a server found lame for a zone is asked last for that zone afterwards', async () => {
  const w = smallWorld({ 'ns1.lame.com': { lame: true } });
  for (let i = 0; i < 20; i++) assert.equal((await w.resolver.resolve(q(`n${i}.lame.com`))).kind, 'nxdomain');
  assert.ok(w.server('ns1.lame.com').queries <= 5, `lame server asked ${w.server('ns1.lame.com').queries} times`);
});

test('iter_qmin: a minimised name known from the cache is not asked again', async () => {
  const w = smallWorld({}, {}, { qnameMinimisation: true });
  assert.equal((await w.resolver.resolve(q('ent.example.com'))).kind, 'nodata');
  const before = w.server('ns1.example.com').log.length;
  assert.equal(first(await w.resolver.resolve(q('deep.ent.example.com'))), '192.0.2.13');
  const asked = w.server('ns1.example.com').log.slice(before).map((e) => e.qname.toLowerCase());
  assert.deepEqual(asked, ['deep.ent.example.com'], 'the cached NODATA at ent.example.com spares a query');
});

test('iter_qmin: a minimised NXDOMAIN is not believed, but the full name is asked next time at once', async () => {
  const w = smallWorld({}, {}, { qnameMinimisation: true });
  assert.equal((await w.resolver.resolve(q('www.nxns.com'))).kind, 'servfail');
  const asked = w.server('ns.net').log.map((e) => e.qname.toLowerCase()).filter((n) => n.endsWith('nowhere.net'));
  // Two glue-less lookups start together, so at most two minimised queries; six before the fix.
  assert.ok(asked.filter((n) => n === 'nowhere.net').length <= 2, `minimised name asked again and again: ${asked.join(' ')}`);
  assert.ok(asked.every((n) => n === 'nowhere.net' || /^ns\d+\.nowhere\.net$/.test(n)));
});
