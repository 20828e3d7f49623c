// The attacks of one suite run, full size or quick (the smoke test), each a spec for the
// attacker thread plus how long it ramps up before the probes start.

import type { TransportName } from '../transport/transport.ts';
import type { AmpQuery, AttackSpec } from './spec.ts';
import { ATTACKER_SOURCE, FUZZ_SOURCE, type Stage } from './stage.ts';

export interface Scale {
  /** Probe window during an attack, and after it, seconds. */
  probeS: number;
  afterS: number;
  /** Probe rate per transport, q/s. */
  probeRate: number;
  rampS: number;
  /** Connection attacks: connections held, and the drip interval. */
  connections: number;
  dripMs: number;
  udpPackets: number;
  subdomainRate: number;
  resetStreams: number;
  fuzzPackets: number;
  fuzzS: number;
  ampRate: number;
  ampS: number;
  /** The target row: `. DNSKEY +DO` at this rate (the issue's 10k q/s). */
  dnskeyRate: number;
  dnskeyS: number;
  /** Rows of the amplification table (each with and without DO), from the top. */
  ampPairs: number;
}

export const FULL: Scale = {
  probeS: 6, afterS: 3, probeRate: 10, rampS: 2, connections: 1100, dripMs: 2000, udpPackets: 3_000_000,
  subdomainRate: 1000, resetStreams: 500_000, fuzzPackets: 1_000_000, fuzzS: 30, ampRate: 1000, ampS: 1, dnskeyRate: 10_000, dnskeyS: 3, ampPairs: 99,
};

export const QUICK: Scale = {
  probeS: 0.7, afterS: 0.4, probeRate: 8, rampS: 0.3, connections: 10, dripMs: 200, udpPackets: 2000,
  subdomainRate: 100, resetStreams: 1000, fuzzPackets: 1500, fuzzS: 2, ampRate: 200, ampS: 0.2, dnskeyRate: 1000, dnskeyS: 0.3, ampPairs: 2,
};

export interface PlannedAttack {
  id: string;
  title: string;
  /** Connection attacks must leave every transport ≥ 95 %; floods UDP (the issue's targets). */
  class: 'flood' | 'connection' | 'packet';
  spec: AttackSpec;
  rampS: number;
}

/** Every attack of the suite against this stage, at this scale. */
export function plan(stage: Stage, s: Scale): PlannedAttack[] {
  const dns = { ...stage.endpoints.udp, source: ATTACKER_SOURCE };
  const during = (ramp: number): number => ramp + s.probeS + 0.3;
  const out: PlannedAttack[] = [
    { id: 'udp-garbage', title: 'UDP garbage flood (one source, flat out)', class: 'flood', rampS: s.rampS / 2, spec: { kind: 'udp-garbage', ...dns, durationS: during(s.rampS / 2), maxPackets: s.udpPackets } },
  ];
  for (const [kind, zone] of Object.entries(stage.zones) as [string, string][]) {
    out.push({
      id: `subdomain-${kind}`,
      title: `random-subdomain flood, ${kind === 'unsigned' ? 'unsigned zone' : `${kind.toUpperCase()}-signed zone`} (${s.subdomainRate} q/s, DO)`,
      class: 'flood',
      rampS: s.rampS,
      spec: { kind: 'random-subdomain', ...dns, zone, rate: s.subdomainRate, durationS: during(s.rampS), dnssecOk: true },
    });
  }
  const streams: ['tcp' | 'dot' | 'doh', TransportName][] = [['tcp', 'tcp'], ['dot', 'dot'], ['doh', 'doh']];
  for (const reopen of [false, true]) {
    for (const [t] of streams) {
      const ep = stage.endpoints[t];
      out.push({
        id: `${t}-${reopen ? 'churn' : 'slow-drip'}`,
        title: `${t.toUpperCase()} ${reopen ? 'reconnect-churn' : 'slow-drip'}: ${s.connections} connections, 1 byte / ${s.dripMs / 1000} s${reopen ? ', reopened when closed' : ''}`,
        class: 'connection',
        rampS: s.rampS * 1.5,
        spec: { kind: 'slow-drip', host: ep.host, port: ep.port, source: ATTACKER_SOURCE, transport: t, connections: s.connections, dripMs: s.dripMs, reopen, durationS: during(s.rampS * 1.5), maxConnects: s.connections * 20 },
      });
    }
  }
  const doh = stage.endpoints.doh;
  out.push({
    id: 'h2-rapid-reset',
    title: 'HTTP/2 rapid reset (HEADERS + RST_STREAM, raw frames)',
    class: 'connection',
    rampS: s.rampS / 2,
    spec: { kind: 'rapid-reset', host: doh.host, port: doh.port, source: ATTACKER_SOURCE, path: doh.path, durationS: during(s.rampS / 2), maxStreams: s.resetStreams },
  });
  out.push({
    id: 'fuzz',
    title: `fuzzed client packets (UDP + 1 % TCP, ≤ ${s.fuzzPackets.toLocaleString('en')} packets)`,
    class: 'packet',
    rampS: s.rampS / 2,
    spec: { kind: 'fuzz', ...dns, source: FUZZ_SOURCE, durationS: s.fuzzS, maxPackets: s.fuzzPackets, seed: 20261204, tcpShare: 0.01 },
  });
  return out;
}

/** The amplification table's queries: each with and without DO, plus the 10k q/s target row. */
export function amplificationQueries(stage: Stage, s: Scale): AmpQuery[] {
  const z = stage.zones;
  const rsa = stage.ampZones.rsa;
  const pairs: [string, string][] = [
    ['.', 'DNSKEY'], [rsa, 'DNSKEY'], ['.', 'NS'], ['.', 'SOA'], [z.nsec, 'DNSKEY'], [z.nsec3, 'DNSKEY'], [z.nsec, 'ANY'], [z.nsec, 'TXT'], [z.nsec, 'MX'],
    [`www.${z.nsec}`, 'A'], [`nx-amp.${z.nsec}`, 'A'], [`nx-amp.${z.nsec3}`, 'A'], [`www.${z.unsigned}`, 'A'],
  ];
  const rows: AmpQuery[] = [];
  for (const [name, type] of pairs.slice(0, s.ampPairs)) for (const dnssecOk of [false, true]) rows.push({ name, type, dnssecOk, udpSize: 4096 });
  // The target rows: the issue's `. DNSKEY +DO`, and the same from the RSA zone, whose reply is
  // as large as the real root's (the simulated root signs with ECDSA: small keys).
  rows.push({ name: '.', type: 'DNSKEY', dnssecOk: true, udpSize: 4096, rate: s.dnskeyRate, durationS: s.dnskeyS });
  rows.push({ name: rsa, type: 'DNSKEY', dnssecOk: true, udpSize: 4096, rate: s.dnskeyRate, durationS: s.dnskeyS });
  return rows;
}
