// The cluster's config keys and flags: Redis seeds (checked, never echoed with a password), the
// loopback-only control endpoint, workers needing fixed ports, and the options each part receives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig, type Overrides } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'andns-cluster-config-'));
let n = 0;
function load(content: unknown, overrides: Overrides = {}) {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, JSON.stringify(content));
  return loadConfig({ configFile: path, overrides });
}
function fails(content: unknown, message: RegExp, overrides: Overrides = {}): void {
  assert.throws(() => load(content, overrides), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

test('cache_config: defaults are the embedded store, no control endpoint, one process', () => {
  const c = load({});
  assert.equal(c.sharedCache.redis, undefined);
  assert.equal(c.sharedCache.hotMaxAgeMs, 2000);
  assert.equal(c.sharedCache.staleTtl, 30);
  assert.equal(c.sharedCache.prefetchPercent, 10);
  assert.equal(c.control, undefined);
  assert.equal(c.workers, 1);
});

test('cache_config: --redis seeds become Redis options with the configured timeouts', () => {
  const c = load({ sharedCache: { redisCommandTimeoutMs: 50, keyPrefix: 'site1:' } }, { redis: 'redis://u:p@127.0.0.1:7000,redis://u:p@127.0.0.1:7001' });
  assert.deepEqual(c.sharedCache.redis?.urls, ['redis://u:p@127.0.0.1:7000', 'redis://u:p@127.0.0.1:7001']);
  assert.equal(c.sharedCache.redis?.commandTimeoutMs, 50);
  assert.equal(c.sharedCache.keyPrefix, 'site1:');
});

test('cache_config: bad values name the key (or flag) and never show a password', () => {
  fails({ sharedCache: { redis: ['http://h:1'] } }, /^config: sharedCache\.redis\[0\]: redis: seed URL http:\/\/h:1 must use redis:\/\/ or rediss:\/\//);
  fails({}, /^config: --redis: redis: seed URLs mix redis:\/\/ and rediss:\/\//, { redis: 'redis://a:1,rediss://b:2' });
  assert.throws(() => load({ sharedCache: { redis: ['ftp://user:hunter2@h:1'] } }), (err: Error) => !err.message.includes('hunter2'));
  fails({ sharedCache: { keyPrefix: 'a{b}:' } }, /^config: sharedCache\.keyPrefix: "a\{b\}:" must not contain/);
  fails({ sharedCache: { prefetchPercent: 80 } }, /^config: sharedCache\.prefetchPercent: 80 is not an integer from 0 to 50/);
  fails({ sharedCache: { hotMaxAge: 5 } }, /^config: sharedCache\.hotMaxAge: unknown key/);
});

test('cache_config: the control endpoint listens on loopback only, with a token file only its owner reads', () => {
  const token = join(dir, 'control.token');
  writeFileSync(token, `${'f'.repeat(64)}\n`, { mode: 0o600 });
  const c = load({ control: { listen: ['[::1]:5380'], tokenFile: 'control.token' } }).control;
  assert.deepEqual(c?.listen, { address: '::1', port: 5380, family: 6 });
  assert.equal(c?.tokenFile, token, 'the token file is relative to the config file');
  assert.deepEqual(load({}, { control: '127.0.0.2:5380', controlToken: token }).control?.listen, { address: '127.0.0.2', port: 5380, family: 4 });
  fails({ control: { listen: ['127.0.0.1:5380'] } }, /^config: control\.tokenFile: required by control\.listen/);
  fails({ control: { listen: ['0.0.0.0:5380'] } }, /^config: control\.listen\[0\]: "0.0.0.0:5380" is not a loopback address/);
  fails({}, /^config: --control: "10.0.0.1:5380" is not a loopback address/, { control: '10.0.0.1:5380' });
  const socket = load({ control: { socket: 'andns.sock' } }).control;
  assert.equal(socket?.socket, join(dir, 'andns.sock'));
  assert.equal(socket?.tokenFile, undefined, 'a Unix socket needs no token');
});

test('operations config: query log and dnstap keys and flags', () => {
  assert.deepEqual(load({}).queryLog, { enabled: false, sampleRate: 0.01 });
  assert.deepEqual(load({ queryLog: { enabled: true, sampleRate: 0.5 } }).queryLog, { enabled: true, sampleRate: 0.5 });
  assert.deepEqual(load({}, { queryLog: true, queryLogSample: '1' }).queryLog, { enabled: true, sampleRate: 1 });
  fails({ queryLog: { sampleRate: 2 } }, /^config: queryLog\.sampleRate: 2 is not a number from 0 to 1/);
  fails({}, /^config: --query-log-sample: "lots" is not a number from 0 to 1/, { queryLogSample: 'lots' });
  assert.equal(load({ dnstap: { file: 'tap.fstrm' } }).dnstap.file, join(dir, 'tap.fstrm'));
  fails({ dnstap: { fil: 'x' } }, /^config: dnstap\.fil: unknown key/);
});

test('cache_config: workers need fixed ports', () => {
  assert.equal(load({ workers: 4 }).workers, 4);
  fails({ workers: 2, listen: ['127.0.0.1:0'] }, /^config: workers: 2 workers need fixed listen ports/);
  fails({}, /^config: --workers: 0 is not an integer from 1 to 1024/, { workers: '0' });
});
