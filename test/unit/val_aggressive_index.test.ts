// The aggressive NSEC/NSEC3 cache at scale, without the network: covers found by binary search
// over 10,000 entries, entry and hash bounds kept, unsigned, expired and opt-out records unused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RRset } from '../../src/cache/record-cache.ts';
import { base32hexEncode } from '../../src/dns/base32hex.ts';
import type { RR } from '../../src/dns/message.ts';
import { DEFAULT_LIMITS } from '../../src/dnssec/limits.ts';
import { nsec3Hash } from '../../src/dnssec/nsec3.ts';
import { AggressiveNsec } from '../../src/resolver/aggressive.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { lastWhere } from '../../src/util/sorted.ts';

const A = 1;
const TXT = 16;
const N = 10_000;

const rr = (name: string, type: string, data: unknown): RR => ({ name, type, ttl: 300, class: 'IN', data }) as RR;
const sig = (owner: string, signer: string): RR => rr(owner, 'RRSIG', { signersName: signer });
const set = (name: string, type: number, record: RR, signer: string | undefined): RRset => ({ name, type, records: [record], signatures: signer ? [sig(name, signer)] : [] });
const soa = (zone: string): RRset => set(zone, 6, rr(zone, 'SOA', { mname: `ns.${zone}`, minimum: 300 }), zone);
const owners = (r: ReturnType<AggressiveNsec['answer']>, type: string): string[] =>
  r && 'authority' in r ? r.authority.filter((x: RR) => x.type === type).map((x: RR) => x.name) : [];

function shuffled<T>(xs: T[], seed = 1): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A signed NSEC chain of `big.test`: the apex and n00000 … n09999, fed in shuffled batches of 50. */
function nsecZone(cache: AggressiveNsec, zone = 'big.test'): string[] {
  const names = [zone, ...Array.from({ length: N }, (_, i) => `n${String(i).padStart(5, '0')}.${zone}`)];
  const sets = names.map((name, i) => set(name, 47, rr(name, 'NSEC', { nextDomain: names[(i + 1) % names.length], rrtypes: i === 0 ? ['NS', 'SOA', 'RRSIG', 'NSEC'] : ['A', 'RRSIG', 'NSEC'] }), zone));
  const order = shuffled(sets);
  for (let i = 0; i < order.length; i += 50) cache.add([soa(zone), ...order.slice(i, i + 50)], 300);
  return names;
}

/** A signed NSEC3 chain (no salt, 0 iterations) of the apex and h0 … h9999 under `zone`. */
function nsec3Zone(cache: AggressiveNsec, zone: string, flags = 0): void {
  const hashes = [zone, ...Array.from({ length: N }, (_, i) => `h${i}.${zone}`)]
    .map((name) => ({ name, hash: nsec3Hash(name, Buffer.alloc(0), 0) }))
    .sort((a, b) => Buffer.compare(a.hash, b.hash));
  const sets = hashes.map((h, i) => {
    const owner = `${base32hexEncode(h.hash).toLowerCase()}.${zone}`;
    const rrtypes = h.name === zone ? ['NS', 'SOA', 'RRSIG', 'DNSKEY', 'NSEC3PARAM'] : ['A', 'RRSIG'];
    const data = { algorithm: 1, flags, iterations: 0, salt: Buffer.alloc(0), nextDomain: hashes[(i + 1) % hashes.length]!.hash, rrtypes };
    return set(owner, 50, rr(owner, 'NSEC3', data), zone);
  });
  const order = shuffled(sets, 7);
  for (let i = 0; i < order.length; i += 50) cache.add([soa(zone), ...order.slice(i, i + 50)], 300);
}

test('val_aggressive_index: lastWhere finds the floor of 10,000 sorted keys in at most ⌈log2 n⌉+1 probes', () => {
  const keys = Array.from({ length: N }, (_, i) => i * 2);
  for (const target of [-1, 0, 1, 9_999, 10_000, 19_998, 25_000]) {
    let probes = 0;
    const i = lastWhere(keys, (k) => (probes++, k <= target));
    assert.equal(i, target < 0 ? -1 : Math.min(N - 1, Math.floor(target / 2)), `floor of ${target}`);
    assert.ok(probes <= Math.ceil(Math.log2(N)) + 1, `${probes} probes`);
  }
});

