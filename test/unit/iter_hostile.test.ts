// The hostile corners of the simulated internet (test/sim/internet-hostile.ts): each costs a
// bounded number of upstream queries per client query (counted at the simulated servers), and
// nothing out of zone, injected, or unjudged reaches the cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import type { RecordCache } from '../../src/cache/record-cache.ts';
import { typeNumber } from '../../src/dns/message.ts';
import { parseTrustAnchors } from '../../src/dnssec/anchors.ts';
import { Validator } from '../../src/dnssec/validator.ts';
import { defaultLimits, type ForwardZone, type WorkLimits } from '../../src/resolver/options.ts';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { EVIL_NS, HUGE_NS, NRD_SERVERS, revokeDelegation } from '../sim/internet-hostile.ts';
import { generateInternet, type Internet } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { ExchangeError } from '../../src/resolver/upstream.ts';

const T = { A: 1, NS: 2, CNAME: 5 } as const;
const NOW = 1_800_000_000;

function world(o: { limits?: Partial<WorkLimits>; forward?: boolean; signed?: boolean; qnameMinimisation?: boolean } = {}) {
  const internet = generateInternet({ seed: 5, zones: o.signed ? 16 : 30, hostile: true, ...(o.signed ? { signed: true, now: NOW } : {}) });
  const clock = new ManualClock(NOW * 1000);
  const cache = memoryRecordCache(clock);
  const h = internet.hostile!;
  const forwardZones: ForwardZone[] = o.forward ? [{ zone: h.forward.zone, addresses: [h.forward.address] }] : [];
  const validator = o.signed ? new Validator({ trustAnchors: parseTrustAnchors(internet.dnssec!.trustAnchor), now: () => clock.now() / 1000 }) : undefined;
  const resolver = new Resolver({
    transport: new MemoryTransport(internet.network),
    cache,
    clock,
    options: {
      rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: o.qnameMinimisation ?? true, ipv6Upstream: false,
      allowLocalUpstream: true, forwardZones, limits: { ...defaultLimits, ...o.limits },
    },
    log: silentLogger,
    ...(validator ? { validator } : {}),
  });
  /** Resolves and returns the outcome with the upstream queries this one client query cost. */
  const ask = async (qname: string, qtype: number = T.A): Promise<{ r: Resolution; queries: number }> => {
    const before = internet.network.totals().queries;
    const r = await resolver.resolve(q(qname, qtype));
    return { r, queries: internet.network.totals().queries - before };
  };
  return { internet, h, cache, clock, resolver, ask };
}

const q = (qname: string, qtype: number): ClientQuestion => ({ qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });

function servfailFor(r: Resolution, limit?: string): void {
  assert.equal(r.kind, 'servfail', JSON.stringify(r));
  if (limit && r.kind === 'servfail') {
    assert.equal(r.ede.code, 0, 'EDE 0 (Other), as every work limit');
    assert.match(r.ede.text, new RegExp(`limit reached: ${limit}$`), r.ede.text);
  }
}

/** Queries each server of `zone` received, summed. */
function queriesTo(internet: Internet, zone: string): number {
  return internet.zones.get(zone)!.servers.reduce((n, s) => n + s.queries, 0);
}

/** No NS RRset in the cache names the attacker's server, and its address is not cached. */
async function noEvilNs(cache: RecordCache, owners: string[]): Promise<void> {
  for (const owner of owners) {
    const ns = await cache.getRRset(owner, T.NS);
    assert.ok(!ns?.records.some((r) => r.data === EVIL_NS), `${owner} NS names ${EVIL_NS}`);
  }
  assert.equal(await cache.getRRset(EVIL_NS, T.A), undefined, 'the attacker\'s glue is not cached');
}

test('iter_hostile: NRDelegation — 60 servers that all refer upward cost each at most one query, then the zone is a cached failure', async () => {
  const w = world();
  const first = await w.ask(`www.${w.h.nrDelegation}`);
  servfailFor(first.r);
  const toZone = queriesTo(w.internet, w.h.nrDelegation);
  assert.ok(toZone <= NRD_SERVERS, `${toZone} queries to ${NRD_SERVERS} servers: none asked twice`);
  assert.ok(first.queries <= NRD_SERVERS + 4, `${first.queries} upstream queries for one client query`);
  assert.ok(first.queries <= defaultLimits.maxUpstreamQueries);
  // The upward referrals (". NS ns<i>.nrdelegation.test") never replaced the root's NS.
  const rootNs = await w.cache.getRRset('.', T.NS);
  assert.ok(rootNs && rootNs.records.every((r) => String(r.data).endsWith('root-servers.net')), JSON.stringify(rootNs?.records));
  const again = await w.ask(`other.${w.h.nrDelegation}`);
  servfailFor(again.r);
  assert.equal(again.queries, 0, 'RFC 9520: the failed zone is not asked again at once');
});

