// `npm run bench:memory`: andns's resident memory at defaults, validation on, over a signed
// simulated internet: after 2,000 cold names, after a 30 s cache-hit run over them, and the
// RSS curve under a flood of distinct names (wildcard names, one upstream query each).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateInternet, rootHintsText } from '../../test/sim/internet.ts';
import { serveNetwork } from '../../test/sim/socket-host.ts';
import { plainNames } from '../../test/harness/frontends.ts';
import { freePort, spawnPinned, waitForDns } from '../bench/process.ts';
import { rssMb } from '../stats/procstat.ts';
import { pump, type PumpResult } from './pump.ts';

const ANDNS = fileURLToPath(new URL('../../src/cli/andns.js', import.meta.url));

const USAGE = `npm run bench:memory -- [--zones 2000] [--cold 2000] [--hit-seconds 30] [--flood 1000000]
  [--samples 20] [--concurrency 64] [--skip-flood] [--label TEXT] [--snapshot DIR: a heap snapshot at the end]
  [-- extra andns serve flags]`;

function rssOf(pid: number): number {
  return rssMb(readFileSync(`/proc/${pid}/status`, 'latin1'));
}

function rcodes(r: PumpResult): string {
  return [...r.rcodes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `rcode${c}=${n}`).join(' ');
}

