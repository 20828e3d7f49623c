// The published JSON Schema is generated from the config checks: every key is in it, its
// defaults are andns's, a real validator (Ajv, draft 2020-12) accepts what andns accepts and
// rejects the structural mistakes andns rejects, and the shipped file is the generated one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { configJsonSchema, configJsonSchemaWithGaps, SCHEMA_FILE_NAME } from '../../src/config/json-schema.ts';
import { checkFileConfig, defaultFileConfig } from '../../src/config/schema.ts';
import { describe, generateSchema, object, type Check, type JsonSchema } from '../../src/config/check.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function validator(): (value: unknown) => boolean {
  // Formats (ipv4/ipv6) are hints for editors; andns's own checks are the stricter judge.
  const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
  const validate = ajv.compile(configJsonSchema());
  return (value) => validate(value) as boolean;
}

function andnsAccepts(value: unknown): boolean {
  try {
    checkFileConfig(value);
    return true;
  } catch {
    return false;
  }
}

/** Leaf key paths of a config object (arrays and primitives are leaves). */
function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !('file' in v) && !('inline' in v) && !('packaged' in v) && !('address' in v)
      ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]);
}

function schemaAt(schema: JsonSchema, path: string): JsonSchema | undefined {
  let at: JsonSchema | undefined = schema;
  for (const key of path.split('.')) at = (at?.['properties'] as Record<string, JsonSchema> | undefined)?.[key];
  return at;
}

test('config schema: every check declares its schema, and every key of the config is in it', () => {
  const { schema, undeclared } = configJsonSchemaWithGaps();
  assert.deepEqual(undeclared, [], `these keys' checks declare no JSON Schema: wrap each in describe() (src/config/check.ts)`);
  const paths = leafPaths(defaultFileConfig as unknown as Record<string, unknown>);
  assert.ok(paths.length > 40, `only ${paths.length} keys found`);
  for (const path of paths) assert.ok(schemaAt(schema, path), `${path} is missing from the schema`);
  // No key in the schema that andns does not know (additionalProperties: false everywhere).
  assert.equal((schema['properties'] as Record<string, unknown>)['listn'], undefined);
});

test('config schema: defaults shown are andns defaults, in config-file form', () => {
  const schema = configJsonSchema();
  assert.deepEqual(schemaAt(schema, 'listen')?.['default'], ['127.0.0.1:5353']);
  assert.equal(schemaAt(schema, 'upstreamPort')?.['default'], defaultFileConfig.upstreamPort);
  assert.equal(schemaAt(schema, 'limits.maxQueryTimeMs')?.['default'], defaultFileConfig.limits.maxQueryTimeMs);
  assert.equal(schemaAt(schema, 'sharedCache.keyPrefix')?.['default'], defaultFileConfig.sharedCache.keyPrefix);
  assert.equal(schemaAt(schema, 'logLevel')?.['default'], 'info');
  // "" means "not set" for tls.cert but is not a value one may write: no default shown.
  assert.equal(schemaAt(schema, 'tls.cert')?.['default'], undefined);
  // Every default shown is one the schema itself accepts.
  const all = Object.fromEntries(Object.entries(schema['properties'] as Record<string, JsonSchema>).flatMap(([k, v]) => ('default' in v ? [[k, v['default']]] : [])));
  assert.ok(validator()(all));
  assert.ok(andnsAccepts(all));
});

test('config schema: Ajv and andns agree on good configs and on structural mistakes', () => {
  const valid = validator();
  const good: unknown[] = [
    {},
    { $schema: './node_modules/andns/dist/andns.config.schema.json', listen: ['127.0.0.1:53', '[::1]:53'] },
    { rootHints: [{ name: 'a.root', addresses: ['127.53.0.1', '::1'] }], dnssec: false },
    { trustAnchors: ['. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D'] },
    { forwardZones: [{ zone: 'corp.example', addresses: ['10.0.0.53'] }], negativeTrustAnchors: ['broken.example'] },
    { cache: { minTtl: 5 }, limits: { maxReferrals: 10 }, tcp: { idleTimeoutMs: 500 } },
    { doh: { plainListen: ['127.0.0.1:8053'], path: '/q' }, chaos: { identity: 'ns1', version: '' } },
    { sharedCache: { redis: ['redis://u:p@10.0.0.1:7000'], keyPrefix: 'x:', staleWindowMs: 0 }, control: { listen: ['127.0.0.1:5380'] }, workers: 4 },
  ];
  for (const c of good) {
    assert.ok(andnsAccepts(c), `andns refuses ${JSON.stringify(c)}`);
    assert.ok(valid(c), `the schema refuses ${JSON.stringify(c)}`);
  }
  const bad: unknown[] = [
    [], 'listen', { listn: [] }, { cache: { maxEntrys: 1 } }, { limits: { maxReferrals: 0 } }, { limits: { maxReferrals: 1.5 } },
    { upstreamPort: 65_536 }, { upstreamPort: '53' }, { dnssec: 'no' }, { listen: [] }, { listen: ['127.0.0.1'] }, { listen: '127.0.0.1:53' },
    { rootHints: [] }, { rootHints: [{ name: 'a.root' }] }, { rootHints: '' }, { forwardZones: [{ zone: 'x' }] },
    { logLevel: 'chatty' }, { doh: { path: 'dns-query' } }, { doh: { path: '/resolve' } }, { sharedCache: { keyPrefix: 'a{b}' } },
    { control: { listen: ['10.0.0.1:5380'] } }, { chaos: { identity: 'x'.repeat(256) } }, { workers: 0 }, { $schema: 1 },
  ];
  for (const c of bad) {
    assert.equal(andnsAccepts(c), false, `andns accepts ${JSON.stringify(c)}`);
    assert.equal(valid(c), false, `the schema accepts ${JSON.stringify(c)}`);
  }
});

test('config schema: the README example config passes both', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the Configuration section has a JSON example');
  const example = JSON.parse(block) as unknown;
  assert.ok(andnsAccepts(example));
  assert.ok(validator()(example));
});

test('config schema: the file shipped in dist/ is the generated one, and `andns config schema` prints it', async () => {
  const shipped = JSON.parse(readFileSync(join(ROOT, 'dist', SCHEMA_FILE_NAME), 'utf8')) as unknown;
  assert.deepEqual(shipped, configJsonSchema());
});

test('config schema: a check that declares no schema is reported by its key path', () => {
  const custom: Check<string> = (value) => String(value);
  const described = describe((value: unknown) => Number(value), { type: 'number' });
  const { schema, undeclared } = generateSchema(object<{ a: string; b: number; c: { d: string } }>(
    { a: custom, b: described, c: object<{ d: string }>({ d: custom }, { d: '' }) },
    { a: '', b: 0, c: { d: '' } },
  ));
  assert.deepEqual(undeclared, ['a', 'c.d']);
  assert.deepEqual(schemaAt(schema, 'b'), { type: 'number', default: 0 });
});
