// Config: defaults, validation errors that name the key and the value, flags over the file, freezing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/check.ts';
import { loadConfig, type Overrides } from '../../src/config/load.ts';
import { parseListen } from '../../src/config/listen.ts';
import { defaultFileConfig } from '../../src/config/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'andns-config-'));
let n = 0;
function configFile(content: unknown): string {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
function fails(content: unknown, message: RegExp, overrides?: Overrides): void {
  assert.throws(() => loadConfig({ configFile: configFile(content), overrides }), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('defaults: 127.0.0.1:5353, the IANA root hints, port 53, validation from the root DS records', () => {
  const c = loadConfig();
  assert.deepEqual(c.server.listen, [{ address: '127.0.0.1', port: 5353, family: 4 }]);
  assert.equal(c.resolver.rootHints.length, 13);
  assert.equal(c.resolver.rootHints[0]!.name, 'a.root-servers.net');
  assert.deepEqual(c.resolver.rootHints[0]!.addresses, ['198.41.0.4', '2001:503:ba3e::2:30']);
  assert.equal(c.resolver.upstreamPort, 53);
  assert.equal(c.resolver.qnameMinimisation, true);
  assert.equal(c.resolver.ipv6Upstream, true);
  assert.equal(c.resolver.allowLocalUpstream, false);
  assert.deepEqual(c.validation?.trustAnchors.map((a) => a.split(/\s+/)[3]), ['20326', '38696']); // KSK-2017, KSK-2024
  assert.deepEqual(c.validation?.negativeTrustAnchors, []);
  assert.equal(c.server.tcp.idleTimeoutMs, 10_000);
  assert.equal(c.logLevel, 'info');
});

test('a bad listen address names its index and value', () => {
  fails({ listen: ['127.0.0.1:53', '1.2.3.4:99999'] }, /^config: listen\[1\]: "1.2.3.4:99999" is not ADDR:PORT/);
  fails({ listen: ['::1:53'] }, /listen\[0\]: "::1:53" is not ADDR:PORT/);
  fails({ listen: [] }, /listen: \[\] is not a list of at least 1 item/);
});

test('IPv4 and bracketed IPv6 listen addresses parse; others do not', () => {
  assert.deepEqual(parseListen('127.0.0.1:5353'), { address: '127.0.0.1', port: 5353, family: 4 });
  assert.deepEqual(parseListen('[::1]:5353'), { address: '::1', port: 5353, family: 6 });
  assert.equal(parseListen('[127.0.0.1]:53'), undefined);
  assert.equal(parseListen('localhost:53'), undefined);
  assert.equal(parseListen('127.0.0.1'), undefined);
});

test('an unknown key is an error that lists the known ones', () => {
  fails({ listn: ['127.0.0.1:53'] }, /^config: listn: unknown key \(known: listen, /);
  fails({ cache: { maxEntrys: 5 } }, /^config: cache\.maxEntrys: unknown key/);
});

test('nested values are checked with their full path', () => {
  fails({ cache: { maxTtl: -1 } }, /^config: cache\.maxTtl: -1 is not an integer from 0 to/);
  fails({ limits: { maxReferrals: 'many' } }, /^config: limits\.maxReferrals: "many" is not an integer/);
  fails({ limits: { maxRecordsPerRRset: 0 } }, /^config: limits\.maxRecordsPerRRset: 0 is not an integer from 1 to 65535/);
  fails({ limits: { maxUpstreamTcp: 0 } }, /^config: limits\.maxUpstreamTcp: 0 is not an integer from 1 to/);
  fails({ tcp: { idleTimeoutMs: 0 } }, /^config: tcp\.idleTimeoutMs: 0 is not an integer/);
  fails({ upstreamPort: 0 }, /^config: upstreamPort: 0 is not an integer from 1 to 65535/);
  fails({ qnameMinimisation: 'yes' }, /^config: qnameMinimisation: "yes" is not true or false/);
  fails({ logLevel: 'loud' }, /^config: logLevel: "loud" is not one of debug, info, warn, error, silent/);
  fails({ forwardZones: [{ zone: 'corp.example', addresses: ['10.0.0.256'] }] }, /^config: forwardZones\[0\]\.addresses\[0\]: "10.0.0.256" is not an IPv4 or IPv6 address/);
  fails({ forwardZones: [{ addresses: ['10.0.0.1'] }] }, /^config: forwardZones\[0\]\.zone: required key is missing/);
  fails({ rootHints: [{ name: 'a.root', addresses: [] }] }, /^config: rootHints\[0\]\.addresses: \[\] is not a list of at least 1 item/);
  fails({ trustAnchors: ['. IN A 1.2.3.4'] }, /^config: trustAnchors\[0\]: ". IN A 1.2.3.4" is not a DS or DNSKEY record/);
  fails([1, 2], /^config: \[1,2\] is not an object/);
});

test('DNSSEC: off with dnssec false or --no-dnssec; anchors must be there and parse; NTAs are domain names', () => {
  assert.equal(loadConfig({ configFile: configFile({ dnssec: false }) }).validation, undefined);
  assert.equal(loadConfig({ overrides: { dnssec: false } }).validation, undefined);
  fails({ trustAnchors: [] }, /^config: trustAnchors: no DS or DNSKEY record: give trust anchors, or turn validation off/);
  fails({ trustAnchors: ['. IN DS 99999 8 2 AB'] }, /^config: trustAnchors: bad key tag: 99999/);
  assert.deepEqual(loadConfig({ configFile: configFile({ trustAnchors: [], dnssec: false }) }).validation, undefined);
  const c = loadConfig({ configFile: configFile({ negativeTrustAnchors: ['Broken.Example.'] }) });
  assert.deepEqual(c.validation?.negativeTrustAnchors, ['broken.example']);
  fails({ negativeTrustAnchors: ['a..b'] }, /^config: negativeTrustAnchors\[0\]: "a..b" is not a domain name/);
});

test('cross-key rules name the key', () => {
  fails({ cache: { minTtl: 600, maxTtl: 60 } }, /^config: cache\.minTtl: 600 is greater than cache\.maxTtl \(60\)/);
});

test('a file that is not JSON or cannot be read names the file', () => {
  fails('{ listen: ', /^config: --config: .*c\d+\.json is not valid JSON/);
  assert.throws(() => loadConfig({ configFile: join(dir, 'missing.json') }), /--config: cannot read .*missing\.json: ENOENT/);
});

test('inline root hints, forward zones and trust anchors are accepted and canonicalised', () => {
  const c = loadConfig({
    configFile: configFile({
      rootHints: [{ name: 'NS1.Sim.', addresses: ['127.53.0.1', '::1'] }],
      forwardZones: [{ zone: 'Corp.Example.', addresses: ['127.0.0.9'] }, { zone: '.', addresses: ['127.0.0.10'] }],
      trustAnchors: ['. 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D'],
    }),
  });
  assert.deepEqual(c.resolver.rootHints, [{ name: 'ns1.sim', addresses: ['127.53.0.1', '::1'] }]);
  assert.equal(c.rootHintsOrigin, 'inline');
  assert.deepEqual(c.resolver.forwardZones.map((f) => f.zone), ['corp.example', '.']);
  assert.equal(c.validation?.trustAnchors.length, 1);
});

test('files named in a config file are relative to it; a hints file with no address is refused', () => {
  writeFileSync(join(dir, 'sim.hints'), '. 3600 NS ns1.sim.\nns1.sim. 3600 A 127.53.0.1\n');
  writeFileSync(join(dir, 'anchors'), '; root KSK-2024\n. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n');
  const c = loadConfig({ configFile: configFile({ rootHints: 'sim.hints', trustAnchors: 'anchors' }), cwd: '/' });
  assert.deepEqual(c.resolver.rootHints, [{ name: 'ns1.sim', addresses: ['127.53.0.1'] }]);
  assert.equal(c.rootHintsOrigin, join(dir, 'sim.hints'));
  assert.equal(c.validation?.trustAnchors.length, 1);
  writeFileSync(join(dir, 'empty.hints'), '. 3600 NS ns1.sim.\n');
  fails({ rootHints: 'empty.hints' }, /^config: rootHints: .*empty\.hints: root hints: no root server has an address/);
  writeFileSync(join(dir, 'bad-anchors'), '. IN A 1.2.3.4\n');
  fails({ trustAnchors: 'bad-anchors' }, /^config: trustAnchors: .*bad-anchors line 1: not a DS or DNSKEY record/);
});

test('flags override the file, and a bad flag value names the flag', () => {
  const file = configFile({ listen: ['127.0.0.1:53'], upstreamPort: 5300, qnameMinimisation: true, logLevel: 'debug' });
  const c = loadConfig({
    configFile: file,
    overrides: { listen: ['[::1]:5301', '127.0.0.2:5302'], upstreamPort: '5400', qnameMinimisation: false, ipv6Upstream: false, logLevel: 'warn' },
  });
  assert.deepEqual(c.server.listen.map((l) => `${l.address}/${l.port}`), ['::1/5301', '127.0.0.2/5302']);
  assert.equal(c.resolver.upstreamPort, 5400);
  assert.equal(c.resolver.qnameMinimisation, false);
  assert.equal(c.resolver.ipv6Upstream, false);
  assert.equal(c.logLevel, 'warn');
  fails({}, /^config: --upstream-port: 99999 is not an integer from 1 to 65535/, { upstreamPort: '99999' });
  fails({}, /^config: --upstream-port: "53x" is not an integer/, { upstreamPort: '53x' });
  fails({}, /^config: --listen\[0\]: "127.0.0.1" is not ADDR:PORT/, { listen: ['127.0.0.1'] });
  fails({}, /^config: --log-level: "chatty" is not one of/, { logLevel: 'chatty' });
});

test('the loaded config is frozen all the way down', () => {
  const c = loadConfig();
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.resolver.limits));
  assert.ok(Object.isFrozen(c.resolver.rootHints[0]!.addresses));
  assert.throws(() => {
    (c.cache as { maxTtl: number }).maxTtl = 1;
  }, TypeError);
});

test('the README example config loads, and the README documents every key', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, 'README has a JSON example under "## Configuration"');
  const c = loadConfig({ configFile: configFile(example) });
  assert.equal(c.resolver.forwardZones[0]!.zone, 'corp.example');
  const parsed = JSON.parse(example) as Record<string, unknown>;
  // rootHints and trustAnchors are left out: absent, they are the files shipped with andns,
  // while a name written in the file would mean a file beside it.
  for (const key of Object.keys(defaultFileConfig)) {
    if (key !== 'rootHints' && key !== 'trustAnchors') assert.ok(key in parsed, `the example has ${key}`);
    assert.ok(readme.includes(`| \`${key}`), `the key table documents ${key}`);
  }
});

