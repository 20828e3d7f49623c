// Key state on the shared tier (issue 10): DNSKEY and DS RRsets, and DS denials, proven by one
// front-end's validator go to the Redis Cluster with their status, so a second front-end (or
// the first after a restart, with an empty key cache) validates names in the same zones
// without a single DNSKEY or DS question upstream. Counted at the simulated servers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustAnchors } from '../../src/dnssec/anchors.ts';
import { Validator } from '../../src/dnssec/validator.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { generateInternet } from '../sim/internet.ts';
import { redisMissing, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.ts';
import { openFrontEnd, question } from '../harness/frontends.ts';

const skip = redisMissing() ?? false;
if (skip) console.log(`# skipping shared key-state tests: ${skip}`);
let cluster: RedisCluster;
before(async () => {
  if (!skip) cluster = await startRedisCluster();
});
after(async () => cluster?.stop());

/** Signatures are made around this instant; the front-ends' clock starts there. */
const NOW = 1_800_000_000;
const DS = 43;
const DNSKEY = 48;
// Sharing is counted in upstream queries: a slow read on a busy machine would be a miss.
const relaxed = { readBudgetMs: 1000, commandTimeoutMs: 1000 };

test('val_shared_keys: a second front-end validates names in zones the first validated with no DNSKEY or DS query upstream', { skip }, async (t) => {
  const internet = generateInternet({ seed: 5, zones: 24, signed: true, now: NOW });
  const clock = new ManualClock(NOW * 1000);
  const anchors = parseTrustAnchors(internet.dnssec!.trustAnchor);
  const validator = (): Validator => new Validator({ trustAnchors: anchors, now: () => clock.now() / 1000 });
  const setup = { net: internet.network, clock, redis: cluster.seeds, keyPrefix: `vsk${process.pid}:`, redisOver: relaxed, rootHints: internet.rootHints, validator, qnameMinimisation: true };
  // Ordinary zones (no faults), signed and unsigned: www names for one, mail names for two.
  const zones = internet.catalogue
    .filter((e) => e.type === 'A' && e.name.startsWith('www.') && e.tags.every((x) => x === 'glue' || x === 'glueless') && e.dnssec && e.dnssec.status !== 'bogus')
    .map((e) => ({ apex: e.name.slice(4), status: e.dnssec!.status }));
  assert.ok(zones.some((z) => z.status === 'secure') && zones.some((z) => z.status === 'insecure'), JSON.stringify(zones));

  const one = await openFrontEnd(setup, t);
  for (const z of zones) {
    const r = await one.resolve(question(`www.${z.apex}`));
    assert.equal(r.kind === 'answer' && r.status, z.status, `one: www.${z.apex}`);
  }
  const keyQuestions = (): string[] =>
    internet.network.servers().flatMap((s) => s.log.filter((q) => q.qtype === DS || q.qtype === DNSKEY).map((q) => `${q.qname}/${q.qtype === DS ? 'DS' : 'DNSKEY'}`));
  assert.ok(keyQuestions().length > 0, 'the first front-end fetched keys');

  internet.network.reset();
  const two = await openFrontEnd(setup, t);
  for (const z of zones) {
    const r = await two.resolve(question(`mail.${z.apex}`));
    assert.equal(r.kind === 'answer' && r.status, z.status, `two: mail.${z.apex}`);
  }
  assert.ok(internet.network.totals().queries >= zones.length, 'the mail names themselves were asked upstream');
  assert.deepEqual(keyQuestions(), [], 'no DNSKEY or DS question from the second front-end');
});
