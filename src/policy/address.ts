// Client addresses as numbers, read from the text Node gives (rinfo.address) without
// allocating, so the UDP hit path can key its limits by prefix (policy/rrl.ts).

/** Scratch groups of an IPv6 address being read; module-level so parsing allocates nothing. */
const groups = new Int32Array(8);

/**
 * Reads `text` (IPv4 dotted quad, or IPv6 with optional `::`, zone index and embedded IPv4)
 * into `out` as four big-endian 32-bit words. Returns 4 (IPv4, in out[0]; an IPv4-mapped IPv6
 * address ::ffff:a.b.c.d counts as IPv4), 6, or 0 when the text is not an address.
 */
export function parseAddress(text: string, out: Uint32Array): 0 | 4 | 6 {
  const n = text.length;
  // One pass for the common case: IPv4 text fails parseV4 at its first ':' or hex letter.
  const v4 = parseV4(text, 0, n);
  if (v4 >= 0) {
    out[0] = v4;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  return parseV6(text, n, out);
}

/** The dotted quad in text[from, to) as an unsigned 32-bit number, or -1. */
function parseV4(text: string, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

function parseV6(text: string, length: number, out: Uint32Array): 0 | 4 | 6 {
  let n = length;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) === 0x25) {
      n = i; // zone index (fe80::1%eth0): not part of the address
      break;
    }
  }
  let count = 0; // groups read
  let gap = -1; // index in groups where "::" stands
  let i = 0;
  if (n >= 2 && text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return 0;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    let digits = 0;
    let dotted = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      const h = hexValue(c);
      if (h >= 0) {
        value = value * 16 + h;
        digits++;
      } else if (c === 0x2e) {
        dotted = true;
        break;
      } else {
        break;
      }
    }
    if (dotted) {
      // An embedded IPv4 address ends the text and fills two groups (RFC 4291 §2.2).
      const v4 = parseV4(text, start, n);
      if (v4 < 0 || count > 6) return 0;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (digits === 0 || digits > 4 || count >= 8) return 0;
    groups[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return 0;
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return 0;
      gap = count;
      i++;
    } else if (i === n) {
      return 0; // a trailing single colon
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return 0;
  // Spread the groups: those after the gap move to the end, zeros fill the gap.
  if (gap >= 0) {
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket (RFC 4291 §2.5.5.2).
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    out[0] = ((groups[6]! << 16) | groups[7]!) >>> 0;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  for (let k = 0; k < 4; k++) out[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return 6;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The mask of the first `bits` (0..32) bits of a 32-bit word. */
export function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** A prefix like 192.0.2.0/24 or 2001:db8::/32, as numbers. */
export interface Prefix {
  family: 4 | 6;
  words: Uint32Array;
  bits: number;
}

/** Reads "ADDRESS/BITS" (or a bare address: one host); undefined when it is not one. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const words = new Uint32Array(4);
  const family = parseAddress(slash < 0 ? text : text.slice(0, slash), words);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > max) return undefined;
    bits = Number(b);
  }
  // ::ffff:0:0/96-style prefixes read as IPv4: keep the bits that fall in the IPv4 part.
  if (family === 4 && text.includes(':')) bits = Math.max(0, bits - 96);
  for (let k = 0; k < 4; k++) words[k] = (words[k]! & wordMask(bits - 32 * k)) >>> 0;
  return { family, words, bits };
}

/** True when the address in `words` (as parseAddress left it) lies in one of `prefixes`. */
export function inPrefixes(family: 4 | 6, words: Uint32Array, prefixes: readonly Prefix[]): boolean {
  for (let p = 0; p < prefixes.length; p++) {
    const prefix = prefixes[p]!;
    if (prefix.family !== family) continue;
    let match = true;
    for (let k = 0; k < 4 && match; k++) {
      const mask = wordMask(prefix.bits - 32 * k);
      if (((words[k]! & mask) >>> 0) !== prefix.words[k]) match = false;
    }
    if (match) return true;
  }
  return false;
}
