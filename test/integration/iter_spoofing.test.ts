// A blind spoofer races the real server: while andns waits for a slow authoritative reply, every
// possible ID is sprayed at its source port from the server's own address. Nothing forged may
// be accepted or cached (RFC 5452: random port + ID + 0x20 case).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Resolver } from '../../src/resolver/resolver.ts';
import { memoryRecordCache } from '../sim/memory-cache.ts';
import { SocketTransport } from '../../src/net/socket-transport.ts';
import { systemClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { smallWorld } from '../sim/small-world.ts';
import { forgedReplies, serveNetwork } from '../sim/socket-host.ts';

const TARGET = 'thequickbrownfoxjumpsoverthelazydog.example.com';
const SERVER = '127.53.2.1';

/** Local port of this process's UDP socket connected to address:port, from /proc/net/udp. */
function connectedLocalPort(address: string, port: number): { address: string; port: number } | undefined {
  const hex = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).reverse().join('');
  const remote = `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2] === remote) {
      const [laddr, lport] = f[1]!.split(':') as [string, string];
      const bytes = laddr.match(/../g)!.reverse().map((b) => parseInt(b, 16));
      return { address: bytes.join('.'), port: parseInt(lport, 16) };
    }
  }
  return undefined;
}

test('iter_spoofing: 65,536 forged replies racing a slow server are all rejected', { timeout: 40_000 }, async (t) => {
  const world = smallWorld();
  const host = await serveNetwork(world.net);
  t.after(() => host.close());
  const transport = new SocketTransport();
  t.after(() => transport.close());
  const cache = memoryRecordCache(systemClock);
  const resolver = new Resolver({
    transport,
    cache,
    clock: systemClock,
    options: { ...world.options, upstreamPort: host.port, limits: { ...world.options.limits, upstreamTimeoutMs: 9_000, maxQueryTimeMs: 20_000 } },
    log: silentLogger,
  });
  const ask = (qname: string) => resolver.resolve({ qname, qtype: 1, qclass: 1, dnssecOk: false, checkingDisabled: false, recursionDesired: true });

  // Learn the root and com delegations first; example.com's server is new to the resolver.
  assert.equal((await ask('ns.com')).kind, 'answer');
  world.server('ns1.example.com').faults.delayMs = 6_000;
  const pending = ask(TARGET);

  let victim: { address: string; port: number } | undefined;
  for (let i = 0; i < 200 && !victim; i++) {
    await new Promise((r) => setTimeout(r, 10));
    victim = connectedLocalPort(SERVER, host.port);
  }
  assert.ok(victim, 'found the resolver socket waiting for the slow server');
  const forged = forgedReplies({ qname: TARGET, qtype: 'A', count: 65_536, address: '203.0.113.66' });
  // Paced so the resolver's socket buffer is drained between bursts: every guess gets looked at.
  for (let i = 0; i < forged.length; i += 64) {
    await host.sendFrom(SERVER, victim, forged.slice(i, i + 64));
    await new Promise((r) => setTimeout(r, 0));
  }

  const r = await pending;
  assert.ok(r.kind === 'answer', `got ${r.kind}`);
  assert.deepEqual(r.answer.map((a) => a.data), ['192.0.2.12']);
  const cached = await cache.getRRset(TARGET, 1);
  assert.deepEqual(cached?.records.map((a) => a.data), ['192.0.2.12']);
  assert.equal(world.server('ns1.example.com').queries, 1, 'one query: the forged flood did not make andns give up or retry');
});