test('iter_hostile: NRDelegation — with a per-reply record cap below the referral size, the referral itself is refused', async () => {
  const w = world({ limits: { maxRecordsPerReply: 100 } });
  const { r, queries } = await w.ask(`www.${w.h.nrDelegation}`);
  servfailFor(r, 'records-per-reply');
  assert.equal(queriesTo(w.internet, w.h.nrDelegation), 0, 'no server of the huge delegation was asked');
  // Priming, the root, the TLD over UDP (truncated: the referral is too large) and over TCP.
  assert.ok(queries <= 4, `${queries} queries: priming, the root, the TLD over UDP then TCP`);
  assert.equal(await w.cache.getRRset(w.h.nrDelegation, T.NS), undefined, 'the oversized referral is not cached');
});

test(`iter_hostile: a delegation to ${HUGE_NS} NS names fails on sight (records-per-rrset), no NS name is looked up`, async () => {
  const w = world();
  const { r, queries } = await w.ask(`www.${w.h.hugeDelegation}`);
  servfailFor(r, 'records-per-rrset');
  assert.ok(queries <= 4, `${queries} queries: priming, the root, the TLD over UDP then TCP`);
  assert.equal(await w.cache.getRRset(w.h.hugeDelegation, T.NS), undefined);
  // Raising the cap lets the delegation through, and then the NXNS bound holds instead.
  const lax = world({ limits: { maxRecordsPerRRset: 1000 } });
  const second = await lax.ask(`www.${lax.h.hugeDelegation}`);
  servfailFor(second.r);
  assert.ok(second.queries <= defaultLimits.maxUpstreamQueries, `${second.queries} queries`);
});

test('iter_hostile: an answer RRset over limits.maxRecordsPerRRset is SERVFAIL naming the limit, and not cached', async () => {
  const w = world();
  const { r, queries } = await w.ask(w.h.hugeRRset);
  servfailFor(r, 'records-per-rrset');
  assert.ok(queries <= 5, `${queries} queries`);
  assert.equal(await w.cache.getRRset(w.h.hugeRRset, T.A), undefined);
  const lax = world({ limits: { maxRecordsPerRRset: 200 } });
  const ok = await lax.ask(lax.h.hugeRRset);
  assert.equal(ok.r.kind, 'answer', 'under a higher cap the same name resolves');
});

test('iter_hostile: a DNAME loop (a→b, b→a) ends in SERVFAIL after a bounded number of queries', async () => {
  for (const qnameMinimisation of [true, false]) {
    const w = world({ qnameMinimisation });
    const { r, queries } = await w.ask(w.h.dnameLoop);
    servfailFor(r);
    assert.ok(queries <= 6, `${queries} queries (minimisation ${qnameMinimisation})`);
    const again = await w.ask(w.h.dnameLoop);
    servfailFor(again.r);
    assert.ok(again.queries <= 1, `${again.queries} queries the second time`);
  }
});

test('iter_hostile: a DNAME whose target is below its owner stops at limits.maxCnameChain links, not at 253 octets', async () => {
  const w = world();
  const { r, queries } = await w.ask(w.h.dnameGrowth);
  servfailFor(r, 'cname-chain');
  assert.ok(queries <= 6, `${queries} queries`);
  // Nothing was synthesised into the cache for the grown names.
  const grown = `y.${'x.'.repeat(5)}g.${w.h.dnameGrowth.split('.').slice(2).join('.')}`;
  assert.equal(await w.cache.getRRset(grown, T.CNAME), undefined);
});

test('iter_hostile: ghost domain — a revoked delegation dies when its NS TTL runs out, however often its servers are asked', async () => {
  const w = world();
  const ghost = w.h.ghost;
  assert.equal((await w.ask(`www.${ghost}`)).r.kind, 'answer');
  const delegation = await w.cache.getRRset(ghost, T.NS);
  assert.ok(delegation, 'the delegation is cached');
  const expiresAt = delegation.expiresAt;
  revokeDelegation(w.internet, ghost);
  // The attacker keeps asking names in the ghost zone and its NS (the child answers them with
  // fresh TTLs) until well past the delegation's expiry.
  for (let step = 0; step < 8; step++) {
    w.clock.advance(15 * 60 * 1000);
    await w.ask(ghost, T.NS);
    await w.ask(`n${step}.${ghost}`);
    const ns = await w.cache.getRRset(ghost, T.NS);
    if (ns) assert.ok(ns.expiresAt <= expiresAt, `step ${step}: the delegation's life was extended to ${ns.expiresAt} > ${expiresAt}`);
  }
  assert.ok(w.clock.now() > expiresAt);
  const after = await w.ask(`www.${ghost}`);
  assert.equal(after.r.kind, 'nxdomain', `the revoked zone is gone: ${JSON.stringify(after.r)}`);
});

