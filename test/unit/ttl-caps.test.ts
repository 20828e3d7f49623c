// Fresh answers are clamped like cached ones: data to [minTtl, maxTtl], negative proof to maxNegativeTtl.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cappingTtls } from '../../src/resolver/ttl-caps.ts';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { defaultCacheOptions } from '../../src/cache/options.ts';

const q = { qname: 'www.example.com', qtype: 1, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true };
const soa = { name: 'example.com', type: 'SOA', class: 'IN', ttl: 86_400, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 86_400 } } as const;

test('data TTLs are clamped to the cache floor and ceiling', async () => {
  const upstream: Resolution = { kind: 'answer', authority: [], answer: [
    { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 2_000_000, data: 'web.example.com' },
    { name: 'web.example.com', type: 'A', class: 'IN', ttl: 5, data: '192.0.2.1' },
  ] };
  const r = await cappingTtls(async () => upstream, { ...defaultCacheOptions, minTtl: 30, maxTtl: 86_400 })(q);
  assert.ok(r.kind === 'answer');
  assert.deepEqual(r.answer.map((a) => a.ttl), [86_400, 30]);
});

test('the SOA of a negative answer is capped at maxNegativeTtl; errors pass through', async () => {
  const nx: Resolution = { kind: 'nxdomain', answer: [], authority: [soa] };
  const r = await cappingTtls(async () => nx, { ...defaultCacheOptions, maxNegativeTtl: 900 })(q);
  assert.ok(r.kind === 'nxdomain');
  assert.equal(r.authority[0]!.ttl, 900);
  const fail: Resolution = { kind: 'servfail', ede: { code: 22, text: 'x' }, reason: 'x' };
  assert.equal(await cappingTtls(async () => fail, defaultCacheOptions)(q), fail);
});
