// Access control (allowFrom): which client addresses may use the resolver. Prefixes become
// numeric ranges once, at start-up; a check reads the address text Node hands us (rinfo.address)
// into scratch words with policy/address.ts (the parser the rate limits use too), so the UDP
// hot path allocates nothing and splits no string.

import { parseAddress } from './address.ts';

/** Like PowerDNS Recursor's allow-from default: loopback and the private and local ranges. */
export const DEFAULT_ALLOW_FROM: readonly string[] = Object.freeze([
  '127.0.0.0/8', // RFC 1122 §3.2.1.3 loopback
  '10.0.0.0/8', // RFC 1918
  '172.16.0.0/12', // RFC 1918
  '192.168.0.0/16', // RFC 1918
  '100.64.0.0/10', // RFC 6598 shared address space (carrier-grade NAT)
  '169.254.0.0/16', // RFC 3927 link-local
  '::1/128', // RFC 4291 §2.5.3 loopback
  'fc00::/7', // RFC 4193 unique local
  'fe80::/10', // RFC 4291 §2.5.6 link-local
]);

export interface Prefix {
  family: 4 | 6;
  /** The network, big-endian 32-bit words (IPv4 in word 0). */
  words: Uint32Array;
  /** Prefix length in bits. */
  length: number;
}

/** Scratch words an address is read into: module-level, so a check allocates nothing. */
const scratch = new Uint32Array(4);

/** `10.0.0.0/8`, `fe80::/10`, or a bare address (a /32 or /128). Undefined when malformed. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  if (address.includes('%')) return undefined;
  const words = new Uint32Array(4);
  // A mapped address in a prefix would silently mean IPv4: ask for the IPv4 form instead.
  if (/^::ffff:/i.test(address) && address.includes('.')) return undefined;
  let family = parseAddress(address, words);
  if (family === 0) return undefined;
  if (family === 4 && address.includes(':')) {
    // ::ffff:a:b in hex. Clients in that space are read as IPv4, so a prefix inside it
    // (/96 or longer) would never match: ask for the IPv4 form. A shorter one is an IPv6
    // prefix that merely starts there (::ffff:0:0/0 is ::/0).
    if (slash < 0 || Number(text.slice(slash + 1)) >= 96) return undefined;
    words[2] = 0xffff;
    words[3] = words[0]!;
    words[0] = 0;
    family = 6;
  }
  const max = family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
    length = Number(bits);
  }
  maskWords(words, length);
  return { family, words, length };
}

/** Zeroes every bit past the first `length`. */
function maskWords(words: Uint32Array, length: number): void {
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, length - 32 * i));
    words[i] = keep === 0 ? 0 : keep === 32 ? words[i]! : (words[i]! & (0xffffffff << (32 - keep))) >>> 0;
  }
}

export function formatPrefix(p: Prefix): string {
  if (p.family === 4) {
    const w = p.words[0]!;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${p.length}`;
  }
  const hex: string[] = [];
  for (let i = 0; i < 8; i++) hex.push(((p.words[i >> 1]! >>> (i % 2 === 0 ? 16 : 0)) & 0xffff).toString(16));
  return `${hex.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${p.length}`;
}

/**
 * The allowed prefixes as sorted, merged numeric ranges: IPv4 as [start, end] pairs searched by
 * bisection, IPv6 as (network, mask) words compared in a short loop.
 */
export class Acl {
  // Not readonly: a reload replaces the list in place (replace()), so every front-end holding
  // this Acl sees the new one at its next check.
  private v4!: Float64Array;
  private v6!: Uint32Array;
  private v6Masks!: Uint32Array;
  prefixes!: readonly Prefix[];

  constructor(prefixes: readonly Prefix[]) {
    this.replace(prefixes);
  }

  /** Takes `prefixes` instead of the current list (a config reload). */
  replace(prefixes: readonly Prefix[]): void {
    this.prefixes = prefixes;
    const ranges = prefixes
      .filter((p) => p.family === 4)
      .map((p) => [p.words[0]!, p.words[0]! + 2 ** (32 - p.length) - 1] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.v4 = Float64Array.from(merged.flat());
    const six = prefixes.filter((p) => p.family === 6);
    this.v6 = new Uint32Array(six.length * 4);
    this.v6Masks = new Uint32Array(six.length * 4);
    six.forEach((p, i) => {
      this.v6.set(p.words, i * 4);
      const mask = new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
      maskWords(mask, p.length);
      this.v6Masks.set(mask, i * 4);
    });
  }

  /** Parses every prefix; throws naming the first one that is malformed. */
  static from(texts: readonly string[]): Acl {
    return new Acl(parsePrefixes(texts));
  }

  /** True when the list lets every IPv4 or every IPv6 address in (0.0.0.0/0 or ::/0). */
  get allowsEveryone(): boolean {
    return this.prefixes.some((p) => p.length === 0);
  }

  /** Whether `address` (as Node prints it) is allowed. Text that is no address is not. */
  allows(address: string): boolean {
    const family = parseAddress(address, scratch);
    if (family === 4) return this.allowsV4(scratch[0]!);
    if (family === 6) return this.allowsV6(scratch);
    return false;
  }

  private allowsV4(a: number): boolean {
    const r = this.v4;
    let lo = 0;
    let hi = r.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a < r[2 * mid]!) hi = mid - 1;
      else if (a > r[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private allowsV6(w: Uint32Array): boolean {
    const nets = this.v6;
    const masks = this.v6Masks;
    for (let i = 0; i < nets.length; i += 4) {
      if (
        ((w[0]! & masks[i]!) >>> 0) === nets[i] &&
        ((w[1]! & masks[i + 1]!) >>> 0) === nets[i + 1] &&
        ((w[2]! & masks[i + 2]!) >>> 0) === nets[i + 2] &&
        ((w[3]! & masks[i + 3]!) >>> 0) === nets[i + 3]
      ) {
        return true;
      }
    }
    return false;
  }
}

/** Loopback listeners (127.0.0.0/8, ::1) are reachable from this host only. */
export function isLoopback(address: string): boolean {
  const w = new Uint32Array(4);
  const family = parseAddress(address, w);
  if (family === 4) return w[0]! >>> 24 === 127;
  return family === 6 && w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 1;
}

/** Parses every prefix; throws naming the first one that is malformed. */
export function parsePrefixes(texts: readonly string[]): Prefix[] {
  return texts.map((t) => {
    const p = parsePrefix(t);
    if (!p) throw new Error(`"${t}" is not an address prefix like 192.0.2.0/24 or 2001:db8::/32`);
    return p;
  });
}
