// Aggressive use of validated NSEC3 (RFC 8198 §5.1, RFC 5155 §8) over the signed simulated
// internet in memory: NXDOMAIN and NODATA from the cache, never from opt-out spans or expired
// records; upstream queries counted at the simulated servers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Flag } from '../../src/dns/constants.ts';
import { base32hexDecodeOrUndefined } from '../../src/dns/base32hex.ts';
import type { RR } from '../../src/dns/message.ts';
import { Alg } from '../../src/dnssec/constants.ts';
import { nsec3Hash } from '../../src/dnssec/nsec3.ts';
import { HotAnswers } from '../../src/server/hot-answers.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { silentLogger } from '../../src/util/log.ts';
import { rawQuery } from './server-packets.ts';
import { question, signedSetup, signedZone, type Setup } from './val_setup.ts';

const A = 1;
const TXT = 16;
const SRV = 33;

const queries = (s: Setup): number => s.internet.network.totals().queries;

interface Nsec3Data {
  salt: Buffer;
  iterations: number;
  nextDomain: Buffer;
}

/** The owner of the zone's NSEC3 whose span covers `name`'s hash (as the zone holds it). */
function coverOf(s: Setup, zone: string, name: string): string | undefined {
  const chain = s.internet.zones.get(zone)!.zone.records.filter((r) => r.type === 'NSEC3');
  const { salt, iterations } = chain[0]!.data as Nsec3Data;
  const h = nsec3Hash(name, salt, iterations);
  return chain.find((r) => {
    const own = base32hexDecodeOrUndefined(r.name.split('.')[0]!)!;
    const next = (r.data as Nsec3Data).nextDomain;
    const after = Buffer.compare(own, h) < 0;
    const before = Buffer.compare(h, next) < 0;
    return Buffer.compare(own, next) < 0 ? after && before : after || before;
  })?.name;
}

/** Nonexistent names one label below `zone` whose hash falls in the same NSEC3 span as `like`'s. */
function sameSpan(s: Setup, zone: string, like: string, count = 1): string[] {
  const span = coverOf(s, zone, like);
  const out: string[] = [];
  for (let i = 0; out.length < count && i < 100_000; i++) {
    const name = `q${i}.${zone}`;
    if (name !== like && coverOf(s, zone, name) === span) out.push(name);
  }
  assert.equal(out.length, count, `names in the span of ${like}`);
  return out;
}

const nsec3Zones = (s: Setup): string[] => [
  signedZone(s.internet, Alg.RSASHA256, 'NSEC3'), // no salt, 0 iterations
  signedZone(s.internet, Alg.ECDSAP384SHA384, 'NSEC3'), // salt ab12, 5 iterations
  signedZone(s.internet, Alg.ED448, 'NSEC3'), // 1 iteration
];

test('val_aggressive_nsec3: a second nonexistent name is a secure NXDOMAIN from cached NSEC3s, zero upstream queries (RFC 8198 §5.1, RFC 5155 §8.4)', async () => {
  const s = signedSetup();
  for (const zone of nsec3Zones(s)) {
    const first = await s.resolver.resolve(question(`nx.${zone}`, A));
    assert.equal(first.kind === 'nxdomain' && first.status, 'secure', zone);
    const [other] = sameSpan(s, zone, `nx.${zone}`);
    const before = queries(s);
    const r = await s.resolver.resolve(question(other!, A, { dnssecOk: true }));
    assert.equal(queries(s), before, `${other}: no upstream query`);
    assert.equal(r.kind, 'nxdomain', other!);
    assert.equal(r.kind === 'nxdomain' && r.status, 'secure');
    const types = r.kind === 'nxdomain' ? r.authority.map((x: RR) => x.type) : [];
    assert.ok(types.includes('SOA') && types.includes('NSEC3') && types.includes('RRSIG'), `DO: the proof travels: ${types.join(',')}`);
  }
});

