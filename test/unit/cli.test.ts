// The andns command as a user meets it: usage errors exit 2, --help lists every flag with its
// default, config errors name the key, and `andns query` prints like dig and fails on SERVFAIL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { queryFlags, serveFlags } from '../../src/cli/flags.ts';
import { generateInternet, rootHintsText } from '../sim/internet.ts';
import { serveNetwork } from '../sim/socket-host.ts';

const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');
const exec = promisify(execFile);

async function andns(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [ANDNS, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('no command, an unknown command or an unknown flag is a usage error (exit 2)', async () => {
  for (const args of [[], ['resolve'], ['serve', '--frobnicate'], ['query'], ['query', 'a.test', 'NOSUCHTYPE'], ['serve', 'extra']]) {
    const r = await andns(...args);
    assert.equal(r.code, 2, `andns ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:/);
  }
});

test('serve --help and query --help list every flag with its default', async () => {
  for (const [command, specs] of [['serve', serveFlags], ['query', queryFlags]] as const) {
    const r = await andns(command, '--help');
    assert.equal(r.code, 0);
    for (const spec of specs) {
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`--${spec.name}`));
      assert.ok(line, `--${spec.name} is listed`);
      if (spec.name !== 'help') assert.match(line, /\[default: .+\]/, `--${spec.name} shows a default`);
    }
  }
  assert.match((await andns('serve', '--help')).stdout, /--listen ADDR:PORT .*\[default: 127\.0\.0\.1:5353\]/);
});

test('a bad config value is reported with its key and exit status 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-cli-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ listen: ['127.0.0.1:5353', '1.2.3.4:99999'] }));
  const r = await andns('serve', '--config', file);
  assert.equal(r.code, 1);
  // The server logs JSON lines only, its refusal to start included.
  const refusal = JSON.parse(r.stderr) as { level: string; msg: string; err: string };
  assert.equal(refusal.level, 'error');
  assert.match(refusal.err, /^config: listen\[1\]: "1\.2\.3\.4:99999" is not ADDR:PORT/);
  const flag = await andns('serve', '--upstream-port', 'http');
  assert.equal(flag.code, 1);
  assert.match((JSON.parse(flag.stderr) as { err: string }).err, /config: --upstream-port: "http" is not an integer from 1 to 65535/);
});

test('andns query resolves from the simulated internet and prints like dig; SERVFAIL exits 1 with its EDE', async (t) => {
  const internet = generateInternet({ seed: 99, zones: 10 });
  const host = await serveNetwork(internet.network);
  t.after(() => host.close());
  const hints = join(mkdtempSync(join(tmpdir(), 'andns-cli-')), 'sim.hints');
  writeFileSync(hints, rootHintsText(internet.rootHints));
  const sim = ['--root-hints', hints, '--upstream-port', String(host.port), '--allow-local-upstream', '--no-dnssec'];

  const mx = internet.catalogue.find((e) => e.type === 'MX' && e.rcode === 'NOERROR')!;
  const ok = await andns('query', mx.name, 'MX', ...sim);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+/);
  assert.match(ok.stdout, /;; flags: qr rd ra; QUERY: 1, ANSWER: \d+/);
  assert.match(ok.stdout, new RegExp(`;; QUESTION SECTION:\\n;${mx.name.replace(/\./g, '\\.')}\\.\\t\\tIN\\tMX`));
  for (const rdata of mx.rdata!) assert.ok(ok.stdout.includes(`\tIN\tMX\t${rdata}.`), `answer holds ${rdata}`);

  const nx = internet.catalogue.find((e) => e.rcode === 'NXDOMAIN')!;
  const gone = await andns('query', nx.name, nx.type, ...sim);
  assert.equal(gone.code, 0, 'NXDOMAIN is an answer, not a failure');
  assert.match(gone.stdout, /status: NXDOMAIN/);
  assert.match(gone.stdout, /;; AUTHORITY SECTION:\n.*\tIN\tSOA\t/);

  const failed = await andns('query', `www.${internet.special.nsLoop[0]}`, ...sim);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /status: SERVFAIL/);
  assert.match(failed.stdout, /; EDE: \d+ \([A-Za-z ]+\)/);
  assert.match(failed.stderr, /andns: SERVFAIL: EDE \d+ /);
});
