// RFC 4648 §7 "base32hex" without padding: the alphabet of NSEC3 owner labels (RFC 5155 §3.3).

const B32HEX = '0123456789abcdefghijklmnopqrstuv';

/** RFC 4648 §7 "base32hex" without padding, lower case (RFC 5155 §3.3). */
export function base32hexEncode(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32HEX[(value << (5 - bits)) & 31];
  return out;
}

/** Inverse of base32hexEncode, case-insensitive; undefined on a character outside the alphabet. */
export function base32hexDecodeOrUndefined(text: string): Buffer | undefined {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toLowerCase()) {
    const v = B32HEX.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}
