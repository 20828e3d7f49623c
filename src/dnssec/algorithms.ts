// Signature algorithms via node:crypto: DNSKEY public-key formats to KeyObjects, and verification.
//
// Policy (RFC 8624 §3.1, whose table RFC 9904 moved unchanged into the IANA registry):
// - 8, 10, 13, 14, 15, 16: validated.
// - 5 (RSASHA1) and 7 (RSASHA1-NSEC3-SHA1): still "MUST validate" in RFC 8624; the SHA-1
//   deprecation (draft-ietf-dnsop-must-not-sha1) forbids *signing* with them, not validating.
//   Unbound, Knot Resolver and BIND still validate them where the crypto library allows, and
//   a few thousand zones still use them, so andns validates them by default. `sha1: false`
//   (Limits.allowSha1Signatures) makes them unsupported, i.e. such zones become insecure
//   (RFC 4035 §5.2), never bogus. If the platform's OpenSSL refuses SHA-1 signatures
//   (e.g. a FIPS or RHEL-9 crypto policy), verification throws and we report "unsupported".
// - RSA moduli below the minimum (Limits.minRsaBits, 1024 by default: RFC 8624 §3.1; the
//   operator may choose 512..4096) or above 4096 bits (RFC 3110 §2 ceiling; also bounds
//   verification cost) are unsupported. A zone whose only keys are unsupported is insecure,
//   not bogus (RFC 4035 §5.2, RFC 6840 §5.2; see keys.ts).
// - Anything else (RSAMD5, DSA, GOST, private algorithms) is unsupported.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Alg } from './constants.ts';
import { Lru } from '../util/lru.ts';

interface AlgInfo {
  hash: string | null;
  kind: 'rsa' | 'ec' | 'okp';
  curve?: string;
  /** Length of the raw public key (EC: x||y; EdDSA: the key) in octets. */
  keyLength?: number;
  sha1?: boolean;
}

const ALGORITHMS: Record<number, AlgInfo> = {
  [Alg.RSASHA1]: { hash: 'sha1', kind: 'rsa', sha1: true },
  [Alg.RSASHA1_NSEC3_SHA1]: { hash: 'sha1', kind: 'rsa', sha1: true },
  [Alg.RSASHA256]: { hash: 'sha256', kind: 'rsa' },
  [Alg.RSASHA512]: { hash: 'sha512', kind: 'rsa' },
  [Alg.ECDSAP256SHA256]: { hash: 'sha256', kind: 'ec', curve: 'P-256', keyLength: 64 },
  [Alg.ECDSAP384SHA384]: { hash: 'sha384', kind: 'ec', curve: 'P-384', keyLength: 96 },
  [Alg.ED25519]: { hash: null, kind: 'okp', curve: 'Ed25519', keyLength: 32 },
  [Alg.ED448]: { hash: null, kind: 'okp', curve: 'Ed448', keyLength: 57 },
};

export const MIN_RSA_BITS = 1024;
/** The lowest minimum an operator may configure (RFC 3110 §2: 512 bits). */
export const FLOOR_RSA_BITS = 512;
export const MAX_RSA_BITS = 4096;

/** Whether signatures of this algorithm are validated at all (see the policy above). */
export function isSupportedAlgorithm(algorithm: number, allowSha1 = true): boolean {
  const info = ALGORITHMS[algorithm];
  return info !== undefined && (allowSha1 || !info.sha1);
}

const b64u = (b: Buffer): string => b.toString('base64url');

/** RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus. */
export function parseRsaKey(key: Buffer): { e: Buffer; n: Buffer } | undefined {
  if (key.length < 3) return undefined;
  let off = 1;
  let elen = key[0]!;
  if (elen === 0) {
    elen = key.readUInt16BE(1);
    off = 3;
  }
  if (elen === 0 || off + elen >= key.length) return undefined;
  const e = key.subarray(off, off + elen);
  let n = key.subarray(off + elen);
  while (n.length > 0 && n[0] === 0) n = n.subarray(1); // leading zeros do not count as bits
  return { e, n };
}

function rsaBits(n: Buffer): number {
  return n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

// A parsed key is reused while its DNSKEY RR object lives (the cache hands the same objects out).
const imported = new WeakMap<Buffer, KeyObject | null>();
/** Parsed keys by algorithm and key bytes, oldest dropped first past the bound. */
const MAX_KEYS = 10_000;
const byContent = new Lru<KeyObject | null>({ maxEntries: MAX_KEYS });

/** The KeyObject for a DNSKEY's public key, or undefined when unsupported or malformed. */
export function importPublicKey(algorithm: number, key: Buffer, allowSha1 = true, minRsaBits = MIN_RSA_BITS): KeyObject | undefined {
  if (!isSupportedAlgorithm(algorithm, allowSha1)) return undefined;
  if (ALGORITHMS[algorithm]!.kind === 'rsa') {
    const parsed = parseRsaKey(key);
    if (!parsed || rsaBits(parsed.n) < minRsaBits) return undefined;
  }
  let cached = imported.get(key);
  if (cached === undefined) {
    // The same key arrives in every reply that carries it (a fresh Buffer each time): parse it
    // once per process by content, not once per reply.
    const id = `${algorithm}:${key.toString('latin1')}`;
    cached = byContent.get(id);
    if (cached === undefined) {
      cached = buildKey(ALGORITHMS[algorithm]!, key) ?? null;
      byContent.set(id, cached);
    }
    imported.set(key, cached);
  }
  return cached ?? undefined;
}

function buildKey(info: AlgInfo, key: Buffer): KeyObject | undefined {
  try {
    if (info.kind === 'rsa') {
      const parsed = parseRsaKey(key);
      if (!parsed) return undefined;
      const bits = rsaBits(parsed.n);
      if (bits < FLOOR_RSA_BITS || bits > MAX_RSA_BITS) return undefined;
      return createPublicKey({ key: { kty: 'RSA', n: b64u(parsed.n), e: b64u(parsed.e) }, format: 'jwk' });
    }
    if (key.length !== info.keyLength) return undefined;
    if (info.kind === 'ec') {
      // RFC 6605 §4: the uncompressed point without its 0x04 prefix, x then y.
      const half = key.length / 2;
      const jwk = { kty: 'EC', crv: info.curve!, x: b64u(key.subarray(0, half)), y: b64u(key.subarray(half)) };
      return createPublicKey({ key: jwk, format: 'jwk' });
    }
    // RFC 8080 §3: the raw EdDSA public key.
    return createPublicKey({ key: { kty: 'OKP', crv: info.curve!, x: b64u(key) }, format: 'jwk' });
  } catch {
    return undefined; // not a point on the curve, bad encoding: unusable key
  }
}

export type VerifyOutcome = 'valid' | 'invalid' | 'unsupported';

/** Verifies one signature; ECDSA signatures are raw r||s (RFC 6605 §4), hence ieee-p1363. */
export function verifySignature(algorithm: number, key: KeyObject, data: Buffer, signature: Buffer): VerifyOutcome {
  const info = ALGORITHMS[algorithm];
  if (!info) return 'unsupported';
  try {
    const ok =
      info.kind === 'ec'
        ? verify(info.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        : verify(info.hash, data, key, signature);
    return ok ? 'valid' : 'invalid';
  } catch {
    // OpenSSL refusing the digest (SHA-1 under a strict policy) is "cannot check", not "bad".
    return info.sha1 ? 'unsupported' : 'invalid';
  }
}
