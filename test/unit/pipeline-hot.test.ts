// The pipeline with the hot tier: a repeated question is answered from ready bytes without
// asking the resolver, synchronously via fromHot, and errors are never kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { Resolution } from '../../src/resolver/resolution.ts';
import { HotAnswers } from '../../src/server/hot-answers.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { rawQuery } from './server-packets.ts';

function setup(outcome: Resolution) {
  const clock = new ManualClock();
  let calls = 0;
  const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 60_000 }, clock);
  const pipeline = createPipeline({
    resolve: async () => {
      calls++;
      return outcome;
    },
    log: silentLogger,
    hot,
  });
  return { pipeline, clock, calls: () => calls };
}

const answer: Resolution = { kind: 'answer', answer: [{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }], authority: [] };

test('a repeated question is answered from the hot tier, by ID and case of the new client', async () => {
  const s = setup(answer);
  assert.equal(s.pipeline.fromHot(rawQuery({ name: 'www.example.com' }), 1232), undefined, 'cold');
  await s.pipeline.handle(rawQuery({ id: 1, name: 'www.example.com' }), 1232);
  s.clock.advance(10_000);
  const hit = s.pipeline.fromHot(rawQuery({ id: 2, name: 'WWW.example.COM' }), 1232);
  assert.ok(hit);
  const reply = dnsPacket.decode(hit);
  assert.equal(reply.id, 2);
  assert.equal(reply.questions![0]!.name, 'WWW.example.COM');
  assert.equal((reply.answers![0] as { ttl: number }).ttl, 290);
  await s.pipeline.handle(rawQuery({ id: 3, name: 'www.example.com' }), null);
  assert.equal(s.calls(), 1, 'the resolver was asked once');
});

test('DO and CD queries have hot entries of their own', async () => {
  const s = setup(answer);
  await s.pipeline.handle(rawQuery({ name: 'www.example.com' }), 1232);
  assert.equal(s.pipeline.fromHot(rawQuery({ name: 'www.example.com', edns: { dnssecOk: true } }), 1232), undefined);
  assert.equal(s.pipeline.fromHot(rawQuery({ name: 'www.example.com', flags: 0x0110 }), 1232), undefined);
});

test('SERVFAIL is never kept in the hot tier', async () => {
  const s = setup({ kind: 'servfail', ede: { code: 22, text: 'no server answered' }, reason: 'test' });
  await s.pipeline.handle(rawQuery({ name: 'www.example.com' }), 1232);
  assert.equal(s.pipeline.fromHot(rawQuery({ name: 'www.example.com' }), 1232), undefined);
  await s.pipeline.handle(rawQuery({ name: 'www.example.com' }), 1232);
  assert.equal(s.calls(), 2);
});
