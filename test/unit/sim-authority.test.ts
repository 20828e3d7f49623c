// Tests for the pure authoritative responder (RFC 1034 §4.3.2, RFC 4592, RFC 6672, RFC 2308).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { respond } from '../sim/authority.ts';
import { decodeReply, makeQuery, show } from '../sim/probe.ts';
import { parseZone } from '../sim/zone.ts';

const example = parseZone(`
$ORIGIN example.
$TTL 3600
@        SOA ns1 hostmaster 1 7200 900 1209600 300
@        NS  ns1
ns1      A   192.0.2.53
www      A   192.0.2.1
www      A   192.0.2.2
alias    CNAME www
alias2   CNAME alias
away     CNAME www.elsewhere.
loop1    CNAME loop2
loop2    CNAME loop1
a.b      A   192.0.2.3
*.wild   A   192.0.2.4
*.wild   TXT "wild"
host.wild A  192.0.2.5
x.y.wild A   192.0.2.6
old      DNAME new.example.
new      A   192.0.2.7
www.new  A   192.0.2.8
sub      NS  ns.sub
sub      NS  ns.elsewhere.
ns.sub   A   192.0.2.9
ns.sub   AAAA 2001:db8::9
`);
const child = parseZone(`
$ORIGIN sub.example.
@   SOA ns.sub.example. h 1 2 3 4 5
@   NS  ns
ns  A   192.0.2.9
www A   192.0.2.10
`);

function ask(name: string, type: string, zones = [example], opts: { udpSize?: number } = {}, protocol: 'udp' | 'tcp' = 'udp') {
  const reply = respond(zones, makeQuery(name, type, { udpSize: opts.udpSize ?? 1232 }), protocol);
  assert.ok(reply, 'expected a reply');
  return decodeReply(reply);
}

test('an exact match is an authoritative answer', () => {
  const r = ask('www.example', 'A');
  assert.deepEqual([r.rcode, r.aa], ['NOERROR', true]);
  assert.deepEqual(show(r.answers), ['www.example A 192.0.2.1', 'www.example A 192.0.2.2']);
  assert.deepEqual([r.authorities.length, r.additionals.length], [0, 0]);
});

test('a CNAME chain is followed while it stays in the zone, and stops when it leaves', () => {
  assert.deepEqual(show(ask('alias2.example', 'A').answers), [
    'alias2.example CNAME alias.example',
    'alias.example CNAME www.example',
    'www.example A 192.0.2.1',
    'www.example A 192.0.2.2',
  ]);
  const away = ask('away.example', 'A');
  assert.deepEqual([away.rcode, away.aa, show(away.answers)], ['NOERROR', true, ['away.example CNAME www.elsewhere']]);
  assert.deepEqual(show(ask('alias.example', 'CNAME').answers), ['alias.example CNAME www.example']);
});

test('a CNAME loop inside the zone ends', () => {
  assert.deepEqual(show(ask('loop1.example', 'A').answers), ['loop1.example CNAME loop2.example', 'loop2.example CNAME loop1.example']);
});

test('DNAME: the DNAME plus a synthesised CNAME, then the target in the same zone (RFC 6672)', () => {
  const r = ask('www.old.example', 'A');
  assert.deepEqual(show(r.answers), ['old.example DNAME new.example', 'www.old.example CNAME www.new.example', 'www.new.example A 192.0.2.8']);
  assert.equal(r.answers[1]!.ttl, 3600);
  assert.deepEqual(show(ask('old.example', 'A').answers), [], 'the DNAME owner itself is not redirected');
  assert.equal(ask('nope.old.example', 'A').rcode, 'NXDOMAIN');
});

test('wildcards answer with the query name as owner, but not for names that exist (RFC 4592)', () => {
  assert.deepEqual(show(ask('anything.wild.example', 'A').answers), ['anything.wild.example A 192.0.2.4']);
  assert.deepEqual(show(ask('host.wild.example', 'A').answers), ['host.wild.example A 192.0.2.5']);
  const nodata = ask('anything.wild.example', 'MX');
  assert.deepEqual([nodata.rcode, nodata.answers.length, nodata.authorities[0]!.type], ['NOERROR', 0, 'SOA']);
  // y.wild exists as an empty non-terminal: the wildcard does not cover it (RFC 4592 §2.2.2).
  assert.deepEqual([ask('y.wild.example', 'A').rcode, ask('y.wild.example', 'A').answers.length], ['NOERROR', 0]);
  // z.x.y.wild: closest encloser is y.wild, and there is no *.y.wild.
  assert.equal(ask('z.x.y.wild.example', 'A').rcode, 'NXDOMAIN');
});

test('an empty non-terminal is NODATA with the SOA', () => {
  const r = ask('b.example', 'A');
  assert.deepEqual([r.rcode, r.aa, r.answers.length], ['NOERROR', true, 0]);
  assert.deepEqual(show(r.authorities), ['example SOA ns1.example hostmaster.example 1 300']);
});

