// Chain of trust end to end: simulated root anchor → signed TLD → signed, unsigned and broken children.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alg } from '../../src/dnssec/constants.ts';
import { Validator, type ValidationResult } from '../../src/dnssec/validator.ts';
import { type SignOptions, type SignedZone } from '../sim/signer.ts';
import { signHierarchy } from '../sim/signed-world.ts';
import { parseZone } from '../sim/zone.ts';

const NOW = 1_800_000_000;
const A = 1;
const TXT = 16;
const DS = 43;

function child(name: string, extra = ''): string {
  return `$ORIGIN ${name}.
@ 3600 IN SOA ns.${name}. host.${name}. 1 7200 3600 1209600 300
@ IN NS ns.${name}.
ns IN A 192.0.2.53
www IN A 192.0.2.80
*.wild IN TXT "synthesised"
alias IN CNAME www.${name}.
${extra}`;
}

const variants: Record<string, Partial<SignOptions> | 'unsigned'> = {
  signed: {},
  nsec3: { denial: { nsec3: { iterations: 5, salt: 'beef' } } },
  optout: { denial: { nsec3: { optOut: true } }, algorithm: Alg.ED25519 },
  unsigned: 'unsigned',
  expired: { faults: { expired: true } },
  notyet: { faults: { notYetValid: true } },
  wrongsigner: { faults: { signerName: 'example.net' } },
  dsmismatch: { faults: { dsMismatch: true } },
  norrsig: { faults: { dropRrsig: ['www.norrsig.tld/A'] } },
  nodnskey: { faults: { dropDnskey: 'zsk' } },
  stripped: { faults: { stripDenial: true } },
  iter: { denial: { nsec3: { iterations: 200 } } },
};

function build() {
  const zones: { zone: ReturnType<typeof parseZone>; options?: Partial<SignOptions>; signed?: boolean }[] = [];
  let tld = `$ORIGIN tld.
@ 3600 IN SOA ns.tld. host.tld. 1 7200 3600 1209600 300
@ IN NS ns.tld.
ns IN A 192.0.2.1
unsupported IN NS ns.unsupported.tld.
unsupported IN TYPE43 \\# 9 303963020102030405
baddigest IN NS ns.baddigest.tld.
baddigest IN TYPE43 \\# 9 30390d030102030405
`;
  for (const [label, opts] of Object.entries(variants)) {
    const name = `${label}.tld`;
    tld += `${label} IN NS ns.${name}.\nns.${label} IN A 192.0.2.53\n`;
    const extra = label === 'optout' ? 'insecure IN NS ns.elsewhere.\nsecure IN NS ns.elsewhere.\n' : label === 'signed' ? 'x IN CNAME www.unsigned.tld.\nd IN DNAME nsec3.tld.\n' : '';
    zones.push(opts === 'unsigned' ? { zone: parseZone(child(name, extra)), signed: false } : { zone: parseZone(child(name, extra)), options: opts });
  }
  zones.push({ zone: parseZone(tld) });
  zones.push({ zone: parseZone(`. 3600 IN SOA a.root. host.root. 1 7200 3600 1209600 300\n. IN NS a.root.\ntld. IN NS ns.tld.\nns.tld. IN A 192.0.2.1\n`) });
  return signHierarchy(zones, NOW);
}

const { world, signed } = build();
const rootDs = (signed.get('.') as SignedZone).ds;

function validator(extra: { ntas?: string[] } = {}): Validator {
  return new Validator({ trustAnchors: new Map([['.', { zone: '.', ds: rootDs, dnskey: [] }]]), negativeTrustAnchors: extra.ntas ?? [], now: () => NOW });
}

async function check(qname: string, qtype: number, v = validator()): Promise<ValidationResult> {
  return v.validateAnswer(world.answer(qname, qtype), world.fetch);
}

function expect(r: ValidationResult, status: string, ede?: number): void {
  assert.equal(r.status, status, JSON.stringify(r));
  assert.equal(r.ede?.code, ede, JSON.stringify(r));
}

test('secure answers through root → tld → signed.tld, with the TTL capped', async () => {
  const r = await check('www.signed.tld', A);
  expect(r, 'secure');
  assert.ok(r.ttl! > 0 && r.ttl! <= 3600);
  expect(await check('alias.signed.tld', A), 'secure');
  expect(await check('www.nsec3.tld', A), 'secure');
  expect(await check('www.optout.tld', A), 'secure');
});

test('denial of existence through the chain: NXDOMAIN, NODATA, wildcard, wildcard NODATA (NSEC and NSEC3)', async () => {
  for (const zone of ['signed.tld', 'nsec3.tld', 'optout.tld']) {
    const nx = await check(`nope.${zone}`, A);
    expect(nx, zone === 'optout.tld' ? 'insecure' : 'secure');
    expect(await check(`www.${zone}`, TXT), 'secure');
    // Unbound's reading of RFC 5155 §9.2: a wildcard whose next closer lies in an opt-out span is insecure.
    expect(await check(`a.wild.${zone}`, TXT), zone === 'optout.tld' ? 'insecure' : 'secure');
    expect(await check(`a.wild.${zone}`, A), zone === 'optout.tld' ? 'insecure' : 'secure');
    expect(await check(zone, DS), 'secure'); // a DS answer is signed by the parent
  }
});

