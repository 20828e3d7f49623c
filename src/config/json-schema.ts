// The published JSON Schema of the config file (draft 2020-12), generated from the checks in
// schema.ts, so that editors can complete and check a config and the schema cannot drift.

import { generateSchema, type JsonSchema } from './check.ts';
import { DEFAULT_ROOT_HINTS_FILE, DEFAULT_TRUST_ANCHORS_FILE, fileConfigCheck } from './schema.ts';

/** Where the build writes it, inside the package: `dist/andns.config.schema.json`. */
export const SCHEMA_FILE_NAME = 'andns.config.schema.json';

/**
 * The schema; `undeclared` lists keys whose check declared no schema (they accept anything
 * here): test/unit/config_schema.test.ts fails on any, naming them.
 */
export function configJsonSchemaWithGaps(): { schema: JsonSchema; undeclared: string[] } {
  const { schema: root, undeclared } = generateSchema(fileConfigCheck);
  const properties = root['properties'] as Record<string, JsonSchema>;
  const note = (key: string, text: string): void => {
    properties[key] = { ...properties[key], description: text };
  };
  note('rootHints', `a named.root file (relative to this config file) or inline hints; absent: the IANA ${DEFAULT_ROOT_HINTS_FILE} shipped with andns`);
  note('trustAnchors', `a file of DS/DNSKEY records (relative to this config file) or inline records; absent: the root's ${DEFAULT_TRUST_ANCHORS_FILE} shipped with andns`);
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:andns:config',
    title: 'andns configuration',
    description: 'The file given to andns serve --config FILE; every key is optional. Check one with: andns config check FILE',
    ...root,
    properties: { $schema: { type: 'string', description: 'the JSON Schema this file follows (ignored by andns)' }, ...properties },
  };
  return { schema, undeclared };
}

export function configJsonSchema(): JsonSchema {
  return configJsonSchemaWithGaps().schema;
}
