// SipHash-2-4 (Aumasson & Bernstein), the keyed hash RFC 9018 §4.4 prescribes for server
// cookies. 64-bit lanes are kept as 32-bit halves in one typed array: no BigInt, no allocation.

/** v0..v3 as [hi, lo] pairs; m is the current message word. */
const s = new Uint32Array(8);
const V0 = 0, V1 = 2, V2 = 4, V3 = 6;

function add(a: number, b: number): void {
  const lo = s[a + 1]! + s[b + 1]!;
  s[a] = s[a]! + s[b]! + (lo > 0xffffffff ? 1 : 0);
  s[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  const hi = s[a]!;
  const lo = s[a + 1]!;
  if (n === 32) {
    s[a] = lo;
    s[a + 1] = hi;
    return;
  }
  s[a] = (hi << n) | (lo >>> (32 - n));
  s[a + 1] = (lo << n) | (hi >>> (32 - n));
}

function xor(a: number, b: number): void {
  s[a] = s[a]! ^ s[b]!;
  s[a + 1] = s[a + 1]! ^ s[b + 1]!;
}

function round(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); rotl(V0, 32);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); rotl(V2, 32);
}

function le32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

function compress(hi: number, lo: number): void {
  s[V3] = s[V3]! ^ hi;
  s[V3 + 1] = s[V3 + 1]! ^ lo;
  round();
  round();
  s[V0] = s[V0]! ^ hi;
  s[V0 + 1] = s[V0 + 1]! ^ lo;
}

/**
 * SipHash-2-4 of input[0, length) under the 16-byte `key`; the 8-byte result is written to
 * out[at, at+8) in the byte order the reference implementation outputs (little-endian).
 */
export function siphash24(key: Uint8Array, input: Uint8Array, length: number, out: Uint8Array, at: number): void {
  const k0lo = le32(key, 0), k0hi = le32(key, 4), k1lo = le32(key, 8), k1hi = le32(key, 12);
  // The initialisation constants "somepseudorandomlygeneratedbytes".
  s[V0] = k0hi ^ 0x736f6d65; s[V0 + 1] = k0lo ^ 0x70736575;
  s[V1] = k1hi ^ 0x646f7261; s[V1 + 1] = k1lo ^ 0x6e646f6d;
  s[V2] = k0hi ^ 0x6c796765; s[V2 + 1] = k0lo ^ 0x6e657261;
  s[V3] = k1hi ^ 0x74656462; s[V3 + 1] = k1lo ^ 0x79746573;
  const whole = length - (length % 8);
  for (let i = 0; i < whole; i += 8) compress(le32(input, i + 4), le32(input, i));
  // The last word: the remaining bytes, and the length's low byte in the top byte.
  let lo = 0;
  let hi = (length & 0xff) << 24;
  for (let i = whole; i < length; i++) {
    const shift = (i - whole) * 8;
    if (shift < 32) lo |= input[i]! << shift;
    else hi |= input[i]! << (shift - 32);
  }
  compress(hi >>> 0, lo >>> 0);
  s[V2 + 1] = s[V2 + 1]! ^ 0xff;
  round(); round(); round(); round();
  const rhi = (s[V0]! ^ s[V1]! ^ s[V2]! ^ s[V3]!) >>> 0;
  const rlo = (s[V0 + 1]! ^ s[V1 + 1]! ^ s[V2 + 1]! ^ s[V3 + 1]!) >>> 0;
  for (let i = 0; i < 4; i++) {
    out[at + i] = (rlo >>> (8 * i)) & 0xff;
    out[at + 4 + i] = (rhi >>> (8 * i)) & 0xff;
  }
}
