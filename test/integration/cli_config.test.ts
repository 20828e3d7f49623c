// `andns config check FILE` and `andns config schema` as an operator runs them (the real
// process: exit 0, 1 naming the key, 2 for usage), and `andns cache flush --type A` naming the type.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configJsonSchema } from '../../src/config/json-schema.ts';
import { ANDNS, startServe } from './frontend-process.ts';

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

test('andns config check: 0 for a good file, 1 naming the bad key, 2 for usage; nothing is started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-config-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'sim.hints'), '. 3600 NS ns1.sim.\nns1.sim. 3600 A 127.53.0.1\n');
  // Port 53 on every address: a check that tried to listen would fail (or take it).
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ listen: ['0.0.0.0:53'], rootHints: 'sim.hints', dnssec: false, workers: 2 }));
  const good = await andns('config', 'check', join(dir, 'good.json'));
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /good\.json: ok \(listen 0\.0\.0\.0:53; root hints .*sim\.hints; DNSSEC off; 2 workers\)/);
  // The memory budget is per host: two workers get half each, and the split is shown.
  assert.match(good.stdout, /memory: budget 64\.0 MiB \(embedded, 32\.0 MiB per worker\): hotAnswers 9\.6 MiB, embeddedStore 17\.6 MiB/);

  writeFileSync(join(dir, 'good.yaml'), 'listen: ["127.0.0.1:5399"]\nrootHints: sim.hints\ndnssec: false\n');
  assert.equal((await andns('config', 'check', join(dir, 'good.yaml'))).code, 0);

  const cases: [string, unknown, RegExp][] = [
    ['key.json', { cache: { maxEntrys: 1 } }, /^andns: config: cache\.maxEntrys: unknown key/],
    ['range.json', { limits: { maxReferrals: 0 } }, /^andns: config: limits\.maxReferrals: 0 is not an integer from 1/],
    ['hints.json', { rootHints: 'root.hints' }, /^andns: config: rootHints: cannot read .*root\.hints: ENOENT/],
    ['tls.json', { dot: { listen: ['127.0.0.1:853'] }, tls: { cert: 'missing.pem', key: 'missing.key' } }, /^andns: config: tls\.cert: cannot read .*missing\.pem/],
    ['cross.json', { cache: { minTtl: 10, maxTtl: 5 } }, /^andns: config: cache\.minTtl: 10 is greater than cache\.maxTtl/],
    ['budget.json', { workers: 2, sharedCache: { memoryMaxBytes: 40 * 1024 * 1024 } }, /^andns: config: sharedCache\.memoryMaxBytes: .*more than each process's part of memory\.budgetMiB \(64 MiB ÷ 2 workers/],
  ];
  for (const [name, content, message] of cases) {
    writeFileSync(join(dir, name), JSON.stringify(content));
    const r = await andns('config', 'check', join(dir, name));
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
  writeFileSync(join(dir, 'broken.json'), '{"listen": [');
  assert.match((await andns('config', 'check', join(dir, 'broken.json'))).stderr, /is not valid JSON/);
  assert.equal((await andns('config', 'check', join(dir, 'nonexistent.json'))).code, 1);

  for (const args of [['config'], ['config', 'check'], ['config', 'check', 'a', 'b'], ['config', 'frob'], ['config', 'check', 'a', '--nope']]) {
    const r = await andns(...args);
    assert.equal(r.code, 2, `andns ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:/);
  }
});

test('andns config schema prints the JSON Schema the package ships', async () => {
  const r = await andns('config', 'schema');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), configJsonSchema());
  const shipped = join(import.meta.dirname, '..', '..', 'andns.config.schema.json');
  assert.deepEqual(JSON.parse(readFileSync(shipped, 'utf8')), JSON.parse(r.stdout));
});

test('andns config check reads the control token file: a loose one is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-config-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), `${'a'.repeat(64)}\n`, { mode: 0o644 });
  chmodSync(join(dir, 'token'), 0o644);
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ control: { listen: ['127.0.0.1:5380'], tokenFile: 'token' } }));
  const loose = await andns('config', 'check', join(dir, 'c.json'));
  assert.equal(loose.code, 1);
  assert.match(loose.stderr, /control\.tokenFile: .*mode 0644/);
  chmodSync(join(dir, 'token'), 0o600);
  assert.equal((await andns('config', 'check', join(dir, 'c.json'))).code, 0);
});

test('andns cache flush --type A names the type by its mnemonic', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-flush-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'control.sock');
  const server = await startServe(['--listen', '127.0.0.1:0', '--control-socket', socket, '--no-dnssec', '--log-level', 'warn'], 1);
  t.after(() => server.stop());
  const r = await andns('cache', 'flush', 'www.example.com', '--type', 'A', '--control', socket);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^flushed www\.example\.com type A: \d+ shared-cache keys? deleted/);
  const aaaa = await andns('cache', 'flush', 'www.example.com', '--type', 'aaaa', '--control', socket);
  assert.match(aaaa.stdout, /type AAAA:/);
  // A type without a mnemonic is shown in RFC 3597 form, as it was given.
  const unknown = await andns('cache', 'flush', 'www.example.com', '--type', 'TYPE65280', '--control', socket);
  assert.match(unknown.stdout, /type TYPE65280:/);
});
