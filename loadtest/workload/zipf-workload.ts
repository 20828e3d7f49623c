// Generates a workload from the simulated internet's catalogue: Zipf-popular names, cold names, NXDOMAIN.

import type { CatalogueEntry } from '../../test/sim/internet.ts';
import { generateInternet } from '../../test/sim/internet.ts';
import type { QuerySpec, EncodeOptions } from './query-table.ts';
import { QueryTable } from './query-table.ts';
import { randomLabel, seededRandom, shuffle } from './random.ts';
import type { Workload } from './workload.ts';
import { ZipfSampler } from './zipf.ts';

export interface ZipfWorkloadOptions {
  /** Seed of the workload's choices (not of the internet). */
  seed: number;
  /** The simulated internet to draw names from: the same seed and size the servers were built with. */
  simSeed: number;
  simZones: number;
  /** Zipf exponent over the popular names. */
  s: number;
  /** Queries in the sequence; cold names are unique within it. */
  length: number;
  /** Share of never-seen names (random labels under existing zones): each one a cache miss. */
  coldShare: number;
  /** Share of catalogued NXDOMAIN names, themselves Zipf-popular (negative-cache hits once warm). */
  nxShare: number;
}

/**
 * Tags of ordinary names. Special cases (dead, lame, slow, loops, poison …) are left out: a
 * benchmark measures a resolver's speed, the test suite its behaviour under faults.
 */
const ORDINARY = new Set(['glue', 'glueless', 'mx', 'txt', 'nxdomain', 'nodata', 'wildcard', 'ent', 'cname', 'chain-1', 'chain-2', 'chain-3', 'tld']);

export function isOrdinary(e: CatalogueEntry): boolean {
  return e.rcode !== 'SERVFAIL' && e.tags.every((t) => ORDINARY.has(t));
}

/** Ordinary names with an answer (NOERROR), and ordinary NXDOMAIN names, from a catalogue. */
export function splitCatalogue(catalogue: readonly CatalogueEntry[]): { hot: QuerySpec[]; nx: QuerySpec[]; coldParents: string[] } {
  const ordinary = catalogue.filter(isOrdinary);
  const hot = ordinary.filter((e) => e.rcode === 'NOERROR').map((e) => ({ name: e.name, type: e.type }));
  const nx = ordinary.filter((e) => e.rcode === 'NXDOMAIN').map((e) => ({ name: e.name, type: e.type }));
  // Under a wildcard (RFC 4592) a random label answers NOERROR: a cold miss with a real answer.
  // Without wildcards, random labels under zone apexes (NXDOMAIN misses) still make cold names.
  const wild = ordinary.filter((e) => e.tags.includes('wildcard')).map((e) => e.name.slice(e.name.indexOf('.') + 1));
  const apexes = ordinary.filter((e) => e.type === 'MX').map((e) => e.name);
  return { hot, nx, coldParents: wild.length > 0 ? [...new Set(wild)] : apexes };
}

export function zipfWorkload(o: ZipfWorkloadOptions, encode: EncodeOptions = {}): Workload {
  for (const [key, v] of [['coldShare', o.coldShare], ['nxShare', o.nxShare]] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`zipf workload: ${key} must be in [0, 1], got ${v}`);
  }
  if (o.coldShare + o.nxShare > 1) throw new RangeError('zipf workload: coldShare + nxShare exceeds 1');
  const { catalogue } = generateInternet({ seed: o.simSeed, zones: o.simZones });
  const random = seededRandom(o.seed);
  const split = splitCatalogue(catalogue);
  // Popularity rank is a seeded shuffle: which names are hot must not follow catalogue order.
  const hot = shuffle([...split.hot], random);
  const nx = shuffle([...split.nx], random);
  if (hot.length === 0) throw new Error('zipf workload: the catalogue has no ordinary names');
  const hotZipf = new ZipfSampler(hot.length, o.s);
  const nxZipf = nx.length > 0 ? new ZipfSampler(nx.length, o.s) : undefined;

  const specs: QuerySpec[] = [...hot, ...nx];
  const sequence = new Int32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    const u = random();
    if (u < o.coldShare) {
      const parent = split.coldParents[Math.floor(random() * split.coldParents.length)]!;
      sequence[i] = specs.push({ name: `${randomLabel(random)}.${parent}`, type: 'A' }) - 1;
    } else if (u < o.coldShare + o.nxShare && nxZipf) {
      sequence[i] = hot.length + nxZipf.rank(random());
    } else {
      sequence[i] = hotZipf.rank(random());
    }
  }
  return {
    table: new QueryTable(specs, encode),
    sequence,
    description: `zipf s=${o.s} over ${hot.length} names, cold ${o.coldShare}, nxdomain ${o.nxShare} (sim seed ${o.simSeed}, ${o.simZones} zones, workload seed ${o.seed})`,
    uniqueTail: o.coldShare > 0,
  };
}
