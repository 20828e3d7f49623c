// The shared pipeline with a test double for the resolver: reply header, echoed question,
// EDNS, Extended DNS Errors, truncation, and SERVFAIL instead of a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Rcode } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { silentLogger } from '../../src/util/log.ts';
import { questionEndOf, rawQuery, readReply } from './server-packets.ts';

const a = (name: string, address: string, ttl = 300): RR => ({ name, type: 'A', class: 'IN', ttl, data: address });
const soa: RR = {
  name: 'example.com', type: 'SOA', class: 'IN', ttl: 300,
  data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 300 },
};

/** A resolver double: answers from a table keyed by qname, and records what it was asked. */
function fakeResolver(table: Record<string, Resolution | (() => Promise<Resolution>)>) {
  const asked: ClientQuestion[] = [];
  const resolve = async (q: ClientQuestion): Promise<Resolution> => {
    asked.push(q);
    const entry = table[q.qname];
    if (entry === undefined) throw new Error(`no entry for ${q.qname}`);
    return typeof entry === 'function' ? entry() : entry;
  };
  return { asked, pipeline: createPipeline({ resolve, log: silentLogger }) };
}

const many = Array.from({ length: 60 }, (_, i) => a('big.example.com', `192.0.2.${i}`));
const { asked, pipeline } = fakeResolver({
  'www.example.com': { kind: 'answer', answer: [a('www.example.com', '192.0.2.1')], authority: [] },
  'big.example.com': { kind: 'answer', answer: many, authority: [] },
  'gone.example.com': { kind: 'nxdomain', answer: [], authority: [soa] },
  'broken.example.com': { kind: 'servfail', ede: { code: 22, text: 'no reachable authority' }, reason: 'all servers timed out' },
  'denied.example.com': { kind: 'refused', ede: { code: 18, text: 'prohibited' }, reason: 'acl' },
  'bug.example.com': () => Promise.reject(new TypeError('boom')),
});

test('reply echoes the ID, sets QR and RA, copies RD and CD, and leaves AA clear', async () => {
  const reply = (await pipeline.handle(rawQuery({ id: 0xbeef, flags: 0x0110, name: 'www.example.com' }), 1232))!;
  const r = readReply(reply);
  assert.equal(r.id, 0xbeef);
  assert.ok(r.qr && r.ra && r.rd && r.cd);
  assert.ok(!r.aa && !r.tc);
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.equal(r.ancount, 1);
  const noRd = readReply((await pipeline.handle(rawQuery({ flags: 0, name: 'www.example.com' }), 1232))!);
  assert.ok(!noRd.rd && !noRd.cd && noRd.ra);
  assert.equal(asked.at(-1)!.recursionDesired, false);
});

test('the question bytes are echoed verbatim, mixed case included (0x20)', async () => {
  const query = rawQuery({ name: 'wWw.ExAmPle.CoM' });
  const reply = (await pipeline.handle(query, 1232))!;
  const end = questionEndOf('wWw.ExAmPle.CoM');
  assert.deepEqual(reply.subarray(12, end), query.subarray(12, end));
  assert.equal(asked.at(-1)!.qname, 'www.example.com', 'the resolver sees the canonical name');
  const decoded = dnsPacket.decode(reply);
  assert.equal(decoded.answers![0]!.type === 'A' && decoded.answers![0]!.data, '192.0.2.1');
});

test('OPT only when the client sent one: size 1232, DO echoed, version 0', async () => {
  const plain = readReply((await pipeline.handle(rawQuery({ name: 'gone.example.com' }), 1232))!);
  assert.equal(plain.arcount, 0);
  const withDo = (await pipeline.handle(rawQuery({ name: 'gone.example.com', edns: { udpSize: 4096, dnssecOk: true } }), 1232))!;
  const decoded = dnsPacket.decode(withDo) as dnsPacket.DecodedPacket & { rcode: string };
  assert.equal(decoded.rcode, 'NXDOMAIN');
  assert.equal(decoded.authorities!.length, 1);
  const opt = decoded.additionals![0] as unknown as { type: string; udpPayloadSize: number; flags: number; ednsVersion: number };
  assert.equal(opt.type, 'OPT');
  assert.equal(opt.udpPayloadSize, 1232);
  assert.equal(opt.ednsVersion, 0);
  assert.equal(opt.flags & 0x8000, 0x8000);
  assert.equal(asked.at(-1)!.dnssecOk, true);
  const noDo = dnsPacket.decode((await pipeline.handle(rawQuery({ name: 'gone.example.com', edns: {} }), 1232))!);
  assert.equal((noDo.additionals![0] as unknown as { flags: number }).flags & 0x8000, 0);
});

