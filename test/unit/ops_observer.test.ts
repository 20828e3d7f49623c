// Pieces of operating andns that need no process: the query log's client prefixes, negative
// trust anchors changed at run time and by reloads, and the reloader's hooks and report.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig, type AndnsConfig } from '../../src/config/load.ts';
import { NegativeTrustAnchors } from '../../src/dnssec/anchors.ts';
import { clientPrefix } from '../../src/operations/observer.ts';
import { Reloader } from '../../src/operations/reload.ts';
import { silentLogger } from '../../src/util/log.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function tcpConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'andns-reload-')), 'c.json');
  writeFileSync(file, JSON.stringify({ tcp: { idleTimeoutMs: 1234 } }));
  return file;
}

test('the query log keeps a client prefix, never the address: IPv4 /24, IPv6 /56', () => {
  assert.equal(clientPrefix('192.0.2.77'), '192.0.2.0/24');
  assert.equal(clientPrefix('::ffff:198.51.100.9'), '198.51.100.0/24');
  assert.equal(clientPrefix('2001:db8:aa:bbcc:1:2:3:4'), '2001:db8:aa:bb00::/56');
  assert.equal(clientPrefix('2001:db8::1'), '2001:db8:0:0::/56');
  assert.equal(clientPrefix('::1'), '0:0:0:0::/56');
});

test('negative trust anchors: added and removed at run time; a reload keeps run-time changes, and a newly configured name applies', () => {
  const ntas = new NegativeTrustAnchors(['broken.example']);
  assert.equal(ntas.covers('www.broken.example'), 'broken.example');
  ntas.add('Other.Example.');
  ntas.remove('broken.example');
  assert.deepEqual(ntas.list(), ['other.example']);
  assert.equal(ntas.covers('www.broken.example'), undefined);
  ntas.setConfigured(['broken.example']); // unchanged config: the run-time removal stays
  assert.deepEqual(ntas.list(), ['other.example']);
  ntas.setConfigured(['broken.example', 'new.example']);
  assert.deepEqual(ntas.list(), ['new.example', 'other.example']);
  ntas.setConfigured([]);
  ntas.setConfigured(['broken.example']); // listed anew by the config: it applies again
  assert.deepEqual(ntas.list(), ['broken.example', 'other.example']);
});

test('reload: hooks see the new config, the report names what applied and what needs a restart; a bad config changes nothing', () => {
  let next: AndnsConfig = loadConfig({ overrides: { logLevel: 'info' } });
  const reloader = new Reloader(next, () => next, silentLogger);
  const seen: string[] = [];
  reloader.register('logLevel', (n, p) => (seen.push(n.logLevel), n.logLevel !== p.logLevel));
  next = loadConfig({ overrides: { logLevel: 'debug', listen: ['127.0.0.1:5399'] } });
  assert.deepEqual(reloader.reload(), { applied: ['logLevel'], needsRestart: ['server'] });
  assert.deepEqual(seen, ['debug']);
  assert.equal(reloader.config.logLevel, 'debug');
  // A hook that applies a path inside a restart-only part (as allowFrom inside server) owns it.
  const owning = new Reloader(next, () => next, silentLogger);
  owning.register('tcp', (n, p) => JSON.stringify(n.server.tcp) !== JSON.stringify(p.server.tcp), ['server.tcp']);
  const before = next;
  next = loadConfig({ overrides: { logLevel: 'debug', listen: ['127.0.0.1:5399'] }, configFile: tcpConfig() });
  assert.deepEqual(owning.reload(), { applied: ['tcp'], needsRestart: [] });
  next = before;
  const failing = new Reloader(next, () => loadConfig({ overrides: { logLevel: 'loud' } }), silentLogger);
  failing.register('logLevel', () => assert.fail('no hook runs for a config that does not load'));
  assert.throws(() => failing.reload(), ConfigError);
  assert.equal(failing.config.logLevel, 'debug');
});
