// Config files: names inside one are relative to it, always (the shipped root hints and DS are
// only the defaults of absent keys); YAML beside JSON; a `$schema` key for editors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig, packageRoot } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'andns-config-files-'));
const SIM_HINTS = '. 3600 NS ns1.sim.\nns1.sim. 3600 A 127.53.0.1\n';
const KSK_2024 = '. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n';

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('config files: "root.hints" and "root.ds" written in a config mean the files beside it, not the shipped ones', () => {
  write('beside/root.hints', SIM_HINTS);
  write('beside/root.ds', KSK_2024);
  const c = loadConfig({ configFile: write('beside/andns.json', JSON.stringify({ rootHints: 'root.hints', trustAnchors: 'root.ds' })), cwd: '/' });
  assert.deepEqual(c.resolver.rootHints, [{ name: 'ns1.sim', addresses: ['127.53.0.1'] }]);
  assert.equal(c.rootHintsOrigin, join(dir, 'beside', 'root.hints'));
  assert.deepEqual(c.validation?.trustAnchors, [KSK_2024.trim()]);
});

test('config files: a name with no file beside the config is an error naming the key, never the shipped file', () => {
  const file = write('alone/andns.json', JSON.stringify({ rootHints: 'root.hints' }));
  const err = refusal(() => loadConfig({ configFile: file, cwd: packageRoot() }));
  assert.equal(err.path, 'rootHints');
  assert.match(err.message, new RegExp(`cannot read ${join(dir, 'alone', 'root.hints').replace(/[.]/g, '\\.')}: ENOENT`));
  const anchors = write('alone/anchors.json', JSON.stringify({ trustAnchors: 'root.ds' }));
  assert.equal(refusal(() => loadConfig({ configFile: anchors, cwd: packageRoot() })).path, 'trustAnchors');
});

test('config files: absent keys take the root hints and DS shipped with andns', () => {
  const c = loadConfig({ configFile: write('empty/andns.json', '{}'), cwd: '/' });
  assert.equal(c.rootHintsOrigin, join(packageRoot(), 'root.hints'));
  assert.ok(c.resolver.rootHints.some((h) => h.name === 'a.root-servers.net' && h.addresses.includes('198.41.0.4')));
  assert.ok(c.validation?.trustAnchors.some((a) => a.includes(' 38696 ')));
});

test('config files: a flag\'s file name is relative to the working directory', () => {
  write('cwd/sim.hints', SIM_HINTS);
  const c = loadConfig({ configFile: write('other/andns.json', '{}'), overrides: { rootHints: 'sim.hints' }, cwd: join(dir, 'cwd') });
  assert.equal(c.rootHintsOrigin, join(dir, 'cwd', 'sim.hints'));
});

test('config files: YAML (.yaml, .yml) gives the same config as JSON', () => {
  write('yaml/sim.hints', SIM_HINTS);
  const json = loadConfig({ configFile: write('yaml/a.json', JSON.stringify({ listen: ['127.0.0.1:5399', '[::1]:5399'], rootHints: 'sim.hints', dnssec: false, cache: { maxTtl: 600 } })) });
  const yaml = loadConfig({
    configFile: write('yaml/a.yaml', '# a comment\nlisten:\n  - 127.0.0.1:5399\n  - "[::1]:5399"\nrootHints: sim.hints\ndnssec: false\ncache: { maxTtl: 600 }\n'),
  });
  assert.deepEqual(yaml, json);
  assert.equal(loadConfig({ configFile: write('yaml/b.yml', 'workers: 2\nlisten: ["127.0.0.1:5399"]\n') }).workers, 2);
});

test('config files: YAML pitfalls are refused with the key named', () => {
  // YAML 1.2: `no` is a string, not false, so it fails the boolean's check instead of meaning false.
  const no = refusal(() => loadConfig({ configFile: write('pit/a.yaml', 'dnssec: no\n') }));
  assert.equal(no.path, 'dnssec');
  assert.match(no.message, /"no" is not true or false/);
  assert.match(refusal(() => loadConfig({ configFile: write('pit/b.yaml', 'workers: 1\nworkers: 2\n') })).message, /^config: --config: .*b\.yaml is not valid YAML: .*[Uu]nique/);
  assert.match(refusal(() => loadConfig({ configFile: write('pit/c.yml', 'listen: [\n') })).message, /^config: --config: .*c\.yml is not valid YAML/);
  assert.equal(refusal(() => loadConfig({ configFile: write('pit/d.yaml', 'cache:\n  maxEntrys: 1\n') })).path, 'cache.maxEntrys');
});

test('config files: a $schema key is allowed for editors; anything but a string there is refused', () => {
  const ok = loadConfig({ configFile: write('schema/a.json', JSON.stringify({ $schema: './node_modules/andns/dist/andns.config.schema.json', workers: 3 })) });
  assert.equal(ok.workers, 3);
  assert.equal(refusal(() => loadConfig({ configFile: write('schema/b.json', JSON.stringify({ $schema: 5 })) })).path, '$schema');
});
