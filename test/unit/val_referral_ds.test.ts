// DS from the referral (RFC 4035 §3.1.4.1, issue 10): with DO=1 a signed parent's referral
// carries the child's DS or the NSEC/NSEC3 proof that it has none; the validator judges that
// with the parent's keys and asks the parent for DS only when the referral carried neither.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { ExchangeRequest, UpstreamTransport } from '../../src/resolver/upstream.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { silentLogger } from '../../src/util/log.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import { signedSetup, question } from './val_setup.ts';
import type { Internet } from '../sim/internet.ts';

const DS = 43;

function dsQueries(internet: Internet): string[] {
  return internet.network.servers().flatMap((s) => s.log.filter((q) => q.qtype === DS).map((q) => `${q.qname} at ${s.name}`));
}

/** Ordinary www names (one per zone) and the status a validating resolver must give them. */
function wwwNames(internet: Internet): { name: string; status: string }[] {
  return internet.catalogue
    .filter((e) => e.type === 'A' && e.name.startsWith('www.') && e.name.split('.').length === 3 && e.dnssec && e.dnssec.status !== 'bogus')
    .map((e) => ({ name: e.name, status: e.dnssec!.status }));
}

test('val_referral_ds: secure and insecure delegations validate with no DS question upstream', async () => {
  const { internet, resolver } = signedSetup();
  const names = wwwNames(internet);
  const statuses = { secure: 0, insecure: 0 };
  for (const { name, status } of names) {
    const r = await resolver.resolve(question(name, 1));
    assert.equal(r.kind, 'answer', name);
    assert.equal(r.kind === 'answer' && r.status, status, name);
    statuses[status as 'secure' | 'insecure']++;
  }
  assert.ok(statuses.secure > 10 && statuses.insecure > 5, JSON.stringify(statuses));
  assert.deepEqual(dsQueries(internet), []);
});

/** A middlebox that drops the DS denial (NSEC/NSEC3 and their RRSIGs) from every referral. */
class StripReferralDenial implements UpstreamTransport {
  readonly #inner: UpstreamTransport;
  constructor(inner: UpstreamTransport) {
    this.#inner = inner;
  }
  async exchange(req: ExchangeRequest): Promise<Buffer> {
    const reply = await this.#inner.exchange(req);
    const m = dnsPacket.decode(reply);
    const referral = (m.answers ?? []).length === 0 && (m.authorities ?? []).some((a) => a.type === 'NS') && ((m.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) === 0;
    if (!referral) return reply;
    const denial = (a: dnsPacket.Answer): boolean => a.type === 'NSEC' || a.type === 'NSEC3' || (a.type === 'RRSIG' && ['NSEC', 'NSEC3'].includes((a.data as { typeCovered: string }).typeCovered));
    return dnsPacket.encode({ ...m, authorities: (m.authorities ?? []).filter((a) => !denial(a)) });
  }
}

test('val_referral_ds: a referral without the DS denial makes the validator ask the parent, and the answer stays insecure', async () => {
  const { internet, clock, validator, cache } = signedSetup();
  const resolver = new Resolver({
    transport: new StripReferralDenial(new MemoryTransport(internet.network)),
    cache,
    clock,
    options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: true, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
    log: silentLogger,
    validator,
  });
  const insecure = wwwNames(internet).find((n) => n.status === 'insecure' && !n.name.endsWith('.example'))!;
  const r = await resolver.resolve(question(insecure.name, 1));
  assert.equal(r.kind === 'answer' && r.status, 'insecure');
  const zone = insecure.name.slice(4);
  assert.ok(dsQueries(internet).some((q) => q.toLowerCase().startsWith(`${zone} at`)), `expected a DS query for ${zone}: ${dsQueries(internet).join(', ')}`);
});

/** A middlebox that breaks the RRSIGs over the DS denial of every referral (one flipped octet). */
class CorruptReferralDenial implements UpstreamTransport {
  readonly #inner: UpstreamTransport;
  constructor(inner: UpstreamTransport) {
    this.#inner = inner;
  }
  async exchange(req: ExchangeRequest): Promise<Buffer> {
    const reply = await this.#inner.exchange(req);
    const m = dnsPacket.decode(reply);
    const referral = (m.answers ?? []).length === 0 && (m.authorities ?? []).some((a) => a.type === 'NS') && ((m.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) === 0;
    if (!referral) return reply;
    for (const a of m.authorities ?? []) {
      const d = (a as { data?: unknown }).data as { typeCovered?: string; signature?: Buffer };
      if (a.type === 'RRSIG' && (d.typeCovered === 'NSEC' || d.typeCovered === 'NSEC3') && d.signature) d.signature[0] = d.signature[0]! ^ 0xff;
    }
    return dnsPacket.encode(m);
  }
}

test('val_referral_ds: a referral whose DS denial does not verify makes the validator ask the parent, not call the child bogus', async () => {
  const { internet, clock, validator, cache } = signedSetup();
  const resolver = new Resolver({
    transport: new CorruptReferralDenial(new MemoryTransport(internet.network)),
    cache,
    clock,
    options: { rootHints: internet.rootHints, upstreamPort: 53, qnameMinimisation: true, ipv6Upstream: false, allowLocalUpstream: true, forwardZones: [], limits: defaultLimits },
    log: silentLogger,
    validator,
  });
  const insecure = wwwNames(internet).find((n) => n.status === 'insecure' && !n.name.endsWith('.example'))!;
  const r = await resolver.resolve(question(insecure.name, 1));
  assert.equal(r.kind === 'answer' && r.status, 'insecure', JSON.stringify(r).slice(0, 300));
  const zone = insecure.name.slice(4);
  assert.ok(dsQueries(internet).some((q) => q.toLowerCase().startsWith(`${zone} at`)), `expected a DS query for ${zone}: ${dsQueries(internet).join(', ')}`);
});
