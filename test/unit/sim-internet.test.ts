// Tests for the generated internet: determinism, address plan, and a catalogue that is true.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSubdomain } from '../../src/dns/name.ts';
import { generateInternet, rootHintsText } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { decodeReply, makeQuery, rdataText } from '../sim/probe.ts';
import { ReferenceResolver } from '../sim/reference-resolver.ts';
import { parseZone } from '../sim/zone.ts';

test('the same seed gives the same internet; another seed another one', () => {
  const texts = (seed: number) => [...generateInternet({ seed, zones: 40 }).zones.values()].map((z) => z.text).join('\n');
  assert.equal(texts(5), texts(5));
  assert.notEqual(texts(5), texts(6));
  assert.deepEqual(generateInternet({ seed: 5, zones: 40 }).catalogue, generateInternet({ seed: 5, zones: 40 }).catalogue);
});

test('address plan: roots at 127.53.0.1-3, TLDs in 127.53.1/24, every server unique in 127.53/16', () => {
  const net = generateInternet({ zones: 300 });
  assert.deepEqual(net.rootHints.map((h) => h.addresses[0]), ['127.53.0.1', '127.53.0.2', '127.53.0.3']);
  const addresses = net.network.servers().map((s) => s.address);
  assert.equal(new Set(addresses).size, addresses.length);
  assert.ok(addresses.every((a) => /^127\.53\.\d+\.\d+$/.test(a) && !a.endsWith('.0') && !a.endsWith('.255')));
  assert.ok(net.network.get('127.53.1.1')!.zones.some((z) => z.apex === 'com'));
  assert.ok(net.zones.size > 300);
});

test('root hints text parses back to the hints (named.root format)', () => {
  const { rootHints } = generateInternet({ zones: 5 });
  const records = parseZone(rootHintsText(rootHints)).records;
  assert.deepEqual(
    records.filter((r) => r.type === 'NS').map((r) => r.data),
    rootHints.map((h) => h.name),
  );
  assert.deepEqual(
    records.filter((r) => r.type === 'A').map((r) => [r.name, r.data]),
    rootHints.map((h) => [h.name, h.addresses[0]]),
  );
});

test('the catalogue covers every feature the resolver tests need', () => {
  const tags = new Set(generateInternet({ zones: 300 }).catalogue.flatMap((e) => e.tags));
  const wanted = ['glue', 'glueless', 'cname', 'chain-1', 'chain-2', 'chain-3', 'wildcard', 'ent', 'nxdomain', 'nodata', 'mx', 'txt', 'lame', 'dead', 'tcp', 'wrong-id', 'poison', 'ns-loop', 'cname-loop', 'long-chain', 'nxns', 'dname'];
  for (const t of wanted) assert.ok(tags.has(t), `missing ${t}`);
});

test('the poisoning server injects only records outside its own zone, marked by the poison address', async () => {
  const net = generateInternet({ zones: 20 });
  assert.ok(net.poison.records.length >= 5);
  assert.ok(net.poison.records.every((r) => !isSubdomain(r.name, net.special.poisoner)));
  const server = net.zones.get(net.special.poisoner)!.servers[0]!;
  const reply = decodeReply(server.handle(makeQuery(`www.${net.special.poisoner}`, 'A', { udpSize: 1232 }), 'udp')!);
  assert.ok(reply.answers.some((r) => r.data === net.poison.address));
  assert.ok(reply.additionals.some((r) => r.data === net.poison.address));
  assert.ok(reply.authorities.some((r) => r.type === 'NS'));
});

test('every catalogue entry is what an iterative walk from the root finds', async () => {
  const net = generateInternet({ zones: 300 });
  const resolver = new ReferenceResolver(new MemoryTransport(net.network), net.rootHints);
  const wrong: string[] = [];
  for (const e of net.catalogue) {
    const got = await resolver.resolve(e.name, e.type);
    const types = got.answers.map((r) => r.type);
    const rdata = got.answers.filter((r) => r.type === e.type).map(rdataText).sort();
    const ok =
      got.rcode === e.rcode &&
      (e.answerTypes === undefined || JSON.stringify(types) === JSON.stringify(e.answerTypes)) &&
      (e.rdata === undefined || JSON.stringify(rdata) === JSON.stringify([...e.rdata].sort()));
    if (!ok) wrong.push(`${e.name} ${e.type}: want ${e.rcode} ${e.answerTypes} ${e.rdata}, got ${got.rcode} ${types} ${rdata}`);
  }
  assert.deepEqual(wrong, []);
  // Faulty servers were met on the way: the dead one counted queries it never answered.
  assert.ok(net.zones.get(net.special.allDead)!.servers.every((s) => s.queries > 0));
  assert.ok(net.zones.get(net.special.truncating)!.servers.some((s) => s.tcp > 0));
});
