// The scrubber: bailiwick filtering and reply classification on hand-built replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { decodeMessage } from '../../src/dns/message.ts';
import { scrubReply, negativeTtl } from '../../src/resolver/scrub.ts';

type Rec = dnsPacket.Answer;
const rr = (name: string, type: string, data: unknown, ttl = 300): Rec => ({ name, type, class: 'IN', ttl, data }) as Rec;
const soa = (zone: string) => rr(zone, 'SOA', { mname: `ns.${zone}`, rname: `h.${zone}`, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 }, 900);

function reply(parts: { aa?: boolean; rcode?: number; answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[]; q?: string; t?: string }) {
  const flags = (parts.aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (parts.rcode ?? 0);
  return decodeMessage(dnsPacket.encode({
    type: 'response', id: 1, flags,
    questions: [{ name: parts.q ?? 'www.example.com', type: (parts.t ?? 'A') as dnsPacket.RecordType }],
    answers: parts.answers ?? [], authorities: parts.authorities ?? [], additionals: parts.additionals ?? [],
  }));
}

test('an authoritative answer keeps in-zone data and drops records for other zones', () => {
  const r = scrubReply(reply({ aa: true, answers: [rr('WWW.example.com', 'A', '192.0.2.1'), rr('bank.test', 'A', '203.0.113.66')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.equal(r.kind, 'answer');
  assert.ok(r.kind === 'answer');
  assert.equal(r.authoritative, true);
  assert.deepEqual(r.answer.map((s) => [s.name, s.records.length]), [['www.example.com', 1]]);
});

test('look-alike owner names outside the zone are dropped, not answers', () => {
  const r = scrubReply(reply({ answers: [rr('www.example.com.evil.test', 'A', '203.0.113.66'), rr('wwwexample.com', 'A', '203.0.113.67')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.equal(r.kind, 'lame');
});

test('a referral yields the child NS set and only glue for its NS names inside the bailiwick', () => {
  const r = scrubReply(reply({
    authorities: [rr('example.com', 'NS', 'ns1.example.com'), rr('example.com', 'NS', 'ns.other.net')],
    additionals: [rr('ns1.example.com', 'A', '192.0.2.53'), rr('ns.other.net', 'A', '203.0.113.66'), rr('unrelated.com', 'A', '203.0.113.67')],
  }), { zone: 'com', name: 'www.example.com', type: 1 });
  assert.ok(r.kind === 'referral');
  assert.equal(r.child, 'example.com');
  assert.deepEqual(r.glue.map((s) => s.name), ['ns1.example.com']);
});

test('an upward or sideways referral is lame', () => {
  const up = scrubReply(reply({ authorities: [rr('com', 'NS', 'a.gtld.net')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.equal(up.kind, 'lame');
  const side = scrubReply(reply({ authorities: [rr('other.com', 'NS', 'ns.other.com')] }), { zone: 'com', name: 'www.example.com', type: 1 });
  assert.equal(side.kind, 'lame');
});

test('a CNAME chain leaving the zone asks for its target afresh', () => {
  const r = scrubReply(reply({ aa: true, answers: [rr('www.example.com', 'CNAME', 'cdn.example.com'), rr('cdn.example.com', 'CNAME', 'edge.cdn.test'), rr('edge.cdn.test', 'A', '203.0.113.66')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.ok(r.kind === 'cname');
  assert.equal(r.target, 'edge.cdn.test');
  assert.equal(r.chain.length, 2);
});

test('NXDOMAIN and NODATA carry the zone SOA; the negative TTL is min(TTL, MINIMUM)', () => {
  const nx = scrubReply(reply({ aa: true, rcode: 3, authorities: [soa('example.com')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.ok(nx.kind === 'nxdomain');
  assert.equal(negativeTtl(nx.soa), 30);
  const nodata = scrubReply(reply({ aa: true, authorities: [soa('example.com')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.equal(nodata.kind, 'nodata');
  const foreignSoa = scrubReply(reply({ aa: true, rcode: 3, authorities: [soa('other.com')] }), { zone: 'example.com', name: 'www.example.com', type: 1 });
  assert.ok(foreignSoa.kind === 'nxdomain');
  assert.equal(foreignSoa.soa, undefined, 'an SOA of another zone is not proof');
});

test('error rcodes make the server lame for this query', () => {
  for (const rcode of [1, 2, 4, 5]) {
    assert.equal(scrubReply(reply({ rcode }), { zone: 'example.com', name: 'www.example.com', type: 1 }).kind, 'lame');
  }
});