test('iter_hostile: a forward zone whose server returns out-of-zone data and CNAMEs out of zone: none of it is cached', async () => {
  const w = world({ forward: true });
  const fwd = w.h.forward;
  const direct = await w.ask(`www.${fwd.zone}`);
  assert.equal(direct.r.kind, 'answer');
  assert.equal(direct.queries, 1, 'one query to the forwarder');
  const victimTruth = w.internet.catalogue.find((e) => e.name === fwd.victim && e.type === 'A')!.rdata!;
  const alias = await w.ask(fwd.cname);
  assert.ok(alias.r.kind === 'answer', JSON.stringify(alias.r));
  const addresses = alias.r.answer.filter((a) => a.type === 'A').map((a) => a.data as string).sort();
  assert.deepEqual(addresses, [...victimTruth].sort(), 'the CNAME target is resolved from its own servers, not taken from the forwarder');
  assert.ok(alias.queries <= 8, `${alias.queries} queries`);
  const cachedVictim = await w.cache.getRRset(fwd.victim, T.A);
  assert.deepEqual(cachedVictim?.records.map((r) => r.data).sort(), [...victimTruth].sort());
  await noEvilNs(w.cache, [fwd.victim.slice(4), 'example', fwd.zone]);
  assert.ok((await w.cache.getRRset('a.root-servers.net', T.A))?.records.every((r) => r.data !== '127.66.6.7') ?? true);
});

test('iter_hostile: stray NS in every authority section (own apex, an undelegated child, the parent) never reaches the cache', async () => {
  const w = world();
  const z = w.h.strayNs;
  for (const name of [`www.${z}`, `a.sub.${z}`, `nx.${z}`, `www.${z}`]) {
    const { r, queries } = await w.ask(name);
    assert.notEqual(r.kind, 'servfail', `${name}: ${JSON.stringify(r)}`);
    assert.ok(queries <= 4, `${name}: ${queries} queries`);
  }
  await noEvilNs(w.cache, [z, `sub.${z}`, 'test']);
  // The undelegated child is still answered by the zone's own servers.
  const sub = await w.ask(`a.sub.${z}`);
  assert.ok(sub.r.kind === 'answer' && sub.r.answer[0]!.data === '127.100.211.1');
});

test('iter_hostile: every hostile catalogue name gets its expected rcode, and what is cached for it was judged (DNSSEC on)', async () => {
  const w = world({ signed: true });
  const rcodeOf = { answer: 'NOERROR', nodata: 'NOERROR', nxdomain: 'NXDOMAIN', servfail: 'SERVFAIL', refused: 'REFUSED' } as const;
  const wrong: string[] = [];
  for (const e of w.internet.catalogue.filter((x) => x.tags.includes('hostile'))) {
    const { r, queries } = await w.ask(e.name, typeNumber(e.type)!);
    if (rcodeOf[r.kind] !== e.rcode) wrong.push(`${e.name}: ${r.kind} ≠ ${e.rcode}`);
    if (queries > defaultLimits.maxUpstreamQueries) wrong.push(`${e.name}: ${queries} queries`);
    const cached = await w.cache.answer(e.name, typeNumber(e.type)!);
    const entry = cached?.kind === 'rrset' ? cached.rrset : cached?.kind === 'negative' ? cached.negative : cached?.kind === 'cname' ? cached.cname : undefined;
    if (entry && (entry.status === undefined || entry.status === 'unchecked')) wrong.push(`${e.name}: cached unjudged`);
  }
  assert.deepEqual(wrong, []);
});

test('iter_hostile: when every upstream TCP connection is in use, a truncated answer is SERVFAIL naming upstream-tcp', async () => {
  const internet = generateInternet({ seed: 5, zones: 30 });
  const memory = new MemoryTransport(internet.network);
  // The socket transport's cap, as the resolver sees it: TCP exchanges refused with tcp-limit.
  const capped = {
    exchange: (req: Parameters<MemoryTransport['exchange']>[0]) =>
      req.protocol === 'tcp' ? Promise.reject(new ExchangeError('tcp-limit', 'test: no TCP slot')) : memory.exchange(req),
  };
  const clock = new ManualClock(NOW * 1000);
  const resolver = new Resolver({
    transport: capped,
    cache: memoryRecordCache(clock),
    clock,
    options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: true, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
    log: silentLogger,
  });
  const r = await resolver.resolve(q(`www.${internet.special.truncating}`, T.A));
  servfailFor(r, 'upstream-tcp');
  assert.equal((await resolver.resolve(q(internet.catalogue.find((e) => e.tags.includes('glue') && e.rcode === 'NOERROR')!.name, T.A))).kind, 'answer', 'UDP answers are not affected');
});
