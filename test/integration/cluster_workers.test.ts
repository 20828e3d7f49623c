// `andns serve --workers 2`: two processes answer on one port (SO_REUSEPORT), a dead worker is
// replaced, a flush reaches both embedded caches, SIGTERM drains a query in flight and exits 0;
// and a lone second server on a taken port fails with EADDRINUSE instead of sharing it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePort } from '../peers/ports.ts';
import { simOnSockets, startAndns } from '../harness/andns-processes.ts';
import { until } from '../harness/store-contract.ts';

const run = promisify(execFile);

/** PIDs of the processes whose parent is `pid` (by PID, from /proc: no name matching). */
function childrenOf(pid: number): number[] {
  const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return tasks === '' ? [] : tasks.split(/\s+/).map(Number);
}

test('cluster_workers: two workers serve one port, a dead one is replaced, flush reaches both, SIGTERM drains', { skip: process.platform !== 'linux' && 'SO_REUSEPORT workers are Linux-only' }, async (t) => {
  const sim = await simOnSockets(t, 5);
  const port = await freePort();
  const andns = await startAndns(t, sim, {}, ['--workers', '2', '--listen', `127.0.0.1:${port}`]);
  const primary = andns.child.pid!;
  await until(() => childrenOf(primary).length === 2, 5000);
  // Many client sockets: the kernel spreads them over both workers by 4-tuple.
  const names = sim.names.slice(0, 12);
  for (const r of await Promise.all(names.map((n) => andns.query(n)))) assert.equal(r.rcode, 'NOERROR');

  // Each worker has its own embedded cache: flushing everything deletes keys in both.
  const flushed = await andns.flush('--all');
  const deleted = Number(/: (\d+) shared-cache keys? deleted/.exec(flushed)?.[1]);
  assert.ok(deleted > 0, flushed);

  const [victim] = childrenOf(primary);
  process.kill(victim!, 'SIGKILL');
  await until(() => childrenOf(primary).length === 2 && !childrenOf(primary).includes(victim!), 5000);
  for (const r of await Promise.all(names.map((n) => andns.query(n)))) assert.equal(r.rcode, 'NOERROR', 'served after the restart');

  // A lone server on the same port is refused, not let in to share it.
  const second = await run(process.execPath, [andns.child.spawnargs[1]!, 'serve', '--listen', `127.0.0.1:${port}`, '--doh-plain', '127.0.0.1:0', '--no-dnssec']).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(second.code, 1);
  assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(UDP\): EADDRINUSE/);

  assert.equal(await andns.stop('SIGTERM'), 0);

  // Drain: a query still resolving (slow servers, met for the first time) when SIGTERM arrives
  // is answered, then every worker and the primary exit 0.
  for (const s of sim.internet.network.servers()) s.faults.delayMs = 300;
  const draining = await startAndns(t, sim, {}, ['--workers', '2', '--listen', `127.0.0.1:${await freePort()}`]);
  const inFlight = draining.query(sim.names[20]!);
  await new Promise((r) => setTimeout(r, 100));
  const code = draining.stop('SIGTERM');
  assert.equal((await inFlight).rcode, 'NOERROR', 'answered while draining');
  assert.equal(await code, 0);
});