test('SERVFAIL and REFUSED carry an Extended DNS Error (RFC 8914) when the client speaks EDNS', async () => {
  const name = 'broken.example.com';
  const r = readReply((await pipeline.handle(rawQuery({ name, edns: {} }), 1232))!, questionEndOf(name));
  assert.equal(r.rcode, Rcode.SERVFAIL);
  assert.ok(r.ra);
  assert.deepEqual(r.opt?.ede, { code: 22, text: 'no reachable authority' });
  const refused = readReply((await pipeline.handle(rawQuery({ name: 'denied.example.com', edns: {} }), 1232))!, questionEndOf('denied.example.com'));
  assert.equal(refused.rcode, Rcode.REFUSED);
  assert.deepEqual(refused.opt?.ede, { code: 18, text: 'prohibited' });
  const classic = readReply((await pipeline.handle(rawQuery({ name }), 1232))!);
  assert.equal(classic.rcode, Rcode.SERVFAIL);
  assert.equal(classic.arcount, 0, 'no OPT (and so no EDE) for a client without EDNS');
});

test('UDP replies fit 512 without EDNS, else min(client size, ours); otherwise TC=1 with the question only', async () => {
  const name = 'big.example.com'; // 60 A records: 60 × 31 = 1860 bytes of answer
  const classic = (await pipeline.handle(rawQuery({ name }), 1232))!;
  const c = readReply(classic);
  assert.ok(c.tc);
  assert.equal(c.qdcount, 1);
  assert.equal(c.ancount, 0);
  assert.equal(classic.length, questionEndOf(name));
  const big = (await pipeline.handle(rawQuery({ name, edns: { udpSize: 4096 } }), 1232))!;
  const b = readReply(big, questionEndOf(name));
  assert.ok(b.tc, 'our 1232 ceiling applies even when the client offers 4096');
  assert.equal(b.opt?.udpSize, 1232);
  assert.ok(big.length <= 1232);
  const tcp = (await pipeline.handle(rawQuery({ name }), null))!;
  assert.ok(!readReply(tcp).tc);
  assert.equal(readReply(tcp).ancount, 60);
  // A client offering less than 512 is treated as 512 (RFC 6891 §6.2.5).
  const small = (await pipeline.handle(rawQuery({ name: 'www.example.com', edns: { udpSize: 100 } }), 1232))!;
  assert.ok(!readReply(small).tc);
});

test('admission errors are answered without asking the resolver', async () => {
  const before = asked.length;
  const notimp = readReply((await pipeline.handle(rawQuery({ flags: 4 << 11 }), 1232))!);
  assert.equal(notimp.rcode, Rcode.NOTIMP);
  assert.equal(notimp.qdcount, 0);
  assert.ok(notimp.qr);
  const formerr = readReply((await pipeline.handle(rawQuery({ qdcount: 2, id: 77 }), 1232))!);
  assert.equal(formerr.rcode, Rcode.FORMERR);
  assert.equal(formerr.id, 77);
  const chaos = readReply((await pipeline.handle(rawQuery({ qclass: 3, name: 'version.bind', edns: {} }), 1232))!, questionEndOf('version.bind'));
  assert.equal(chaos.rcode, Rcode.REFUSED);
  assert.equal(chaos.qdcount, 1);
  assert.equal(chaos.opt?.ede?.code, 21);
  const badvers = readReply((await pipeline.handle(rawQuery({ edns: { version: 1 } }), 1232))!, questionEndOf('example.com'));
  assert.equal(badvers.rcode, 0, 'BADVERS is 16: header rcode 0 ...');
  assert.equal(badvers.opt?.extendedRcode, 1, '... and extended rcode 1 in the OPT record');
  assert.equal(badvers.opt?.version, 0);
  assert.equal(await pipeline.handle(rawQuery({ flags: 0x8000 }), 1232), undefined);
  assert.equal(await pipeline.handle(Buffer.from([1, 2, 3]), 1232), undefined);
  assert.equal(asked.length, before);
});

test('a resolver bug becomes SERVFAIL with EDE "Other", never an exception', async () => {
  const name = 'bug.example.com';
  const r = readReply((await pipeline.handle(rawQuery({ name, id: 9, edns: {} }), 1232))!, questionEndOf(name));
  assert.equal(r.id, 9);
  assert.equal(r.rcode, Rcode.SERVFAIL);
  assert.equal(r.opt?.ede?.code, 0);
  // An RR that dns-packet cannot encode is a bug on the way out: still SERVFAIL.
  const broken = createPipeline({
    resolve: async () => ({ kind: 'answer', answer: [{ name: 'x', type: 'MX', ttl: 1 } as unknown as RR], authority: [] }),
    log: silentLogger,
  });
  const b = readReply((await broken.handle(rawQuery({ name: 'x' }), 1232))!);
  assert.equal(b.rcode, Rcode.SERVFAIL);
});

test('garbage never throws out of the pipeline', async () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: 12 + (i % 60) }, random));
    junk[2]! &= 0x7f; // mostly queries, so the parser is exercised past the QR check
    junk.writeUInt16BE(1, 4);
    await pipeline.handle(junk, 1232);
  }
});
