// Header/question peeking and reply matching on hand-built bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { peekQuery, readName, replyMatches } from '../../src/dns/wire.ts';

const query = (over: Partial<dnsPacket.Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'query', id: 4660, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'WwW.Example.COM', type: 'A', class: 'IN' }], ...over });

test('peekQuery reads ID, canonical qname, type, class and the end of the question', () => {
  const buf = query();
  const r = peekQuery(buf);
  assert.ok(r.ok);
  assert.equal(r.query.id, 4660);
  assert.equal(r.query.qname, 'www.example.com');
  assert.equal(r.query.qtype, 1);
  assert.equal(r.query.qclass, 1);
  assert.equal(r.query.questionEnd, buf.length);
  assert.equal(r.query.edns, undefined);
});

test('peekQuery finds the OPT record: buffer size, version and DO bit', () => {
  const r = peekQuery(query({ additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1400, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer] }));
  assert.ok(r.ok);
  assert.deepEqual(r.query.edns, { udpSize: 1400, version: 0, dnssecOk: true });
});

test('peekQuery drops runts and responses, FORMERRs bad question counts and double OPT', () => {
  assert.deepEqual(peekQuery(Buffer.alloc(5)), { ok: false, action: 'drop' });
  const response = query();
  response[2]! |= 0x80;
  assert.deepEqual(peekQuery(response), { ok: false, action: 'drop' });
  const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a', type: 'A' }, { name: 'b', type: 'A' }] });
  const r2 = peekQuery(two);
  assert.equal(r2.ok, false);
  assert.equal(!r2.ok && r2.action, 'formerr');
  const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer;
  const r3 = peekQuery(query({ additionals: [opt, opt] }));
  assert.equal(!r3.ok && r3.action, 'formerr');
  const cut = query().subarray(0, 20);
  assert.equal(((r) => !r.ok && r.action)(peekQuery(cut)), 'formerr');
});

test('readName rejects forward and looping compression pointers', () => {
  const loop = Buffer.from([0xc0, 0x00]);
  assert.throws(() => readName(loop, 0), /backwards/);
  const buf = Buffer.concat([Buffer.from([3, 0x61, 0x62, 0x63, 0]), Buffer.from([1, 0x78, 0xc0, 0x00])]);
  assert.deepEqual(readName(buf, 5), { name: 'x.abc', end: 9 });
});

test('readName refuses labels with dots, backslashes or control bytes (ambiguous text form)', () => {
  assert.throws(() => readName(Buffer.from([3, 0x61, 0x2e, 0x62, 0]), 0));
  assert.throws(() => readName(Buffer.from([2, 0x61, 0x00, 0]), 0));
});

test('replyMatches needs the same ID, QR and case-exact question', () => {
  const q = query();
  const reply = Buffer.from(q);
  reply[2]! |= 0x80;
  assert.equal(replyMatches(q, reply), true);
  const otherId = Buffer.from(reply);
  otherId[1] = otherId[1]! ^ 1;
  assert.equal(replyMatches(q, otherId), false);
  const notResponse = Buffer.from(q);
  assert.equal(replyMatches(q, notResponse), false);
  const lower = dnsPacket.encode({ type: 'response', id: 4660, questions: [{ name: 'www.example.com', type: 'A' }] });
  assert.equal(replyMatches(q, lower), false, '0x20: case must match exactly');
});
