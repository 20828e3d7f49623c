// AD, CD and DO as clients see them, through the pipeline (slow path and hot tier) over the
// validating resolver: AD only on secure answers and only to DO or AD clients (RFC 6840 §5.8),
// SERVFAIL with the validator's EDE for bogus (RFC 8914), CD=1 gets the bogus data.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Flag } from '../../src/dns/constants.ts';
import { Alg } from '../../src/dnssec/constants.ts';
import { HotAnswers } from '../../src/server/hot-answers.ts';
import { createPipeline } from '../../src/server/pipeline.ts';
import { silentLogger } from '../../src/util/log.ts';
import { rawQuery } from './server-packets.ts';
import { signedSetup, signedZone } from './val_setup.ts';

const s = signedSetup();
const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 3_600_000 }, s.clock);
const pipeline = createPipeline({ resolve: (q) => s.resolver.resolve(q), log: silentLogger, hot });
const secure = `www.${signedZone(s.internet, Alg.ECDSAP256SHA256, 'NSEC')}`;
const insecure = s.internet.catalogue.find((e) => e.type === 'A' && e.dnssec?.status === 'insecure' && e.rcode === 'NOERROR')!.name;

interface Ask {
  name: string;
  dnssecOk?: boolean;
  ad?: boolean;
  cd?: boolean;
}

/** Asks twice (slow path, then hot tier, which must agree) and decodes the reply. */
async function ask(q: Ask): Promise<dnsPacket.DecodedPacket & { flags: number; rcode: string }> {
  const bytes = rawQuery({ name: q.name, qtype: 1, flags: Flag.RD | (q.ad ? Flag.AD : 0) | (q.cd ? Flag.CD : 0), edns: { dnssecOk: q.dnssecOk ?? false } });
  const slow = (await pipeline.handle(bytes, 1232))!;
  const again = pipeline.fromHot(bytes, 1232) ?? (await pipeline.handle(bytes, 1232))!;
  assert.equal(again.readUInt16BE(2), slow.readUInt16BE(2), `hot tier flags agree for ${JSON.stringify(q)}`);
  return dnsPacket.decode(slow) as dnsPacket.DecodedPacket & { flags: number; rcode: string };
}

const ad = (r: { flags: number }): boolean => (r.flags & Flag.AD) !== 0;

test('val_ad: AD on a secure answer only for clients that set DO or AD; never on insecure answers', async () => {
  assert.equal(ad(await ask({ name: secure, dnssecOk: true })), true, 'DO=1');
  assert.equal(ad(await ask({ name: secure, ad: true })), true, 'AD=1 without DO (RFC 6840 §5.7)');
  assert.equal(ad(await ask({ name: secure })), false, 'a plain client gets no AD');
  assert.equal(ad(await ask({ name: insecure, dnssecOk: true })), false, 'insecure: no AD');
  const withSigs = await ask({ name: secure, dnssecOk: true });
  assert.ok((withSigs.answers ?? []).some((r) => r.type === 'RRSIG'), 'DO=1: RRSIGs in the answer');
  assert.ok(!(await ask({ name: secure, ad: true })).answers?.some((r) => r.type === 'RRSIG'), 'AD without DO: no RRSIGs');
});

test('val_bogus: SERVFAIL with the EDE naming the fault; CD=1 gets the data without AD', async () => {
  const r = await ask({ name: 'www.sig-expired.test', dnssecOk: true });
  assert.equal(r.rcode, 'SERVFAIL');
  const opt = (r.additionals ?? []).find((x) => x.type === 'OPT') as { options?: { code: number; data?: Buffer }[] } | undefined;
  const ede = opt?.options?.find((o) => o.code === 15);
  assert.ok(ede?.data, 'an EDE option');
  assert.equal(ede!.data!.readUInt16BE(0), EdeCode.SIGNATURE_EXPIRED);
  const cd = await ask({ name: 'www.sig-expired.test', dnssecOk: true, cd: true });
  assert.equal(cd.rcode, 'NOERROR');
  assert.equal(ad(cd), false);
  assert.ok((cd.answers ?? []).some((x) => x.type === 'A'));
  assert.equal((await ask({ name: 'www.sig-expired.test' })).rcode, 'SERVFAIL', 'and CD=0 is still refused the data');
});
