// Parses root hints in the named.root master-file form (NS at ".", A/AAAA for each NS name).

import { canonicalName } from '../dns/name.ts';
import type { ServerHint } from './options.ts';
import { isIP } from 'node:net';

export class HintsError extends Error {}

/** Reads `. NS name` and `name A|AAAA addr` lines; comments (;) and $-directives are ignored. */
export function parseRootHints(text: string): ServerHint[] {
  const nsNames: string[] = [];
  const addresses = new Map<string, string[]>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '' || line.startsWith('$')) return;
    const fields = line.split(/\s+/);
    // owner [ttl] [class] type rdata
    const owner = canonicalName(fields[0]!);
    let i = 1;
    if (/^\d+$/.test(fields[i] ?? '')) i++;
    if (/^(IN|CH)$/i.test(fields[i] ?? '')) i++;
    const type = (fields[i] ?? '').toUpperCase();
    const rdata = fields[i + 1];
    if (rdata === undefined) throw new HintsError(`root hints line ${index + 1}: no record data`);
    if (type === 'NS') {
      if (owner !== '.') throw new HintsError(`root hints line ${index + 1}: NS owner must be "."`);
      nsNames.push(canonicalName(rdata));
    } else if (type === 'A' || type === 'AAAA') {
      if (isIP(rdata) !== (type === 'A' ? 4 : 6)) {
        throw new HintsError(`root hints line ${index + 1}: "${rdata}" is not an ${type} address`);
      }
      const list = addresses.get(owner) ?? [];
      list.push(rdata);
      addresses.set(owner, list);
    } else {
      throw new HintsError(`root hints line ${index + 1}: unexpected type ${type}`);
    }
  });
  const hints = nsNames.map((name) => ({ name, addresses: addresses.get(name) ?? [] }));
  if (!hints.some((h) => h.addresses.length > 0)) throw new HintsError('root hints: no root server has an address');
  return hints;
}
