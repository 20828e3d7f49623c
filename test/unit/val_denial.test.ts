// NSEC and NSEC3 proofs on their own: what must be secure, and every missing piece that must not be.

import { EdeCode } from '../../src/dns/constants.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RR } from '../../src/dns/message.ts';

import { proveNoDs, proveNodata, proveNxdomain, proveWildcardAnswer, type Denial } from '../../src/dnssec/denial.ts';
import { Budget, DEFAULT_LIMITS } from '../../src/dnssec/limits.ts';
import { dnssecRecord } from '../../src/dnssec/presentation.ts';
import { signZone, type SignOptions } from '../sim/signer.ts';
import { SignedWorld } from '../sim/signed-world.ts';
import { parseZone } from '../sim/zone.ts';

const A = 1;
const TXT = 16;
const DS = 43;
const MX = 15;

const nsec = (owner: string, next: string, ...types: string[]): RR => dnssecRecord(owner, 300, 'NSEC', [next, ...types]);
const d = (records: RR[], zone = 'example', budget = new Budget(DEFAULT_LIMITS)): Denial => ({ zone, nsec: records, nsec3: [], budget });

// example: apex, a (A), b.c (A: c is an empty non-terminal), *.w (TXT), sub (delegation, no DS), z (MX)
const chain = [
  nsec('example', 'a.example', 'SOA', 'NS', 'RRSIG', 'NSEC', 'DNSKEY'),
  nsec('a.example', 'b.c.example', 'A', 'RRSIG', 'NSEC'),
  nsec('b.c.example', 'sub.example', 'A', 'RRSIG', 'NSEC'),
  nsec('sub.example', '*.w.example', 'NS', 'RRSIG', 'NSEC'),
  nsec('*.w.example', 'z.example', 'TXT', 'RRSIG', 'NSEC'),
  nsec('z.example', 'example', 'MX', 'RRSIG', 'NSEC'),
];
const status = (p: { status: string }) => p.status;

test('NSEC NXDOMAIN needs both the name and the wildcard denied (RFC 4035 §5.4)', () => {
  assert.equal(status(proveNxdomain(d(chain), 'b.example')), 'secure');
  assert.equal(status(proveNxdomain(d([chain[0]!, chain[1]!]), 'b.example')), 'secure');
  assert.equal(status(proveNxdomain(d([chain[1]!]), 'b.example')), 'bogus', '*.example sorts before a: a→b.c does not deny it');
  assert.equal(status(proveNxdomain(d([chain[5]!]), 'zz.example')), 'bogus', '*.example not denied by z→apex');
  const r = proveNxdomain(d([]), 'b.example');
  assert.equal(r.status === 'bogus' && r.ede.code, EdeCode.NSEC_MISSING);
  assert.equal(status(proveNxdomain(d(chain), 'c.example')), 'bogus', 'c is an empty non-terminal, it exists');
  assert.equal(status(proveNxdomain(d(chain), 'a.example')), 'bogus', 'a exists');
  assert.equal(status(proveNxdomain(d(chain), 'x.sub.example')), 'bogus', 'the parent-side NSEC at a delegation says nothing below it');
  assert.equal(status(proveNxdomain(d(chain), 'zz.example')), 'secure', 'the last NSEC wraps to the apex');
});

test('NSEC NODATA: matching bitmap, empty non-terminal, wildcard NODATA; the forbidden cases are bogus', () => {
  assert.equal(status(proveNodata(d(chain), 'a.example', MX)), 'secure');
  assert.equal(status(proveNodata(d(chain), 'a.example', A)), 'bogus');
  assert.equal(status(proveNodata(d(chain), 'c.example', A)), 'secure', 'empty non-terminal');
  assert.equal(status(proveNodata(d(chain), 'x.w.example', A)), 'secure', 'wildcard NODATA');
  assert.equal(status(proveNodata(d(chain), 'x.w.example', TXT)), 'bogus', 'the wildcard has TXT');
  assert.equal(status(proveNodata(d(chain), 'sub.example', A)), 'bogus', 'parent-side NSEC cannot deny A at a cut');
  assert.equal(status(proveNodata(d(chain), 'sub.example', DS)), 'secure', 'but it denies DS');
  assert.equal(status(proveNodata(d([nsec('sub.example', 'z.example', 'SOA', 'NS', 'RRSIG', 'NSEC')], 'sub.example'), 'sub.example', DS)), 'bogus', 'child apex NSEC');
  assert.equal(status(proveNodata(d([nsec('cn.example', 'z.example', 'CNAME', 'RRSIG', 'NSEC')]), 'cn.example', A)), 'bogus', 'CNAME present');
});

test('NSEC wildcard answers need the expanded name denied, with no closer encloser', () => {
  assert.equal(status(proveWildcardAnswer(d(chain), 'x.w.example', '*.w.example')), 'secure');
  assert.equal(status(proveWildcardAnswer(d([chain[0]!]), 'x.w.example', '*.w.example')), 'bogus');
  // b.c exists, so a.b.c.example could not have been synthesised from *.example.
  assert.equal(status(proveWildcardAnswer(d(chain), 'a.b.c.example', '*.example')), 'bogus');
});

