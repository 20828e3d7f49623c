// Tests for the simulated internet's zone-text parser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseZone, rr, ZoneSyntaxError } from '../sim/zone.ts';

test('origin, $TTL, @, relative and absolute names, blank owners and parentheses', () => {
  const z = parseZone(`
$ORIGIN Example.COM.
$TTL 300
@   IN SOA ns1 hostmaster (
        2026010101 ; serial
        7200 900 1209600 60 )
    NS  ns1
    NS  ns1.other.net.
ns1 600 A 192.0.2.1
www IN 120 AAAA 2001:DB8:0::1
`);
  assert.equal(z.apex, 'example.com');
  const [soa, ns1, ns2, a, aaaa] = z.records;
  assert.deepEqual(soa, {
    name: 'example.com',
    type: 'SOA',
    class: 'IN',
    ttl: 300,
    data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2026010101, refresh: 7200, retry: 900, expire: 1209600, minimum: 60 },
  });
  assert.deepEqual([ns1!.name, ns1!.data, ns2!.data], ['example.com', 'ns1.example.com', 'ns1.other.net']);
  assert.deepEqual([a!.name, a!.ttl, a!.data], ['ns1.example.com', 600, '192.0.2.1']);
  assert.deepEqual([aaaa!.ttl, aaaa!.data], [120, '2001:db8::1']);
});

test('MX, SRV, PTR, CNAME, DNAME, TXT with several quoted strings and escapes', () => {
  const z = parseZone(
    [
      '@ 1h MX 10 mail',
      '_sip._tcp SRV 0 5 5060 sip',
      '1.2 PTR host.example.',
      'alias CNAME www',
      'old DNAME new.example.',
      't TXT "hello world" "semi;colon" "q\\"uote" "\\065"',
    ].join('\n'),
    'example',
  );
  const [mx, srv, ptr, cname, dname, txt] = z.records;
  assert.deepEqual([mx!.ttl, mx!.data], [3600, { preference: 10, exchange: 'mail.example' }]);
  assert.deepEqual(srv!.data, { priority: 0, weight: 5, port: 5060, target: 'sip.example' });
  assert.equal(srv!.name, '_sip._tcp.example');
  assert.deepEqual([ptr!.name, ptr!.data], ['1.2.example', 'host.example']);
  assert.deepEqual([cname!.type, cname!.data, dname!.type, dname!.data], ['CNAME', 'www.example', 'DNAME', 'new.example']);
  assert.deepEqual((txt!.data as Buffer[]).map((b) => b.toString()), ['hello world', 'semi;colon', 'q"uote', 'A']);
  assert.equal(z.apex, 'example'); // no SOA: the origin
});

test('RFC 3597 generic rdata for an unknown and a known type', () => {
  const unknown = rr('x.example. TYPE65280 \\# 3 abcdef');
  assert.equal(unknown.type as string, 'UNKNOWN_65280');
  assert.deepEqual(unknown.data, Buffer.from('abcdef', 'hex'));
  const a = rr('y.example. 60 TYPE1 \\# 4 7f000001');
  assert.deepEqual([a.name, a.type, a.ttl, a.data], ['y.example', 'A', 60, '127.0.0.1']);
});

test('the last explicit TTL carries over when there is no $TTL; wildcards and the root', () => {
  const z = parseZone('. 86400 NS a.root.\n*.w A 192.0.2.9\n', '.');
  assert.deepEqual(z.records.map((r) => [r.name, r.ttl]), [['.', 86400], ['*.w', 86400]]);
});

test('syntax errors name the line', () => {
  assert.throws(() => parseZone('\n\nwww A not-an-address', 'example'), (e: unknown) => e instanceof ZoneSyntaxError && /line 3/.test(e.message));
  assert.throws(() => parseZone('www BOGUS 1', 'example'), ZoneSyntaxError);
  assert.throws(() => parseZone('www CH A 1.2.3.4', 'example'), /class IN/);
  assert.throws(() => parseZone('www HINFO cpu os', 'example'), /generic rdata/);
});
