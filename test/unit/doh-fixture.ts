// Test fixture for the DoH/DoT unit tests: a pipeline over a table of resolutions, a throwaway
// self-signed certificate (openssl), and DoH/DoT listeners on loopback port 0.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { RR } from '../../src/dns/message.ts';
import { createDohHandler } from '../../src/doh/handler.ts';
import { DohListener } from '../../src/doh/listener.ts';
import { defaultDohOptions, type DohOptions } from '../../src/doh/options.ts';
import type { ClientQuestion, Resolution } from '../../src/resolver/resolution.ts';
import { createPipeline, type Pipeline } from '../../src/server/pipeline.ts';
import { TlsCredentials } from '../../src/server/tls.ts';
import { silentLogger } from '../../src/util/log.ts';

export const a = (name: string, address: string, ttl: number): RR => ({ name, type: 'A', class: 'IN', ttl, data: address });
export const soa = (ttl: number, minimum: number): RR => ({
  name: 'test', type: 'SOA', class: 'IN', ttl,
  data: { mname: 'ns1.test', rname: 'hostmaster.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});

/** Names the fake resolver knows; `slow.test` answers after 300 ms. */
export const TABLE: Record<string, Resolution | (() => Promise<Resolution>)> = {
  'www.test': { kind: 'answer', answer: [a('www.test', '192.0.2.1', 300), a('www.test', '192.0.2.2', 60)], authority: [] },
  'txt.test': { kind: 'answer', answer: [{ name: 'txt.test', type: 'TXT', class: 'IN', ttl: 30, data: ['hello "world"'] }], authority: [] },
  'nx.test': { kind: 'nxdomain', answer: [], authority: [soa(900, 120)] },
  'fail.test': { kind: 'servfail', ede: { code: 22, text: 'no reachable authority' }, reason: 'test' },
  'slow.test': () => new Promise((r) => setTimeout(() => r({ kind: 'answer', answer: [a('slow.test', '192.0.2.9', 5)], authority: [] }), 300)),
};

export function fakePipeline(): { pipeline: Pipeline; asked: ClientQuestion[] } {
  const asked: ClientQuestion[] = [];
  const resolve = async (q: ClientQuestion): Promise<Resolution> => {
    asked.push(q);
    const entry = TABLE[q.qname];
    if (entry === undefined) return { kind: 'nxdomain', answer: [], authority: [soa(60, 60)] };
    return typeof entry === 'function' ? entry() : entry;
  };
  return { pipeline: createPipeline({ resolve, log: silentLogger }), asked };
}

/** A DNS query in wire form (ID 0 by default, as DoH clients send), with EDNS unless `edns` is false. */
export function query(name: string, type: dnsPacket.RecordType = 'A', options: { id?: number; edns?: boolean } = {}): Buffer {
  return dnsPacket.encode({
    id: options.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: options.edns === false ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}

export interface Cert {
  dir: string;
  cert: string;
  key: string;
  pem: string;
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1; undefined without openssl. */
export function makeCert(dir = mkdtempSync(join(tmpdir(), 'andns-doh-cert-')), name = 'cert'): Cert | undefined {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
  } catch {
    if (process.env['CI']) throw new Error('openssl is required in CI');
    return undefined;
  }
  return { dir, cert, key, pem: readFileSync(cert, 'utf8') };
}

export async function startDoh(pipeline: Pipeline, options: Partial<DohOptions> = {}, cert?: Cert): Promise<{ listener: DohListener; origin: string; credentials: TlsCredentials | undefined }> {
  const o = { ...defaultDohOptions, ...options };
  const credentials = cert ? TlsCredentials.load({ cert: cert.cert, key: cert.key }, silentLogger) : undefined;
  const listener = await DohListener.listen({ address: '127.0.0.1', port: 0, family: 4 }, createDohHandler(pipeline, o.path), o, credentials, silentLogger);
  return { listener, origin: `${cert ? 'https' : 'http'}://127.0.0.1:${listener.port}`, credentials };
}