test('allowFrom: defaults to the private ranges; --allow-from replaces it; a bad prefix names the key', () => {
  assert.deepEqual(loadConfig().server.allowFrom, defaultFileConfig.allowFrom);
  assert.ok(defaultFileConfig.allowFrom.includes('fc00::/7') && defaultFileConfig.allowFrom.includes('100.64.0.0/10'));
  assert.deepEqual(loadConfig({ overrides: { allowFrom: ['192.0.2.0/24', '2001:db8::/32'] } }).server.allowFrom, ['192.0.2.0/24', '2001:db8::/32']);
  fails({ allowFrom: ['10.0.0.0/33'] }, /^config: allowFrom\[0\]: "10.0.0.0\/33" is not an address prefix/);
  fails({}, /^config: --allow-from\[1\]: "nope" is not an address prefix/, { allowFrom: ['10.0.0.0/8', 'nope'] });
  fails({ doh: { trustedProxies: ['x'] } }, /^config: doh.trustedProxies\[0\]: "x" is not an address prefix/);
});

test('plain DoH on an address other than loopback needs doh.allowPlainRemote (--doh-plain-remote)', () => {
  fails({ doh: { plainListen: ['0.0.0.0:8053'] } }, /^config: doh.plainListen: 0.0.0.0 is not loopback.*--doh-plain-remote/);
  fails({}, /^config: doh.plainListen: :: is not loopback/, { dohPlain: ['[::]:8053'] });
  assert.equal(loadConfig({ overrides: { dohPlain: ['0.0.0.0:8053'], dohPlainRemote: true } }).server.doh!.allowPlainRemote, true);
  assert.equal(loadConfig({ overrides: { dohPlain: ['127.0.0.1:8053', '[::1]:8053'] } }).server.doh!.plainListen.length, 2);
  const c = loadConfig({ overrides: { dohTrustedProxy: ['127.0.0.1/32'] } });
  assert.deepEqual(c.server.doh!.trustedProxies, ['127.0.0.1/32']);
});
