// A small hand-written hierarchy for scenario tests: root, com, net and a few zones with
// glue, glue-less NS names, CNAMEs, a lame pair, a poisoner, a big answer and an NS loop.

import { Resolver } from '../../src/resolver/resolver.ts';
import { defaultLimits, type ResolverOptions, type WorkLimits } from '../../src/resolver/options.ts';
import { memoryRecordCache } from './memory-cache.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { parseZone } from './zone.ts';
import { SimNetwork, SimServer, type Faults } from './server.ts';
import { MemoryTransport } from './memory-transport.ts';

const ROOT = `
$ORIGIN .
@ 86400 SOA a.root. nstld. 1 1800 900 604800 86400
@ NS a.root.
a.root. A 127.53.0.1
com. NS ns.com.
ns.com. A 127.53.1.1
net. NS ns.net.
ns.net. A 127.53.1.2
`;
const COM = `
$ORIGIN com.
@ SOA ns.com. h.com. 1 1800 900 604800 300
@ NS ns.com.
ns A 127.53.1.1
example NS ns1.example.com.
ns1.example A 127.53.2.1
gluelss NS ns.hoster.net.
loop-a NS ns.loop-b.net.
lame NS ns1.lame.com.
lame NS ns2.lame.com.
ns1.lame A 127.53.2.10
ns2.lame A 127.53.2.11
poison NS ns.poison.com.
ns.poison A 127.53.2.20
big NS ns.big.com.
ns.big A 127.53.2.30
`;
/** NXNSAttack shape: a delegation to 100 glue-less NS names in a zone that does not exist. */
const NXNS = Array.from({ length: 100 }, (_, i) => `nxns.com. NS ns${i}.nowhere.net.`).join('\n');
const NET = `
$ORIGIN net.
@ SOA ns.net. h.net. 1 1800 900 604800 300
@ NS ns.net.
ns A 127.53.1.2
hoster NS ns.hoster.net.
ns.hoster A 127.53.3.1
loop-b NS ns.loop-a.com.
`;
const EXAMPLE = `
$ORIGIN example.com.
@ SOA ns1 h 1 1800 900 604800 60
@ NS ns1
ns1 A 127.53.2.1
www 600 A 192.0.2.10
alias CNAME www
away CNAME web.gluelss.com.
only-a A 192.0.2.11
; a long name: 0x20 then carries ~40 bits of case entropy (spoofing tests)
thequickbrownfoxjumpsoverthelazydog A 192.0.2.12
; ent.example.com is an empty non-terminal
deep.ent A 192.0.2.13
`;
const GLUELESS = `
$ORIGIN gluelss.com.
@ SOA ns.hoster.net. h 1 1800 900 604800 60
@ NS ns.hoster.net.
web A 192.0.2.20
`;
const HOSTER = `
$ORIGIN hoster.net.
@ SOA ns h 1 1800 900 604800 60
@ NS ns
ns A 127.53.3.1
`;
const LAME = `
$ORIGIN lame.com.
@ SOA ns1 h 1 1800 900 604800 60
@ NS ns1
@ NS ns2
host A 192.0.2.30
`;
const POISON = `
$ORIGIN poison.com.
@ SOA ns h 1 1800 900 604800 60
@ NS ns
ns A 127.53.2.20
host A 192.0.2.40
sub NS ns1.example.com.
`;
function bigTxt(): string {
  const lines = ['$ORIGIN big.com.', '@ SOA ns h 1 1800 900 604800 60', '@ NS ns', 'ns A 127.53.2.30'];
  for (let i = 0; i < 60; i++) lines.push(`many A 192.0.2.${i + 1}`);
  return lines.join('\n');
}

export interface World {
  options: ResolverOptions;
  net: SimNetwork;
  resolver: Resolver;
  clock: ManualClock;
  server(name: string): SimServer;
}

export function smallWorld(faults: Record<string, Faults> = {}, limits: Partial<WorkLimits> = {}, overrides: Partial<ResolverOptions> = {}): World {
  const net = new SimNetwork();
  const add = (name: string, address: string, zones: string[]) =>
    net.add(new SimServer({ name, address, zones: zones.map((z) => parseZone(z)), ...(faults[name] ? { faults: faults[name] } : {}) }));
  add('a.root', '127.53.0.1', [ROOT]);
  add('ns.com', '127.53.1.1', [COM + NXNS]);
  add('ns.net', '127.53.1.2', [NET]);
  add('ns1.example.com', '127.53.2.1', [EXAMPLE]);
  add('ns.hoster.net', '127.53.3.1', [GLUELESS, HOSTER]);
  add('ns1.lame.com', '127.53.2.10', [LAME]);
  add('ns2.lame.com', '127.53.2.11', [LAME]);
  add('ns.poison.com', '127.53.2.20', [POISON]);
  add('ns.big.com', '127.53.2.30', [bigTxt()]);
  const clock = new ManualClock();
  const options: ResolverOptions = {
    rootHints: [{ name: 'a.root', addresses: ['127.53.0.1'] }],
    upstreamPort: 53,
    qnameMinimisation: false,
    ipv6Upstream: false,
    allowLocalUpstream: true,
    forwardZones: [],
    limits: { ...defaultLimits, ...limits },
    ...overrides,
  };
  const resolver = new Resolver({
    transport: new MemoryTransport(net),
    cache: memoryRecordCache(clock),
    clock,
    options,
    log: silentLogger,
  });
  return { net, resolver, clock, options, server: (n) => net.byName(n)! };
}