test('insecure delegations: unsigned child, opt-out span, unsupported DS algorithm; indeterminate without anchor', async () => {
  expect(await check('www.unsigned.tld', A), 'insecure');
  expect(await check('unsigned.tld', DS), 'secure'); // the NODATA proof itself is secure
  expect(await check('x.signed.tld', A), 'insecure'); // CNAME into an unsigned zone
  expect(await check('www.insecure.optout.tld', A), 'insecure');
  const plain = (name: string) => ({ qname: name, qtype: A, kind: 'answer' as const, answer: parseZone(`${name}. 60 IN A 192.0.2.9`).records, authority: [] });
  const unsupported = await validator().validateAnswer(plain('www.unsupported.tld'), world.fetch);
  expect(unsupported, 'insecure', EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM);
  expect(await validator().validateAnswer(plain('www.baddigest.tld'), world.fetch), 'insecure', EdeCode.UNSUPPORTED_DS_DIGEST);
  const none = new Validator({ trustAnchors: new Map(), now: () => NOW });
  expect(await check('www.signed.tld', A, none), 'indeterminate');
});

test('broken zones are bogus with the Extended DNS Error that names the fault', async () => {
  expect(await check('www.expired.tld', A), 'bogus', EdeCode.SIGNATURE_EXPIRED);
  expect(await check('www.notyet.tld', A), 'bogus', EdeCode.SIGNATURE_NOT_YET_VALID);
  expect(await check('www.wrongsigner.tld', A), 'bogus', EdeCode.DNSSEC_BOGUS);
  expect(await check('www.dsmismatch.tld', A), 'bogus', EdeCode.DNSKEY_MISSING);
  expect(await check('www.norrsig.tld', A), 'bogus', EdeCode.RRSIGS_MISSING);
  expect(await check('ns.norrsig.tld', A), 'secure'); // only the one RRset lost its RRSIG
  expect(await check('www.nodnskey.tld', A), 'bogus', EdeCode.DNSKEY_MISSING);
  expect(await check('nope.stripped.tld', A), 'bogus', EdeCode.NSEC_MISSING);
  expect(await check('www.stripped.tld', TXT), 'bogus', EdeCode.NSEC_MISSING);
});

test('NSEC3 above the iteration cap is insecure with EDE 27; below it, secure', async () => {
  expect(await check('nope.iter.tld', A), 'insecure', EdeCode.UNSUPPORTED_NSEC3_ITERATIONS);
  expect(await check('www.iter.tld', A), 'secure');
  const lenient = new Validator({ trustAnchors: new Map([['.', { zone: '.', ds: rootDs, dnskey: [] }]]), limits: { maxNsec3Iterations: 500 }, now: () => NOW });
  expect(await check('nope.iter.tld', A, lenient), 'secure');
});

test('negative trust anchors make a broken zone insecure (RFC 7646)', async () => {
  expect(await check('www.expired.tld', A, validator({ ntas: ['expired.tld'] })), 'insecure');
  expect(await check('www.signed.tld', A, validator({ ntas: ['expired.tld'] })), 'secure');
});

test('a forged answer in a signed zone is bogus', async () => {
  const input = world.answer('www.signed.tld', A);
  input.answer = input.answer.map((r) => (r.type === 'A' ? ({ ...r, data: '203.0.113.66' } as typeof r) : r));
  expect(await validator().validateAnswer(input, world.fetch), 'bogus', EdeCode.DNSSEC_BOGUS);
  const stripped = world.answer('www.signed.tld', A);
  stripped.answer = stripped.answer.filter((r) => r.type !== 'RRSIG');
  expect(await validator().validateAnswer(stripped, world.fetch), 'bogus', EdeCode.RRSIGS_MISSING);
  // A NXDOMAIN claimed for a name that exists cannot be proven.
  const lie = world.answer('nope.signed.tld', A);
  expect(await validator().validateAnswer({ ...lie, qname: 'www.signed.tld' }, world.fetch), 'bogus', EdeCode.NSEC_MISSING);
});

test('zone key states are cached across validations', async () => {
  const v = validator();
  world.fetches.clear();
  await check('www.signed.tld', A, v);
  const first = [...world.fetches.values()].reduce((a, b) => a + b, 0);
  await check('ns.signed.tld', A, v);
  const second = [...world.fetches.values()].reduce((a, b) => a + b, 0);
  assert.ok(first >= 5, `first validation fetched ${first}`);
  assert.equal(second, first, 'second validation needed no fetch');
  const z = await v.zoneStatus('deep.name.unsigned.tld', world.fetch);
  assert.equal(z.status, 'insecure');
});

test('a CNAME synthesised from a signed DNAME is covered by the DNAME (RFC 6672 §5.3.3); a forged one is not', async () => {
  const zone = world.zones.find((z) => z.apex === 'signed.tld')!;
  const dname = world.rrset(zone, 'd.signed.tld', 39)!;
  const cname = (target: string) => parseZone(`www.d.signed.tld. 300 IN CNAME ${target}.`).records;
  const input = (target: string) => ({ qname: 'www.d.signed.tld', qtype: A, kind: 'answer' as const, answer: [...dname.records, ...dname.signatures, ...cname(target)], authority: [] });
  expect(await validator().validateAnswer(input('www.nsec3.tld'), world.fetch), 'secure');
  expect(await validator().validateAnswer(input('www.evil.example'), world.fetch), 'bogus', EdeCode.RRSIGS_MISSING);
});
