// Listen addresses in ADDR:PORT form: `127.0.0.1:5353`, or `[::1]:5353` for IPv6 (RFC 3986 §3.2.2 brackets).

import { isIP } from 'node:net';
import type { ListenAddress } from '../server/options.ts';
import { ConfigError, describe, show, type Check } from './check.ts';

const FORM = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/;

export function parseListen(text: string): ListenAddress | undefined {
  const m = FORM.exec(text);
  if (!m) return undefined;
  const address = m[1] ?? m[2]!;
  const family = isIP(address);
  // An IPv6 address must be bracketed and an IPv4 one must not, so the form is unambiguous.
  if (family === 0 || (family === 6) !== (m[1] !== undefined)) return undefined;
  const port = Number(m[3]);
  if (port > 65_535) return undefined;
  return { address, port, family: family === 6 ? 6 : 4 };
}

export function formatListen(l: { address: string; port: number; family: 4 | 6 }): string {
  return l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** The JSON Schema of ADDR:PORT: the shape only; the check also parses the address and port range. */
export const LISTEN_SCHEMA = { type: 'string', pattern: '^(\\[[^\\]]+\\]|[0-9.]+):[0-9]{1,5}$', examples: ['127.0.0.1:5353', '[::1]:5353'] };

export const listenAddress: Check<ListenAddress> = describe((value, path) => {
  const parsed = typeof value === 'string' ? parseListen(value) : undefined;
  if (!parsed) throw new ConfigError(path, `${show(value)} is not ADDR:PORT (e.g. 127.0.0.1:5353 or [::1]:5353)`);
  return parsed;
}, LISTEN_SCHEMA, (value) => formatListen(value as ListenAddress));
