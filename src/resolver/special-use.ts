// Special-use addresses (RFC 6890 registries) that a poisoned NS address must not point the
// resolver at: loopback, private, link-local, shared, documentation, multicast and friends.

import { isIPv4, isIPv6 } from 'node:net';

const V4_BLOCKS: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4(address: string): number {
  return address.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inV4Block(address: string): boolean {
  const a = v4(address);
  return V4_BLOCKS.some(([base, bits]) => Math.floor(a / 2 ** (32 - bits)) === Math.floor(v4(base) / 2 ** (32 - bits)));
}

/** Expands an IPv6 address to 8 groups of 16 bits. */
function v6Groups(address: string): number[] {
  const [head, tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const parse = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').flatMap((g) => (g.includes('.') ? [(v4(g) >>> 16) & 0xffff, v4(g) & 0xffff] : [parseInt(g, 16)]));
  };
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function inV6Block(address: string): boolean {
  const g = v6Groups(address);
  const first = g[0]!;
  if (g.every((x) => x === 0)) return true; // :: unspecified
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true; // ::1 loopback
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    // IPv4-mapped: judge the embedded IPv4 address.
    return inV4Block(`${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`);
  }
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((first & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  if (first === 0x2001 && g[1] === 0x0db8) return true; // 2001:db8::/32 documentation
  return false;
}

/** True for addresses a resolver on the public internet must not send queries to. */
export function isSpecialUse(address: string): boolean {
  if (isIPv4(address)) return inV4Block(address);
  if (isIPv6(address)) return inV6Block(address);
  return true;
}
