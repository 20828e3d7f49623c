// Tests for simulated servers' faults and counters, and the in-memory transport's acceptance rules.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExchangeError } from '../../src/resolver/upstream.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { decodeReply, makeQuery, show } from '../sim/probe.ts';
import { type Faults, SimNetwork, SimServer } from '../sim/server.ts';
import { parseZone, rr } from '../sim/zone.ts';

const zone = parseZone(`
$ORIGIN example.
@    SOA ns1 hostmaster 1 7200 900 1209600 300
@    NS  ns1
ns1  A   127.0.0.53
www  A   192.0.2.1
`);

function server(faults: Faults = {}): SimServer {
  return new SimServer({ name: 'ns1.example', address: '127.0.0.53', zones: [zone], faults });
}

function handle(s: SimServer, name = 'www.example', protocol: 'udp' | 'tcp' = 'udp') {
  const reply = s.handle(makeQuery(name, 'A', { id: 77, udpSize: 1232 }), protocol);
  return reply && decodeReply(reply);
}

test('servers live in 127.0.0.0/8 only', () => {
  assert.throws(() => new SimServer({ name: 'x', address: '192.0.2.1', zones: [] }), /127\.0\.0\.0\/8/);
});

test('a healthy server answers; lame answers REFUSED; servfail answers SERVFAIL; dead says nothing', () => {
  assert.deepEqual(show(handle(server())!.answers), ['www.example A 192.0.2.1']);
  assert.deepEqual([handle(server({ lame: true }))!.rcode, handle(server({ lame: true }))!.aa], ['REFUSED', false]);
  assert.equal(handle(server({ servfail: true }))!.rcode, 'SERVFAIL');
  assert.equal(handle(server({ dead: true })), undefined);
});

test('truncate: TC=1 and empty over UDP, the full answer over TCP', () => {
  const s = server({ truncate: true });
  const udp = handle(s)!;
  assert.deepEqual([udp.tc, udp.answers.length], [true, 0]);
  const tcp = handle(s, 'www.example', 'tcp')!;
  assert.deepEqual([tcp.tc, tcp.answers.length], [false, 1]);
});

test('wrongId and wrongQuestion change what a resolver must check', () => {
  assert.equal(handle(server({ wrongId: true }))!.id, 78);
  const q = makeQuery('www.example', 'A', { id: 77 });
  const reply = server({ wrongQuestion: true }).handle(q, 'udp')!;
  assert.notDeepEqual(reply.subarray(12, 12 + 17), q.subarray(12, 12 + 17));
});

test('poison appends the given out-of-bailiwick records to each section', () => {
  const poison = {
    answer: [rr('www.victim.test. 86400 A 127.66.6.6')],
    authority: [rr('test. 86400 NS ns.evil.example.')],
    additional: [rr('ns.evil.example. 86400 A 127.66.6.6')],
  };
  const r = handle(server({ poison }))!;
  assert.deepEqual(show(r.answers), ['www.example A 192.0.2.1', 'www.victim.test A 127.66.6.6']);
  assert.deepEqual(show(r.authorities), ['test NS ns.evil.example']);
  assert.deepEqual(show(r.additionals), ['ns.evil.example A 127.66.6.6']);
});

test('notAuth: noAA clears AA; upward refers to the root', () => {
  const noAA = handle(server({ notAuth: 'noAA' }))!;
  assert.deepEqual([noAA.aa, noAA.answers.length], [false, 1]);
  const up = handle(server({ notAuth: 'upward' }))!;
  assert.deepEqual([up.aa, up.answers.length, show(up.authorities)], [false, 0, ['. NS ns1.example']]);
});

test('counters: totals, by protocol, and a log with the qname as received; reset', () => {
  const s = server({ dead: true });
  const other = new SimServer({ name: 'b', address: '127.0.0.54', zones: [zone] });
  const network = new SimNetwork();
  network.add(s);
  network.add(other);
  assert.throws(() => network.add(new SimServer({ name: 'c', address: '127.0.0.54', zones: [] })), /taken/);
  handle(s, 'WwW.eXample');
  handle(s, 'www.example', 'tcp');
  handle(other);
  assert.deepEqual([s.queries, s.udp, s.tcp], [2, 1, 1]);
  assert.deepEqual(s.log, [
    { qname: 'WwW.eXample', qtype: 1, protocol: 'udp' },
    { qname: 'www.example', qtype: 1, protocol: 'tcp' },
  ]);
  assert.deepEqual(network.totals(), { queries: 3, udp: 2, tcp: 1 });
  assert.equal(network.get('127.0.0.54'), other);
  assert.equal(network.byName('b'), other);
  network.reset();
  assert.deepEqual([s.queries, s.log.length, network.totals().queries], [0, 0, 0]);
});

function rig(faults: Faults = {}) {
  const network = new SimNetwork();
  const s = network.add(new SimServer({ name: 'ns1.example', address: '127.0.0.53', zones: [zone], faults }));
  return { s, transport: new MemoryTransport(network, { port: 53 }) };
}

function exchange(t: MemoryTransport, o: { address?: string; port?: number; protocol?: 'udp' | 'tcp'; name?: string } = {}) {
  const query = makeQuery(o.name ?? 'wWw.Example', 'A', { id: 9, udpSize: 1232 });
  return t.exchange({ address: o.address ?? '127.0.0.53', port: o.port ?? 53, query, protocol: o.protocol ?? 'udp', timeoutMs: 1000 });
}

async function rejectsWithTimeout(p: Promise<Buffer>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ExchangeError && e.kind === 'timeout');
}

test('memory transport: a matching reply is returned, with the 0x20 case echoed', async () => {
  const { s, transport } = rig();
  const reply = await exchange(transport);
  assert.equal(reply.subarray(12, 16).toString('latin1'), '\x03wWw');
  assert.deepEqual([s.queries, transport.exchanges], [1, 1]);
});

test('memory transport: nobody there, a dead server, a wrong port → immediate timeout', async () => {
  const { s, transport } = rig({ dead: true });
  await rejectsWithTimeout(exchange(transport, { address: '127.9.9.9' }));
  await rejectsWithTimeout(exchange(transport));
  assert.equal(s.queries, 1, 'the dead server still counts the query');
  await rejectsWithTimeout(exchange(transport, { port: 5353 }));
  assert.equal(s.queries, 1);
});

test('memory transport: replies that do not match (ID, question) are never accepted', async () => {
  await rejectsWithTimeout(exchange(rig({ wrongId: true }).transport));
  await rejectsWithTimeout(exchange(rig({ wrongQuestion: true }).transport));
});

test('memory transport: UDP vs TCP is honoured, and a reply slower than the timeout times out', async () => {
  const { transport } = rig({ truncate: true });
  assert.equal(decodeReply(await exchange(transport)).tc, true);
  assert.equal(decodeReply(await exchange(transport, { protocol: 'tcp' })).answers.length, 1);
  await rejectsWithTimeout(exchange(rig({ delayMs: 5000 }).transport));
  assert.equal(decodeReply(await exchange(rig({ delayMs: 10 }).transport)).answers.length, 1);
});
