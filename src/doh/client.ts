// Who is asking over DoH: the TCP peer, or — only when that peer is a configured trusted proxy —
// the client the proxy names in Forwarded (RFC 7239) or X-Forwarded-For. allowFrom judges that.

import type { Acl } from '../policy/acl.ts';

export interface DohAccess {
  acl: Acl;
  /** Proxies whose forwarding headers are believed; undefined: none are. */
  trustedProxies: Acl | undefined;
}

/**
 * The client address of a request. Headers are a client's own words unless a trusted proxy
 * wrote them, so they count only when the peer is trusted; then the chain is read from the right
 * (the hop nearest us), skipping trusted proxies: the first other entry is the client (RFC 7239
 * §5.2 order). A chain of trusted proxies only gives its leftmost entry. An entry that is no
 * address ("unknown", an obfuscated name) is returned as is, and allowFrom then refuses it.
 */
export function clientAddress(peer: string, forwarded: string | undefined, forwardedFor: string | undefined, trusted: Acl | undefined): string {
  if (!trusted || !trusted.allows(peer)) return peer;
  const chain = forwarded !== undefined ? forwardedFors(forwarded) : forwardedFor !== undefined ? forwardedFor.split(',').map(bareAddress) : [];
  if (chain.length === 0) return peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    if (!trusted.allows(chain[i]!)) return chain[i]!;
  }
  return chain[0]!;
}

/** The `for=` values of a Forwarded header, in order (RFC 7239 §4: elements by comma, pairs by semicolon). */
function forwardedFors(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      out.push(bareAddress(pair.slice(eq + 1)));
    }
  }
  return out;
}

/** `"[2001:db8::1]:4711"` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1` (RFC 7239 §6 node forms). */
function bareAddress(text: string): string {
  let t = text.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    return close > 0 ? t.slice(1, close) : t;
  }
  const colon = t.indexOf(':');
  // One colon is an IPv4 address with a port; more make an unbracketed IPv6 address.
  return colon > 0 && t.indexOf(':', colon + 1) < 0 ? t.slice(0, colon) : t;
}

/** A header's value as one string (HTTP/2 may give repeated fields as an array). */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
