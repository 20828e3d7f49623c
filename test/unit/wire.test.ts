// Header/question peeking and reply matching on hand-built bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
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

test('readName takes any octet in a label (RFC 2181 §11) and writes the unprintable, "." and "\\" as \\DDD', () => {
  assert.deepEqual(readName(Buffer.from([3, 0x61, 0x2e, 0x62, 0]), 0), { name: 'a\\046b', end: 5 });
  assert.deepEqual(readName(Buffer.from([2, 0x61, 0x00, 0]), 0), { name: 'a\\000', end: 4 });
  assert.deepEqual(readName(Buffer.from([3, 0xf4, 0x5c, 0x41, 1, 0x20, 0]), 0), { name: '\\244\\092a.\\032', end: 7 });
});

/** A query with `tail` appended after the question (and the OPT, when `opt` is given). */
function withTail(opt: Buffer | undefined, tail: Buffer): Buffer {
  const q = query();
  if (opt) q.writeUInt16BE(1, 10);
  return Buffer.concat([q, opt ?? Buffer.alloc(0), tail]);
}

/** An OPT record (RFC 6891 §6.1.2) holding `options` as RDATA. */
function optRecord(options: Buffer): Buffer {
  const head = Buffer.alloc(11);
  head.writeUInt16BE(41, 1);
  head.writeUInt16BE(1232, 3);
  head.writeUInt16BE(options.length, 9);
  return Buffer.concat([head, options]);
}

function option(code: number, length: number): Buffer {
  const o = Buffer.alloc(4 + length, 0x5a);
  o.writeUInt16BE(code, 0);
  o.writeUInt16BE(length, 2);
  return o;
}

const reason = (buf: Buffer): string => {
  const r = peekQuery(buf);
  return r.ok ? 'ok' : r.action === 'formerr' ? r.reason : 'drop';
};

test('strict peek: a compression pointer in the question is FORMERR (RFC 1035 §4.1.4), even one pointing into the header', () => {
  const q = query();
  // www.example.com → "www" then a pointer to offset 4 (inside the header).
  const pointed = Buffer.concat([q.subarray(0, 16), Buffer.from([0xc0, 0x04]), q.subarray(q.length - 4)]);
  assert.match(reason(pointed), /compression pointer in the question/);
  const toRoot = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0x0b]), q.subarray(q.length - 4)]);
  assert.match(reason(toRoot), /compression pointer in the question/);
});

test('strict peek: bytes after the last record are FORMERR (RFC 1035 §4.1)', () => {
  assert.equal(reason(withTail(undefined, Buffer.alloc(0))), 'ok');
  assert.match(reason(withTail(undefined, Buffer.from([0]))), /1 bytes after the last record/);
  assert.match(reason(withTail(optRecord(Buffer.alloc(0)), Buffer.from('junk'))), /4 bytes after the last record/);
});

test('strict peek: COOKIE options of a bad length are FORMERR (RFC 7873 §5.2.2); 8 and 16..40 pass', () => {
  for (const ok of [8, 16, 24, 40]) assert.equal(reason(withTail(optRecord(option(10, ok)), Buffer.alloc(0))), 'ok', `${ok}`);
  for (const bad of [0, 7, 9, 15, 41, 64]) assert.match(reason(withTail(optRecord(option(10, bad)), Buffer.alloc(0))), /COOKIE option of/, `${bad}`);
  // Other options of any length are fine; one that runs past the record is not (RFC 6891 §6.1.2).
  assert.equal(reason(withTail(optRecord(Buffer.concat([option(12, 0), option(65001, 3)])), Buffer.alloc(0))), 'ok');
  assert.match(reason(withTail(optRecord(Buffer.from([0, 12, 0, 9, 0])), Buffer.alloc(0))), /runs past its record/);
  assert.match(reason(withTail(optRecord(Buffer.from([0, 12])), Buffer.alloc(0))), /header runs past/);
});

test('fuzz: a query with trailing bytes, a bad COOKIE length or a question pointer never peeks ok', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(64), fc.nat(0x3fff), (tail, cookie, target) => {
      assert.notEqual(reason(withTail(undefined, Buffer.from(tail))), 'ok');
      const cookieOk = cookie === 8 || (cookie >= 16 && cookie <= 40);
      assert.equal(reason(withTail(optRecord(option(10, cookie)), Buffer.alloc(0))) === 'ok', cookieOk);
      const q = query();
      const pointed = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0 | (target >> 8), target & 0xff]), q.subarray(q.length - 4)]);
      assert.notEqual(reason(pointed), 'ok');
    }),
    { numRuns: 2_000 },
  );
});

test('fuzz: any octets in labels peek ok, and the canonical name maps back to exactly those octets (lower-cased)', () => {
  const unescape = (name: string): Buffer[] =>
    name === '.' ? [] : name.split('.').map((l) => Buffer.from(l.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d))), 'latin1'));
  const lower = (b: Buffer): Buffer => Buffer.from(b.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)));
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 6 }), (labels) => {
      const wire = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
      const header = Buffer.from([0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      const r = peekQuery(Buffer.concat([header, wire, Buffer.from([0, 1, 0, 1])]));
      assert.ok(r.ok);
      assert.deepEqual(unescape(r.query.qname), labels.map((l) => lower(Buffer.from(l))));
    }),
    { numRuns: 2_000 },
  );
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
