// Property tests: mutated upstream replies and mutated client packets never crash the query
// path; clients always get a well-formed reply to their ID, or nothing (fast-check).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { Resolver } from '../../src/resolver/resolver.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import type { ExchangeRequest, UpstreamTransport } from '../../src/resolver/upstream.ts';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { generateInternet } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { rawQuery } from './server-packets.ts';

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'cut'; at: number } | { kind: 'set'; at: number; value: number };

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(600), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(600) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(600), value: fc.nat(255) }),
);

/** Applies mutations to a copy; positions wrap around the message length. */
function mutate(buf: Buffer, mutations: Mutation[], keepHeader: number): Buffer {
  let out = Buffer.from(buf);
  for (const m of mutations) {
    if (out.length <= keepHeader) break;
    const at = keepHeader + (m.at % (out.length - keepHeader));
    if (m.kind === 'flip') out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === 'set') out[at] = m.value;
    else out = out.subarray(0, at);
  }
  return out;
}

/** Upstream replies pass through the mutations after the question, so they get past reply
 * matching and reach the decoder and the scrubber: the parts that must survive hostile bytes. */
class MutatingTransport implements UpstreamTransport {
  inner: UpstreamTransport;
  mutations: Mutation[] = [];
  constructor(inner: UpstreamTransport) {
    this.inner = inner;
  }
  async exchange(req: ExchangeRequest): Promise<Buffer> {
    const reply = await this.inner.exchange({ ...req, accept: undefined });
    const questionEnd = req.query.indexOf(0, 12) + 5;
    const mutated = mutate(reply, this.mutations, questionEnd);
    return req.accept && !req.accept(mutated) ? this.inner.exchange(req) : mutated;
  }
}

function checkReply(reply: Buffer | undefined, id: number): void {
  if (reply === undefined) return;
  assert.ok(reply.length >= 12);
  assert.equal(reply.readUInt16BE(0), id);
  assert.ok(reply[2]! & 0x80, 'QR set');
  dnsPacket.decode(reply); // well-formed: our own encoder's output must parse
}

test('fuzz: mutated upstream replies never crash resolution and answers stay well-formed', async () => {
  const internet = generateInternet({ seed: 3, zones: 30 });
  const names = internet.catalogue.filter((e) => e.type === 'A').map((e) => e.name);
  const transport = new MutatingTransport(new MemoryTransport(internet.network));
  // Hostile bytes must be handled as data, never reach the resolver's "bug" path.
  const errors: string[] = [];
  const log = createLogger('error', (line) => errors.push(line));
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.nat(names.length - 1), async (mutations, i) => {
      const clock = new ManualClock();
      const resolver = new Resolver({
        transport,
        cache: memoryRecordCache(clock),
        clock,
        options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: true, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
        log,
      });
      transport.mutations = mutations;
      const pipeline = createPipeline({ resolve: (q) => resolver.resolve(q), log });
      const reply = await pipeline.handle(rawQuery({ id: 777, name: names[i]! }), 1232);
      checkReply(reply, 777);
      assert.deepEqual(errors, []);
    }),
    { numRuns: 1000, seed: 20261124 },
  );
});

test('fuzz: mutated client packets get a well-formed reply to their ID, or none', async () => {
  const pipeline = createPipeline({
    resolve: async () => ({ kind: 'answer', answer: [{ name: 'example.com', type: 'A', class: 'IN', ttl: 60, data: '192.0.2.1' }], authority: [] }),
    log: silentLogger,
  });
  const base = [rawQuery(), rawQuery({ edns: { udpSize: 1400, dnssecOk: true } }), rawQuery({ name: 'a.b.c.d.e.example', qtype: 28 })];
  await fc.assert(
    fc.asyncProperty(fc.nat(base.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), async (which, mutations) => {
      const packet = mutate(base[which]!, mutations, 0);
      const reply = await pipeline.handle(packet, 1232);
      if (packet.length < 12) assert.equal(reply, undefined, 'too short for an ID: dropped');
      else checkReply(reply, packet.readUInt16BE(0));
    }),
    { numRuns: 2000, seed: 20261124 },
  );
  // Random bytes of any length, too.
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
      const packet = Buffer.from(bytes);
      const reply = await pipeline.handle(packet, 512);
      if (packet.length >= 12 && !(packet[2]! & 0x80)) checkReply(reply, packet.readUInt16BE(0));
      else assert.equal(reply, undefined);
    }),
    { numRuns: 2000, seed: 20261124 },
  );
});
