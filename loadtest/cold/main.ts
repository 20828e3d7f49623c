// `npm run bench:cold`: upstream queries and CPU per cold name, andns against Unbound in the
// same run, on a signed simulated internet shaped like issue 10's (signed root and TLDs, ~30 %
// signed second-level zones, a third on out-of-bailiwick name servers), at 0 ms RTT.
// Runs in a network namespace of its own (Unbound queries port 53 only; test/peers/netns.ts).

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runInNetns } from '../../test/peers/netns.ts';
import type { ColdRun, ColdSettings } from './scenario.ts';

const HELP = `npm run bench:cold -- [--zones 2000] [--names 2000] [--concurrency 10]
  [--signed-share 0.3] [--glueless-share 0.33] [--seed 21] [--rtt 0] [--targets unbound,andns,andns-decoded] [--json]

Resolves --names never-seen www.<zone> A names (DO=1, validation on) through each target, a
fresh process each, --concurrency at a time, and reports upstream queries per name (total, to
the TLD servers, DS and DNSKEY questions, questions asked more than once) and the resolver's
CPU per name and the time per name as the client saw it, with andns's ratio to Unbound measured
in the same run. --rtt adds that many ms before every simulated server's reply.`;

const { values } = parseArgs({
  options: {
    zones: { type: 'string', default: '2000' },
    names: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '10' },
    'signed-share': { type: 'string', default: '0.3' },
    'glueless-share': { type: 'string', default: '0.33' },
    seed: { type: 'string', default: '21' },
    rtt: { type: 'string', default: '0' },
    targets: { type: 'string', default: 'unbound,andns' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function num(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: ${String(values[name])}`);
  return n;
}

const settings: ColdSettings = {
  zones: num('zones'),
  names: num('names'),
  concurrency: Math.max(1, num('concurrency')),
  signedShare: num('signed-share'),
  gluelessShare: num('glueless-share'),
  seed: num('seed'),
  rttMs: num('rtt'),
  targets: values.targets!.split(',').map((t) => t.trim()).filter(Boolean),
};

const runs = await runInNetns<ColdRun[]>(join(import.meta.dirname, 'scenario.js'), [JSON.stringify(settings)], 60 * 60_000);
if (values.json) {
  process.stdout.write(JSON.stringify({ date: new Date().toISOString(), settings, runs }, null, 2) + '\n');
} else {
  const base = runs.find((r) => r.target === 'unbound');
  const per = (r: ColdRun, v: number): string => (v / r.names).toFixed(2);
  const ratio = (r: ColdRun, f: (x: ColdRun) => number): string => (base && f(base) > 0 ? ` (${(f(r) / f(base)).toFixed(2)}×)` : '');
  const rows: [string, (r: ColdRun) => string][] = [
    ['upstream queries per name', (r) => per(r, r.upstream) + ratio(r, (x) => x.upstream)],
    ['  to the TLD servers (total)', (r) => String(r.toTld) + ratio(r, (x) => x.toTld)],
    ['  to the root servers (total)', (r) => String(r.toRoot)],
    ['  DS questions (total)', (r) => String(r.ds)],
    ['  DNSKEY questions (total)', (r) => String(r.dnskey)],
    ['  questions asked more than once', (r) => String(r.repeated)],
    [`CPU per name, ms (${settings.rttMs} ms RTT)`, (r) => ((r.cpuS * 1000) / r.names).toFixed(2) + ratio(r, (x) => x.cpuS)],
    [`time per name, mean, ms (${settings.rttMs} ms RTT)`, (r) => r.meanMs.toFixed(1) + ratio(r, (x) => x.meanMs)],
    ['  p50 / p99, ms', (r) => `${r.p50Ms.toFixed(1)} / ${r.p99Ms.toFixed(1)}`],
    ['wall time, s', (r) => r.wallS.toFixed(1)],
    ['AD / SERVFAIL / no reply', (r) => `${r.ad} / ${r.servfail} / ${r.failures}`],
  ];
  const header = `| ${settings.names} cold names, ${settings.concurrency} in flight | ${runs.map((r) => r.target).join(' | ')} |`;
  const lines = [header, `|---|${runs.map(() => '---').join('|')}|`, ...rows.map(([label, f]) => `| ${label} | ${runs.map(f).join(' | ')} |`)];
  process.stdout.write(`${new Date().toISOString()}\n${lines.join('\n')}\n`);
}