/** What each budgeted tier holds against its limit, from `andns stats` over the control socket. */
function tierTable(socket: string): string {
  try {
    const text = execFileSync(process.execPath, [ANDNS, 'stats', '--control', socket], { encoding: 'utf8', timeout: 10_000 });
    const m = (JSON.parse(text) as { memory: { rssBytes: number; heapUsedBytes: number; tiers: Record<string, { limitBytes: number; usedBytes: number | null }> } }).memory;
    const mib = (n: number | null): string => (n === null ? '—' : (n / 1048576).toFixed(1));
    const rows = Object.entries(m.tiers).map(([t, v]) => `| ${t} | ${mib(v.limitBytes)} | ${mib(v.usedBytes)} |`);
    return ['| tier (andns stats) | limit MiB | accounted MiB |', '|---|---|---|', ...rows, `| V8 heap used | | ${mib(m.heapUsedBytes)} |`, `| RSS | | ${mib(m.rssBytes)} |`].join('\n');
  } catch (err) {
    return `andns stats failed: ${(err as Error).message}`;
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      zones: { type: 'string' }, cold: { type: 'string' }, 'hit-seconds': { type: 'string' }, flood: { type: 'string' },
      samples: { type: 'string' }, concurrency: { type: 'string' }, 'skip-flood': { type: 'boolean' }, label: { type: 'string' }, snapshot: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const zones = Number(values.zones ?? 2000);
  const cold = Number(values.cold ?? 2000);
  const hitSeconds = Number(values['hit-seconds'] ?? 30);
  const flood = values['skip-flood'] ? 0 : Number(values.flood ?? 1_000_000);
  const samples = Number(values.samples ?? 20);
  const concurrency = Number(values.concurrency ?? 64);
  for (const [k, v] of Object.entries({ zones, cold, hitSeconds, samples, concurrency })) if (!(v > 0)) throw new Error(`--${k}: must be a positive number`);

  const started = new Date().toISOString();
  const t0 = Date.now();
  const internet = generateInternet({ seed: 1, zones, signed: true });
  const names = plainNames(internet).slice(0, cold);
  if (names.length < cold) throw new Error(`only ${names.length} plain names in ${zones} zones; raise --zones`);
  // Flood names sit under wildcards (RFC 4592) of zones that validate (secure or insecure).
  const parents = [...new Set(internet.catalogue
    .filter((e) => e.tags.includes('wildcard') && e.rcode === 'NOERROR' && e.type === 'A' && e.dnssec?.status !== 'bogus')
    .map((e) => e.name.slice(e.name.indexOf('.') + 1)))];
  if (flood > 0 && parents.length === 0) throw new Error('the simulated internet has no wildcard zones');
  const host = await serveNetwork(internet.network);
  const dir = mkdtempSync(join(tmpdir(), 'andns-memory-'));
  writeFileSync(join(dir, 'sim.hints'), rootHintsText(internet.rootHints));
  writeFileSync(join(dir, 'sim.ds'), internet.dnssec!.trustAnchor);
  const port = await freePort();
  const nodeFlags = values.snapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values.snapshot}`] : [];
  const args = [
    ...nodeFlags, ANDNS, 'serve', '--listen', `127.0.0.1:${port}`, '--root-hints', join(dir, 'sim.hints'), '--trust-anchors', join(dir, 'sim.ds'),
    '--upstream-port', String(host.port), '--allow-local-upstream', '--no-ipv6-upstream', '--log-level', 'error',
    '--control-socket', join(dir, 'control.sock'), ...positionals,
  ];
  console.log(`bench:memory ${started}: ${internet.network.servers().length} simulated servers (${zones} zones, signed), ready in ${Math.round((Date.now() - t0) / 1000)} s; andns serve ${positionals.join(' ')}`);
  const proc = spawnPinned(process.execPath, args, undefined);
  try {
    await waitForDns('127.0.0.1', port, 20_000, () => proc.child.exitCode === null);
    const base = rssOf(proc.pid);
    const coldRun = await pump(names.length, (i) => names[i]!, { port, concurrency: 20, timeoutMs: 5000 });
    const afterCold = rssOf(proc.pid);
    const hitEnd = performance.now() + hitSeconds * 1000;
    const hitRun = await pump(Infinity, (i) => names[i % names.length]!, { port, concurrency, timeoutMs: 2000 }, () => performance.now() >= hitEnd);
    const afterHit = rssOf(proc.pid);
    console.log('\n| phase | RSS MB | queries | answered | timeouts | rcodes |\n|---|---|---|---|---|---|');
    console.log(`| started | ${base.toFixed(0)} | | | | |`);
    console.log(`| after ${cold} cold names | ${afterCold.toFixed(0)} | ${coldRun.sent} | ${coldRun.answered} | ${coldRun.timeouts} | ${rcodes(coldRun)} |`);
    console.log(`| after a ${hitSeconds} s cache-hit run (${Math.round(hitRun.answered / hitSeconds)} q/s) | ${afterHit.toFixed(0)} | ${hitRun.sent} | ${hitRun.answered} | ${hitRun.timeouts} | ${rcodes(hitRun)} |`);
    if (flood > 0) {
      const every = Math.max(1, Math.floor(flood / samples));
      const floodStart = performance.now();
      console.log(`\nflood of ${flood} distinct names under ${parents.length} wildcards, ${concurrency} in flight\n\n| names | RSS MB | q/s |\n|---|---|---|`);
      let last = performance.now();
      const floodRun = await pump(flood, (i) => `f${i}.${parents[i % parents.length]}`, {
        port, concurrency, timeoutMs: 5000, every,
        onProgress: (done) => {
          const now = performance.now();
          console.log(`| ${done} | ${rssOf(proc.pid).toFixed(0)} | ${Math.round((every * 1000) / (now - last))} |`);
          last = now;
        },
      });
      console.log(`\nflood: ${floodRun.answered} answered, ${floodRun.timeouts} timeouts (${rcodes(floodRun)}) in ${Math.round((performance.now() - floodStart) / 1000)} s; final RSS ${rssOf(proc.pid).toFixed(0)} MB`);
    }
    console.log(`\n${tierTable(join(dir, 'control.sock'))}`);
    if (values.label) console.log(`label: ${values.label}`);
    if (values.snapshot) {
      const before = new Set(readdirSync(values.snapshot));
      process.kill(proc.pid, 'SIGUSR2');
      // Written synchronously by the server; done once its size stops changing.
      let file: string | undefined;
      for (let i = 0; i < 600 && !file; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const made = readdirSync(values.snapshot).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
        if (made && (await waitForDns('127.0.0.1', port, 2000).then(() => true, () => false))) file = made;
      }
      console.log(`heap snapshot: ${file ? join(values.snapshot, file) : 'not written'}`);
    }
  } finally {
    await proc.stop();
    await host.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