test('val_aggressive_nsec3_ad: a DO client gets NXDOMAIN with AD from the cached NSEC3 proof, through the pipeline', async () => {
  const s = signedSetup();
  const pipeline = createPipeline({ resolve: (q) => s.resolver.resolve(q), log: silentLogger, hot: new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 3_600_000 }, s.clock) });
  const zone = nsec3Zones(s)[0]!;
  await s.resolver.resolve(question(`nx.${zone}`, A));
  const [other] = sameSpan(s, zone, `nx.${zone}`);
  const before = queries(s);
  const bytes = rawQuery({ name: other!, qtype: A, flags: Flag.RD, edns: { dnssecOk: true } });
  // Over TCP (no UDP limit): RSA-signed proofs outgrow 1232 octets.
  const reply = dnsPacket.decode((await pipeline.handle(bytes, null))!) as dnsPacket.DecodedPacket & { flags: number; rcode: string };
  assert.equal(queries(s), before);
  assert.equal(reply.rcode, 'NXDOMAIN');
  assert.ok((reply.flags & Flag.AD) !== 0, 'AD set');
  assert.ok(reply.authorities!.some((x) => x.type === 'NSEC3'), JSON.stringify(reply.authorities));
});

test('val_aggressive_nsec3_nodata: a matching cached NSEC3 without the type answers NODATA, zero upstream queries (RFC 5155 §8.5)', async () => {
  const s = signedSetup();
  for (const zone of nsec3Zones(s)) {
    const first = await s.resolver.resolve(question(`www.${zone}`, TXT));
    assert.equal(first.kind === 'nodata' && first.status, 'secure', zone);
    const before = queries(s);
    const r = await s.resolver.resolve(question(`www.${zone}`, SRV, { dnssecOk: true }));
    assert.equal(queries(s), before, `${zone}: no upstream query`);
    assert.equal(r.kind === 'nodata' && r.status, 'secure');
    assert.ok(r.kind === 'nodata' && r.authority.some((x) => x.type === 'NSEC3'));
    // The type the NSEC3 lists is not denied: A at www is asked for (and exists).
    const a = await s.resolver.resolve(question(`www.${zone}`, A));
    assert.equal(a.kind, 'answer');
    assert.ok(queries(s) > before);
  }
});

test('val_aggressive_nsec3_optout: an opt-out span covering the next closer name is not used; upstream is asked (RFC 5155 §9.2)', async () => {
  const s = signedSetup();
  const zone = 'optout.test';
  // A secure NODATA caches the zone's (opt-out flagged) NSEC3s: www's match, the apex and the wildcard covers.
  const nodata = await s.resolver.resolve(question(`www.${zone}`, TXT));
  assert.equal(nodata.kind === 'nodata' && nodata.status, 'secure');
  let before = queries(s);
  const again = await s.resolver.resolve(question(`www.${zone}`, SRV));
  assert.equal(again.kind === 'nodata' && again.status, 'secure');
  assert.equal(queries(s), before, 'a matching NSEC3 still answers NODATA: opt-out does not weaken a match');
  // A name whose next closer falls in the cached span that covers *.optout.test.
  const [other] = sameSpan(s, zone, `*.${zone}`);
  before = queries(s);
  const r = await s.resolver.resolve(question(other!, A));
  assert.ok(queries(s) > before, 'asked upstream');
  assert.equal(r.kind === 'nxdomain' && r.status, 'insecure');
});

test('val_aggressive_nsec3_expiry: cached NSEC3s answer until the negative TTL runs out, then upstream is asked (RFC 8198 §5.4)', async () => {
  const s = signedSetup();
  const zone = nsec3Zones(s)[1]!;
  const first = await s.resolver.resolve(question(`nx.${zone}`, A));
  assert.equal(first.kind, 'nxdomain');
  const ttl = first.kind === 'nxdomain' ? first.authority.find((x) => x.type === 'SOA')!.ttl! : 0;
  assert.ok(ttl > 2, `negative TTL ${ttl}`);
  const [early, late] = sameSpan(s, zone, `nx.${zone}`, 2);
  s.clock.advance((ttl - 2) * 1000);
  let before = queries(s);
  assert.equal((await s.resolver.resolve(question(early!, A))).kind, 'nxdomain');
  assert.equal(queries(s), before, 'still fresh: from the cache');
  s.clock.advance(3000);
  before = queries(s);
  const r = await s.resolver.resolve(question(late!, A));
  assert.equal(r.kind === 'nxdomain' && r.status, 'secure');
  assert.ok(queries(s) > before, 'expired: asked upstream');
});