test('NSEC DS walk: unsigned delegation, not a cut, or bogus', () => {
  assert.equal(status(proveNoDs(d(chain), 'sub.example')), 'insecure');
  assert.equal(status(proveNoDs(d(chain), 'a.example')), 'no-cut');
  assert.equal(status(proveNoDs(d(chain), 'c.example')), 'no-cut');
  assert.equal(status(proveNoDs(d(chain), 'nothere.example')), 'bogus');
  assert.equal(status(proveNoDs(d([nsec('s.example', 'z.example', 'NS', 'DS', 'RRSIG', 'NSEC')]), 's.example')), 'bogus');
});

// NSEC3: chains made by the signer, proofs checked with exactly the records a server would send.
const NOW = 1_800_000_000;
const zoneText = `$ORIGIN example.
@ 3600 IN SOA ns.example. h.example. 1 7200 3600 1209600 300
@ IN NS ns.example.
ns IN A 192.0.2.1
a IN A 192.0.2.2
b.c IN A 192.0.2.3
*.w IN TXT "w"
sub IN NS ns.elsewhere.
`;

function nsec3World(denial: SignOptions['denial']) {
  const signed = signZone(parseZone(zoneText), { now: NOW, denial });
  const world = new SignedWorld([signed]);
  const pick = (name: string): Denial => ({
    zone: 'example',
    nsec: [],
    nsec3: world.denialFor(signed, name).filter((r) => r.type === 'NSEC3'),
    budget: new Budget(DEFAULT_LIMITS),
  });
  return { signed, pick };
}

test('NSEC3 proofs (RFC 5155 §8.4–8.9) with salt and iterations', () => {
  const { pick } = nsec3World({ nsec3: { iterations: 3, salt: 'aabbccdd' } });
  assert.equal(status(proveNxdomain(pick('q.example'), 'q.example')), 'secure');
  assert.equal(status(proveNxdomain(pick('x.y.a.example'), 'x.y.a.example')), 'secure');
  assert.equal(status(proveNxdomain(pick('a.example'), 'a.example')), 'bogus');
  assert.equal(status(proveNodata(pick('a.example'), 'a.example', MX)), 'secure');
  assert.equal(status(proveNodata(pick('c.example'), 'c.example', A)), 'secure', 'an ENT has an NSEC3');
  assert.equal(status(proveNodata(pick('x.w.example'), 'x.w.example', A)), 'secure', 'wildcard NODATA');
  assert.equal(status(proveWildcardAnswer(pick('x.w.example'), 'x.w.example', '*.w.example')), 'secure');
  assert.equal(status(proveNoDs(pick('sub.example'), 'sub.example')), 'insecure');
  assert.equal(status(proveNoDs(pick('a.example'), 'a.example')), 'no-cut');
  // Each piece of the NXDOMAIN proof matters: drop one record at a time.
  // Closest encloser match, next-closer cover, wildcard cover: up to three records matter, and
  // the server's pick holds a few more (for the apex wildcard and such). Dropping a needed one is bogus.
  const full = pick('q.example');
  let needed = 0;
  for (let i = 0; i < full.nsec3.length; i++) {
    const r = proveNxdomain({ ...full, nsec3: full.nsec3.filter((_, j) => j !== i) }, 'q.example');
    assert.notEqual(r.status, 'insecure');
    if (r.status === 'bogus') needed++;
  }
  assert.ok(needed >= 2 && needed <= 3, `${needed} records were needed`);
  assert.equal(status(proveNxdomain({ ...full, nsec3: [] }, 'q.example')), 'bogus');
});

test('NSEC3 opt-out: unsigned delegations and NXDOMAIN inside a span are insecure, not secure', () => {
  const { pick } = nsec3World({ nsec3: { optOut: true } });
  assert.equal(status(proveNoDs(pick('sub.example'), 'sub.example')), 'insecure');
  assert.equal(status(proveNodata(pick('sub.example'), 'sub.example', DS)), 'insecure');
  assert.equal(status(proveNxdomain(pick('q.example'), 'q.example')), 'insecure');
  const { pick: strict } = nsec3World({ nsec3: {} });
  assert.equal(status(proveNoDs(strict('sub.example'), 'sub.example')), 'insecure', 'matching NSEC3, NS without DS');
});

test('NSEC3 iteration cap (RFC 9276) and unknown hash algorithms make the answer insecure before hashing', () => {
  const { pick } = nsec3World({ nsec3: { iterations: 151 } });
  const p = pick('q.example');
  const r = proveNxdomain(p, 'q.example');
  assert.equal(r.status, 'insecure');
  assert.equal(r.status === 'insecure' && r.ede?.code, EdeCode.UNSUPPORTED_NSEC3_ITERATIONS);
  assert.equal(p.budget.hashes, 0);
  const unknown = p.nsec3.map((x) => ({ ...x, data: { ...(x.data as object), algorithm: 2 } }) as RR);
  assert.equal(proveNxdomain({ ...p, nsec3: unknown }, 'q.example').status, 'insecure');
  const { pick: at150 } = nsec3World({ nsec3: { iterations: 150 } });
  assert.equal(proveNxdomain(at150('q.example'), 'q.example').status, 'secure');
});
