// Admission rules on hand-built packets: drop, FORMERR, NOTIMP, REFUSED, BADVERS, or resolve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, BADVERS } from '../../src/server/admit.ts';
import { Rcode } from '../../src/dns/constants.ts';
import { rawQuery } from './server-packets.ts';

function outcome(message: Buffer): string {
  const a = admit(message);
  return a.kind === 'error' ? `error ${a.rcode}` : a.kind;
}

test('a message too short for a header, or a response (QR=1), is dropped (RFC 1035 §4.1.1)', () => {
  assert.equal(outcome(Buffer.alloc(0)), 'drop');
  assert.equal(outcome(Buffer.alloc(11)), 'drop');
  assert.equal(outcome(rawQuery({ flags: 0x8100 })), 'drop');
  assert.equal(outcome(rawQuery({ flags: 0x8000 | (4 << 11) })), 'drop'); // a NOTIFY response
});

test('QDCOUNT other than 1 and an unreadable question get FORMERR without a question', () => {
  for (const qdcount of [0, 2]) {
    const a = admit(rawQuery({ qdcount }));
    assert.equal(a.kind === 'error' && a.rcode, Rcode.FORMERR);
    assert.equal(a.kind === 'error' && a.query, undefined);
  }
  const cut = rawQuery().subarray(0, 16); // label runs past the end
  assert.equal(outcome(cut), `error ${Rcode.FORMERR}`);
  const noType = rawQuery().subarray(0, 12 + 13 + 2);
  assert.equal(outcome(noType), `error ${Rcode.FORMERR}`);
});

test('opcodes other than QUERY get NOTIMP, even with a question andns could read', () => {
  for (const opcode of [1, 2, 4, 5, 15]) assert.equal(outcome(rawQuery({ flags: opcode << 11 })), `error ${Rcode.NOTIMP}`);
  // UPDATE (RFC 2136) with a zone count of 2 is NOTIMP, not FORMERR: the opcode is judged first.
  assert.equal(outcome(rawQuery({ flags: 5 << 11, qdcount: 2 })), `error ${Rcode.NOTIMP}`);
});

test('classes other than IN are REFUSED with EDE "Not Supported" (21)', () => {
  for (const qclass of [3, 4, 255]) {
    const a = admit(rawQuery({ qclass }));
    assert.ok(a.kind === 'error');
    assert.equal(a.rcode, Rcode.REFUSED);
    assert.equal(a.ede?.code, 21);
    assert.ok(a.query, 'the question is echoed');
  }
});

test('EDNS version above 0 gets BADVERS (RFC 6891 §6.1.3)', () => {
  const a = admit(rawQuery({ edns: { version: 1 } }));
  assert.ok(a.kind === 'error');
  assert.equal(a.rcode, BADVERS);
  assert.equal(outcome(rawQuery({ edns: { version: 0 } })), 'resolve');
});

test('zone transfers (AXFR 252, IXFR 251) are REFUSED', () => {
  assert.equal(outcome(rawQuery({ qtype: 252 })), `error ${Rcode.REFUSED}`);
  assert.equal(outcome(rawQuery({ qtype: 251 })), `error ${Rcode.REFUSED}`);
});

test('an ordinary query goes to resolution with its question read', () => {
  const a = admit(rawQuery({ name: 'WwW.Example.COM', qtype: 28, edns: { udpSize: 4096, dnssecOk: true } }));
  assert.ok(a.kind === 'resolve');
  assert.equal(a.query.qname, 'www.example.com');
  assert.equal(a.query.qtype, 28);
  assert.deepEqual(a.query.edns, { udpSize: 4096, version: 0, dnssecOk: true });
  // RD=0 is still admitted: it is answered from the cache only.
  assert.equal(outcome(rawQuery({ flags: 0 })), 'resolve');
});

test('a name holding octets outside printable ASCII is read (RFC 2181 §11), then REFUSED with EDE 21: the resolver path is not byte-true yet', () => {
  const header = Buffer.from([0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const msg = Buffer.concat([header, Buffer.from([2, 0xf4, 0x61, 4, 0x74, 0x65, 0x73, 0x74, 0]), Buffer.from([0, 1, 0, 1])]);
  const a = admit(msg);
  assert.equal(a.kind, 'error');
  assert.equal(a.kind === 'error' && a.rcode, Rcode.REFUSED);
  assert.equal(a.kind === 'error' && a.ede?.code, 21);
  assert.equal(a.kind === 'error' && a.query?.qname, '\\244a.test', 'the question was read, not FORMERR');
});