test('NXDOMAIN carries the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 §3)', () => {
  const r = ask('missing.example', 'A');
  assert.deepEqual([r.rcode, r.aa, r.authorities[0]!.type, r.authorities[0]!.ttl], ['NXDOMAIN', true, 'SOA', 300]);
});

test('at or below a zone cut: a referral with in-zone glue only, without AA', () => {
  for (const name of ['sub.example', 'www.sub.example', 'deep.www.sub.example']) {
    const r = ask(name, 'A');
    assert.deepEqual([r.rcode, r.aa, r.answers.length], ['NOERROR', false, 0], name);
    assert.deepEqual(show(r.authorities), ['sub.example NS ns.sub.example', 'sub.example NS ns.elsewhere']);
    assert.deepEqual(show(r.additionals), ['ns.sub.example A 192.0.2.9', 'ns.sub.example AAAA 2001:db8::9']);
  }
});

test('DS at a cut is answered by the parent side (RFC 4035 §3.1.4.1), even when serving both', () => {
  const r = ask('sub.example', 'DS', [example, child]);
  assert.deepEqual([r.aa, r.authorities[0]!.name], [true, 'example']);
  assert.deepEqual(show(ask('www.sub.example', 'A', [example, child]).answers), ['www.sub.example A 192.0.2.10']);
});

test('the closest enclosing zone wins; names outside every zone are REFUSED', () => {
  assert.equal(ask('sub.example', 'SOA', [example, child]).answers[0]!.name, 'sub.example');
  const r = ask('www.other', 'A');
  assert.deepEqual([r.rcode, r.aa, r.answers.length], ['REFUSED', false, 0]);
});

test('the question is echoed byte for byte, so 0x20 mixed case round-trips', () => {
  const q = makeQuery('wWw.ExAmPlE', 'A', { udpSize: 1232 });
  const reply = respond([example], q, 'udp')!;
  const qEnd = 12 + 'wWw.ExAmPlE'.length + 2 + 4;
  assert.equal(reply.subarray(12, qEnd).toString('latin1'), q.subarray(12, qEnd).toString('latin1'));
  assert.equal(decodeReply(reply).answers.length, 2);
});

test('EDNS: an OPT with 1232 only when the query had one; DO is copied', () => {
  assert.equal(ask('www.example', 'A', [example], { udpSize: 4096 }).opt?.udpPayloadSize, 1232);
  const plain = decodeReply(respond([example], makeQuery('www.example', 'A'), 'udp')!);
  assert.equal(plain.opt, undefined);
  const dO = decodeReply(respond([example], makeQuery('www.example', 'A', { dnssecOk: true }), 'udp')!);
  assert.equal(dO.opt!.flags & 0x8000, 0x8000);
});

test('over UDP a reply above the client limit is truncated and emptied; TCP gets it whole', () => {
  const big = parseZone(Array.from({ length: 40 }, (_, i) => `many A 192.0.2.${i + 1}`).join('\n'), 'big.example');
  const classic = decodeReply(respond([big], makeQuery('many.big.example', 'A'), 'udp')!);
  assert.deepEqual([classic.tc, classic.answers.length, classic.authorities.length], [true, 0, 0]);
  const edns = ask('many.big.example', 'A', [big], { udpSize: 4096 });
  assert.deepEqual([edns.tc, edns.answers.length], [false, 40]);
  const tcp = decodeReply(respond([big], makeQuery('many.big.example', 'A'), 'tcp')!);
  assert.deepEqual([tcp.tc, tcp.answers.length], [false, 40]);
});

test('malformed queries get FORMERR or nothing, never an exception', () => {
  assert.equal(respond([example], Buffer.alloc(5), 'udp'), undefined);
  const response = makeQuery('www.example', 'A');
  response[2]! |= 0x80; // QR: never answer a response
  assert.equal(respond([example], response, 'udp'), undefined);
  const two = makeQuery('www.example', 'A');
  two.writeUInt16BE(2, 4);
  assert.equal(decodeReply(respond([example], two, 'udp')!).rcode, 'FORMERR');
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(makeQuery('www.example', 'A', { udpSize: 1232 }));
    for (let k = 0; k < 3; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      junk[seed % junk.length] = seed >>> 24;
    }
    assert.doesNotThrow(() => respond([example], junk, 'udp'));
  }
});

test('other opcodes are NOTIMP; EDNS versions above 0 are BADVERS (RFC 6891 §6.1.3)', () => {
  const notify = makeQuery('www.example', 'SOA');
  notify[2] = (notify[2]! & 0x87) | (4 << 3);
  assert.equal(decodeReply(respond([example], notify, 'udp')!).rcode, 'NOTIMP');
  const v1 = makeQuery('www.example', 'A', { udpSize: 1232 });
  v1[v1.length - 5] = 1; // OPT TTL byte 2: EDNS version
  const r = respond([example], v1, 'udp')!;
  assert.equal(r.readUInt16BE(2) & 0xf, 0);
  assert.equal(r[r.length - 6], 1, 'extended RCODE 1 → BADVERS'); // OPT: … class(2) ext-rcode version flags(2) rdlen(2)
});