test('val_aggressive_index: 10,000 cached NSECs deny exactly the names between owners, with the wildcard proof (RFC 8198 §5.1)', () => {
  const cache = new AggressiveNsec(new ManualClock(0), DEFAULT_LIMITS, 2 * N);
  const names = nsecZone(cache);
  assert.equal(cache.size, N + 1);
  for (let i = 0; i < N; i += 97) {
    const owner = names[i + 1]!;
    const nx = cache.answer(`${owner.split('.')[0]}a.big.test`, A);
    assert.equal(nx?.kind, 'nxdomain', owner);
    // The cover is the owner just before; *.big.test sorts between the apex and n00000.
    assert.deepEqual(owners(nx, 'NSEC').sort(), [owner, 'big.test'].sort());
    assert.equal(cache.answer(owner, TXT)?.kind, 'nodata');
    assert.equal(cache.answer(owner, A), undefined, 'A is in the bitmap');
    assert.equal(cache.answer(`x.${owner}`, A)?.kind, 'nxdomain', 'below a leaf: covered by the leaf’s NSEC');
  }
  assert.equal(cache.answer('zzz.big.test', A)?.kind, 'nxdomain', 'after the last owner: the wrapping NSEC');
  assert.equal(cache.answer('other.test', A), undefined);
  assert.equal(cache.answer('n00001.big.test', 255), undefined, 'ANY is never denied from a bitmap');
});

test('val_aggressive_index: the entry bound holds, expired entries are not used, unsigned NSECs are not kept', () => {
  const clock = new ManualClock(0);
  const bounded = new AggressiveNsec(clock, DEFAULT_LIMITS, 5_000);
  nsecZone(bounded, 'one.test');
  assert.ok(bounded.size <= 5_000, `size ${bounded.size}`);
  nsecZone(bounded, 'two.test');
  assert.ok(bounded.size <= 5_000, `size ${bounded.size}`);

  const cache = new AggressiveNsec(clock, DEFAULT_LIMITS, 2 * N);
  nsecZone(cache);
  assert.equal(cache.answer('n00010a.big.test', A)?.kind, 'nxdomain');
  clock.advance(301_000);
  assert.equal(cache.answer('n00010a.big.test', A), undefined, 'expired');
  assert.equal(cache.size, 0, 'a zone whose SOA expired is dropped whole');
  nsecZone(cache);
  clock.advance(100_000);
  cache.add([soa('big.test')], 300); // the SOA refreshed, the NSECs not
  clock.advance(201_000);
  assert.equal(cache.answer('n00010a.big.test', A), undefined, 'expired NSECs under a live SOA');
  assert.ok(cache.size < N + 1, 'expired entries met on the way are dropped');

  const unsigned = new AggressiveNsec(clock);
  unsigned.add([soa('u.test'), set('a.u.test', 47, rr('a.u.test', 'NSEC', { nextDomain: 'z.u.test', rrtypes: ['A'] }), undefined)], 300);
  assert.equal(unsigned.size, 0);
  assert.equal(unsigned.answer('b.u.test', A), undefined);
});

test('val_aggressive_index: 10,000 cached NSEC3s give the closest-encloser proof by binary search; hashes stay bounded (RFC 5155 §8.4)', () => {
  const cache = new AggressiveNsec(new ManualClock(0), DEFAULT_LIMITS, 2 * N);
  nsec3Zone(cache, 'big3.test');
  assert.equal(cache.size, N + 1);
  for (let j = 0; j < 300; j++) {
    const nx = cache.answer(`x${j}.big3.test`, A);
    assert.equal(nx?.kind, 'nxdomain', `x${j}`);
    const proof = owners(nx, 'NSEC3');
    assert.ok(proof.length >= 2 && proof.length <= 3, `closest encloser, next closer, wildcard: ${proof.length}`);
  }
  assert.equal(cache.answer('h42.big3.test', TXT)?.kind, 'nodata');
  assert.equal(cache.answer('h42.big3.test', A), undefined);
  // A name 80 labels deep needs more than maxNsec3Hashes (64) hashes: no answer, no throw.
  const deep = `${Array.from({ length: 80 }, (_, i) => `l${i}`).join('.')}.big3.test`;
  assert.equal(cache.answer(deep, A), undefined);
  assert.equal(cache.answer('l79.big3.test', A)?.kind, 'nxdomain', 'a shallow name still answers');
});

test('val_aggressive_index: opt-out NSEC3 spans never synthesise NXDOMAIN; over-cap iterations are not kept (RFC 5155 §9.2, RFC 9276 §3.2)', () => {
  const cache = new AggressiveNsec(new ManualClock(0), DEFAULT_LIMITS, 2 * N);
  nsec3Zone(cache, 'oo.test', 1);
  assert.equal(cache.answer('x1.oo.test', A), undefined, 'opt-out cover of the next closer');
  assert.equal(cache.answer('h42.oo.test', TXT)?.kind, 'nodata', 'a match is still a proof');
  const owner = `${base32hexEncode(nsec3Hash('a.it.test', Buffer.alloc(0), 200)).toLowerCase()}.it.test`;
  const data = { algorithm: 1, flags: 0, iterations: 200, salt: Buffer.alloc(0), nextDomain: Buffer.alloc(20, 0xff), rrtypes: ['A'] };
  cache.add([soa('it.test'), set(owner, 50, rr(owner, 'NSEC3', data), 'it.test')], 300);
  assert.equal(cache.answer('a.it.test', TXT), undefined);
});
