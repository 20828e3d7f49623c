// Shared set-up for val_ scenario tests: the signed simulated internet and a validating resolver over it in memory.

import type { RecordCache } from '../../src/cache/record-cache.ts';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { parseTrustAnchors } from '../../src/dnssec/anchors.ts';
import { Validator, type ValidatorOptions } from '../../src/dnssec/validator.ts';
import { defaultLimits } from '../../src/resolver/options.ts';
import type { ClientQuestion } from '../../src/resolver/resolution.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { generateInternet, type Internet } from '../sim/internet.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';

/** Signatures are made around this instant; the resolver's clock starts there. */
export const NOW = 1_800_000_000;

let shared: Internet | undefined;

/** One signed internet per test process: signing takes about a second. */
export function signedInternet(): Internet {
  shared ??= generateInternet({ seed: 7, zones: 60, signed: true, now: NOW });
  return shared;
}

export interface Setup {
  internet: Internet;
  resolver: Resolver;
  cache: RecordCache;
  clock: ManualClock;
  validator: Validator;
}

/** `off`: the same resolver without a validator (for cost comparisons). */
export function signedSetup(over: Partial<ValidatorOptions> & { qnameMinimisation?: boolean; off?: boolean } = {}): Setup {
  const internet = signedInternet();
  internet.network.reset();
  const clock = new ManualClock(NOW * 1000);
  const cache = memoryRecordCache(clock);
  const validator = new Validator({ trustAnchors: parseTrustAnchors(internet.dnssec!.trustAnchor), now: () => clock.now() / 1000, ...over });
  const resolver = new Resolver({
    transport: new MemoryTransport(internet.network),
    cache,
    clock,
    options: {
      rootHints: internet.rootHints,
      upstreamPort: 53,
      qnameMinimisation: over.qnameMinimisation ?? true,
      ipv6Upstream: false,
      allowLocalUpstream: true,
      forwardZones: [],
      limits: defaultLimits,
    },
    log: silentLogger,
    ...(over.off ? {} : { validator }),
  });
  return { internet, resolver, cache, clock, validator };
}

export function question(qname: string, qtype: number, flags: Partial<ClientQuestion> = {}): ClientQuestion {
  return { qname, qtype, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true, ...flags };
}

export const rcodeOf = { answer: 'NOERROR', nodata: 'NOERROR', nxdomain: 'NXDOMAIN', servfail: 'SERVFAIL', refused: 'REFUSED' } as const;

/** The first signed second-level zone of the internet with this DNSKEY algorithm and denial kind, under a signed TLD. */
export function signedZone(internet: Internet, algorithm: number, denial: 'NSEC' | 'NSEC3'): string {
  for (const [apex, sim] of internet.zones) {
    if (apex.split('.').length !== 2 || apex.endsWith('.example') || !internet.catalogue.some((e) => e.name === `www.${apex}` && e.dnssec?.status === 'secure')) continue;
    const key = sim.zone.records.find((r) => r.type === 'DNSKEY' && r.name === apex);
    if (key && (key.data as { algorithm: number }).algorithm === algorithm && sim.zone.records.some((r) => r.type === denial)) return apex;
  }
  throw new Error(`no signed zone with algorithm ${algorithm} and ${denial}`);
}
