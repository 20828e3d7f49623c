// The package as users get it: the LICENSE, what `npm pack` holds, `npm i -g .` and `npx andns`
// giving a working command, `npm start` building only when stale and stopping (exit 0, no
// orphan) on SIGTERM to npm, and the systemd unit and Dockerfile passing their check scripts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireNetns, runInNetns } from '../peers/netns.ts';
import type { NpmStartResult } from './npm-start-scenario.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');

/** npm as the one running this suite (npm test), else the one on PATH. */
function npm(): [string, string[]] {
  const cli = process.env['npm_execpath'];
  return cli && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

async function run(cmd: string, args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { cwd, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

async function runNpm(args: string[], cwd = ROOT, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, pre] = npm();
  return run(cmd, [...pre, ...args], cwd, env);
}

test('packaging: a LICENSE with the MIT text package.json names', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
  assert.equal(pkg.license, 'MIT');
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n/);
  assert.match(license, /Permission is hereby granted, free of charge/);
});

test('packaging: npm pack holds the built server, its data and schema; no tests, sources, CI or source maps', async () => {
  const r = await runNpm(['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(r.code, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const must of ['dist/src/cli/andns.js', 'dist/loadtest/cli.js', 'dist/test/sim/internet.js', 'dist/andns.config.schema.json', 'root.hints', 'root.ds', 'LICENSE', 'README.md', 'package.json', 'packaging/andns.service', 'packaging/build-if-stale.mjs']) {
    assert.ok(files.includes(must), `the package lacks ${must}`);
  }
  const wrong = files.filter((f) => /^(src|test|loadtest|\.ci)\//.test(f) || /\.(ts|map)$/.test(f) || /\.test\.js$/.test(f) || f.startsWith('dist/test/unit/') || f.startsWith('dist/test/integration/'));
  assert.deepEqual(wrong, [], 'files that do not belong in the package');
});

test('packaging: `npm i -g .` puts a working andns (and andns-loadtest) on PATH; `npx andns` runs it in the checkout', async (t) => {
  const prefix = mkdtempSync(join(tmpdir(), 'andns-prefix-'));
  t.after(() => rmSync(prefix, { recursive: true, force: true }));
  const install = await runNpm(['i', '-g', '.', '--prefix', prefix, '--ignore-scripts', '--offline', '--no-audit', '--no-fund']);
  assert.equal(install.code, 0, install.stderr);
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env['PATH']}` };
  const help = await run('andns', ['--help'], tmpdir(), env);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /andns serve \[--config FILE\]/);
  // From elsewhere: the shipped root hints are found from the installed bin.
  writeFileSync(join(prefix, 'andns.json'), JSON.stringify({ listen: ['127.0.0.1:5399'] }));
  const check = await run('andns', ['config', 'check', join(prefix, 'andns.json')], tmpdir(), env);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /ok \(listen 127\.0\.0\.1:5399; root hints .*root\.hints; DNSSEC on/);
  assert.equal((await run('andns-loadtest', ['--help'], tmpdir(), env)).code, 0);
  const npx = await runNpm(['exec', '--offline', '--', 'andns', 'config', 'check', join(prefix, 'andns.json')]);
  assert.equal(npx.code, 0, npx.stderr);
  assert.match(npx.stdout, /ok \(listen 127\.0\.0\.1:5399/);
});

test('packaging: build-if-stale builds once, again only when a source changes, and never in an installed package', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-stale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'packaging'));
  cpSync(join(ROOT, 'packaging', 'build-if-stale.mjs'), join(dir, 'packaging', 'build-if-stale.mjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'stale-probe', version: '1.0.0', scripts: { build: 'node build.mjs' } }));
  writeFileSync(join(dir, 'build.mjs'), "import { appendFileSync } from 'node:fs'; appendFileSync('builds.log', 'built\\n');\n");
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
  const builds = (): number => {
    try {
      return readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const step = async (): Promise<void> => {
    const r = await run(process.execPath, [join(dir, 'packaging', 'build-if-stale.mjs')], dir);
    assert.equal(r.code, 0, r.stderr);
  };
  await step();
  assert.equal(builds(), 1, 'no stamp: builds');
  await step();
  assert.equal(builds(), 1, 'nothing changed: no build');
  await new Promise((r) => setTimeout(r, 20));
  const now = new Date();
  utimesSync(join(dir, 'src', 'a.ts'), now, now);
  await step();
  assert.equal(builds(), 2, 'a source newer than the stamp: builds');
  await step();
  assert.equal(builds(), 2);
  rmSync(join(dir, 'src'), { recursive: true });
  await step();
  assert.equal(builds(), 2, 'no src/ (an installed package): nothing to build');
  writeFileSync(join(dir, 'build.mjs'), 'process.exit(3);\n');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'b.ts'), '');
  utimesSync(join(dir, 'src', 'b.ts'), new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
  const failed = await run(process.execPath, [join(dir, 'packaging', 'build-if-stale.mjs')], dir);
  assert.notEqual(failed.code, 0, 'a failed build fails the start');
});

test('packaging: SIGTERM to `npm start` stops andns (npm exits 0) and leaves no process behind', { timeout: 90_000 }, async (t) => {
  if (!requireNetns(t)) return;
  const r = await runInNetns<NpmStartResult>(join(import.meta.dirname, 'npm-start-scenario.js'), [], 80_000, t.signal);
  t.diagnostic(`npm start answered DNS after ${r.startMs} ms (no build: --ignore-scripts); listening: ${r.listening.join(', ')}`);
  assert.ok(r.andnsPid > 0, 'npm start has a child process');
  assert.match(r.andnsCommand, /node .*dist\/src\/cli\/andns\.js serve/, 'npm\'s child is andns itself (exec), no shell in between');
  assert.deepEqual(r.listening, ['UDP/TCP 127.0.0.1:5353', 'DoH 127.0.0.1:8053']);
  assert.equal(r.npmSignal, null, r.stderr);
  assert.equal(r.npmCode, 0, r.stderr);
  assert.equal(r.andnsAlive, false, `andns (pid ${r.andnsPid}) still runs after npm exited`);
});

test('packaging: the systemd unit passes systemd-analyze verify and its confinement check; a weakened copy fails', (t) => {
  const script = join(ROOT, 'packaging', 'check-unit.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8' });
  if (r.status === 77) {
    if (process.env['CI']) assert.fail(`systemd-analyze is required in CI: ${r.stderr}`);
    t.skip(r.stderr.trim());
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'andns-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const unit = readFileSync(join(ROOT, 'packaging', 'andns.service'), 'utf8');
  const weakened: [string, string, RegExp][] = [
    ['misspelt.service', unit.replace('ProtectSystem=strict', 'ProtectSytem=strict'), /Unknown key/],
    ['root.service', unit.replace('DynamicUser=yes', 'User=root'), /DynamicUser=yes or a dedicated User=/],
    ['nocap.service', unit.replace(/^AmbientCapabilities=.*$/m, ''), /AmbientCapabilities=CAP_NET_BIND_SERVICE/],
    ['nomem.service', unit.replace(/^MemoryMax=.*$/m, ''), /MemoryMax/],
    ['packet.service', unit.replace(/^RestrictAddressFamilies=.*$/m, 'RestrictAddressFamilies=AF_INET AF_INET6 AF_PACKET'), /without AF_PACKET/],
  ];
  for (const [name, text, why] of weakened) {
    writeFileSync(join(dir, name), text);
    const bad = spawnSync('bash', [script, join(dir, name)], { encoding: 'utf8' });
    assert.equal(bad.status, 1, `${name} passed the check`);
    assert.match(bad.stderr, why);
  }
});

test('packaging: the Dockerfile passes its check (a container build where a runtime answers); a weakened copy fails', (t) => {
  const script = join(ROOT, 'packaging', 'check-dockerfile.mjs');
  const r = spawnSync(process.execPath, [script, '--build'], { encoding: 'utf8', timeout: 1_300_000 });
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; problems: string[]; built: boolean; note: string };
  assert.deepEqual(result.problems, []);
  assert.equal(r.status, 0);
  t.diagnostic(`Dockerfile: ${result.note}`);

  const dir = mkdtempSync(join(tmpdir(), 'andns-dockerfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const weakened: [string, RegExp][] = [
    [docker.replace(/^USER andns$/m, ''), /sets no USER/],
    [docker.replace(/^USER andns$/m, 'USER root'), /runs as root/],
    [docker.replace(/setcap cap_net_bind_service=\+ep/, 'true'), /CAP_NET_BIND_SERVICE/],
    [docker.replace(/^HEALTHCHECK[\s\S]*?\n(?=#)/m, ''), /no HEALTHCHECK/],
    [docker.replace(':9153/readyz', ':9153/healthz'), /does not ask \/readyz/],
    [docker.replace(':9153/readyz', ':9154/readyz'), /asks .*:9154\/readyz but --metrics is 0.0.0.0:9153/],
    [docker.replace(/^ENTRYPOINT \[.*\]$/m, 'ENTRYPOINT node /opt/andns/dist/src/cli/andns.js'), /exec form/],
    [docker.replace(/^FROM \$\{NODE_IMAGE\} AS build[\s\S]*?(?=^FROM)/m, ''), /multi-stage|copies nothing/],
    [docker.replace('"--listen", "0.0.0.0:53"', '"--listn", "0.0.0.0:53"'), /has no flag --listn/],
    [docker.replace('COPY src ./src', 'COPY source ./src'), /COPY source source is not in the build context/],
  ];
  weakened.forEach(([text, why], i) => {
    assert.notEqual(text, docker, `mutation ${i} changed nothing`);
    writeFileSync(join(dir, 'Dockerfile'), text);
    const bad = spawnSync(process.execPath, [script, `--context=${ROOT}`, join(dir, 'Dockerfile')], { encoding: 'utf8' });
    assert.equal(bad.status, 1, `mutation ${i} passed the check: ${bad.stdout}`);
    assert.match(bad.stdout, why);
  });
});
