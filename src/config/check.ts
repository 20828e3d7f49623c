// Small validator combinators: each check turns an untrusted JSON value into a typed one or
// throws a ConfigError naming the key path and the bad value (STYLE: errors name the key).

import { isIP } from 'node:net';

export class ConfigError extends Error {
  /** Key path in the config file (e.g. `listen[1]`), or the flag that carried the value. */
  readonly path: string;
  constructor(path: string, problem: string) {
    super(path === '' ? `config: ${problem}` : `config: ${path}: ${problem}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** A check reads `value` found at `path`; it returns the typed value or throws ConfigError. */
export type Check<T> = (value: unknown, path: string) => T;

/** A JSON Schema (draft 2020-12) fragment: what a check accepts, for editors and the published schema. */
export type JsonSchema = { [keyword: string]: unknown };

interface Described {
  /** Built on demand, so that an object's schema sees its members' declarations. */
  schema: (path: string) => JsonSchema;
  /** The config-file form of a value this check returned (a default shown in the schema). */
  fileForm?: (value: unknown) => unknown;
}

const described = new WeakMap<Check<unknown>, Described>();

/**
 * Declares the JSON Schema of a check. The combinators below declare their own; a hand-written
 * check must declare one: an undeclared check gets the empty schema (anything) and is listed
 * by generateSchema, and a test fails naming its key, so the schema cannot silently fall behind.
 */
export function describe<C extends Check<unknown>>(check: C, schema: JsonSchema | ((path: string) => JsonSchema), fileForm?: (value: unknown) => unknown): C {
  described.set(check, { schema: typeof schema === 'function' ? schema : () => schema, ...(fileForm ? { fileForm } : {}) });
  return check;
}

/** Key paths whose check declared no schema, collected while generateSchema runs. */
let undeclared: string[] = [];

/** The JSON Schema of the check at `path` (a key path: where an undeclared check is reported). */
export function schemaOf(check: Check<unknown>, path: string): JsonSchema {
  const d = described.get(check);
  if (!d) {
    undeclared.push(path || '(top level)');
    return {};
  }
  return d.schema(path);
}

/** The schema of a whole check tree, and the key paths of checks that declared none (each should). */
export function generateSchema(check: Check<unknown>): { schema: JsonSchema; undeclared: string[] } {
  undeclared = [];
  const schema = schemaOf(check, '');
  const missing = undeclared;
  undeclared = [];
  return { schema, undeclared: missing };
}

/** A checked value back in config-file form, or undefined when the check cannot say. */
export function fileFormOf(check: Check<unknown>, value: unknown): unknown {
  const d = described.get(check);
  if (d?.fileForm) return d.fileForm(value);
  return ['string', 'number', 'boolean'].includes(typeof value) ? value : undefined;
}

export function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(path: string, value: unknown, expected: string): never {
  throw new ConfigError(path, `${show(value)} is not ${expected}`);
}

export const boolean: Check<boolean> = describe(
  (value, path) => (typeof value === 'boolean' ? value : fail(path, value, 'true or false')),
  { type: 'boolean' },
);

export function integer(min: number, max: number): Check<number> {
  return describe((value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(path, value, `an integer from ${min} to ${max}`);
    }
    return value;
  }, { type: 'integer', minimum: min, maximum: max });
}

export function oneOf<T extends string>(choices: readonly T[]): Check<T> {
  return describe(
    (value, path) => (choices.includes(value as T) ? (value as T) : fail(path, value, `one of ${choices.join(', ')}`)),
    { enum: [...choices] },
  );
}

export const nonEmptyString: Check<string> = describe(
  (value, path) => (typeof value === 'string' && value.length > 0 ? value : fail(path, value, 'a non-empty string')),
  { type: 'string', minLength: 1 },
);

export const ipAddress: Check<string> = describe(
  (value, path) => (typeof value === 'string' && isIP(value) !== 0 ? value : fail(path, value, 'an IPv4 or IPv6 address')),
  { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
);

export function arrayOf<T>(item: Check<T>, minLength = 0): Check<T[]> {
  return describe(
    (value, path) => {
      if (!Array.isArray(value)) fail(path, value, 'a list');
      if (value.length < minLength) fail(path, value, `a list of at least ${minLength} item${minLength === 1 ? '' : 's'}`);
      return value.map((v, i) => item(v, `${path}[${i}]`));
    },
    (path) => ({ type: 'array', items: schemaOf(item, `${path}[]`), ...(minLength > 0 ? { minItems: minLength } : {}) }),
    (value) => {
      const items = (value as unknown[]).map((v) => fileFormOf(item, v));
      return items.every((v) => v !== undefined) ? items : undefined;
    },
  );
}

/** Either of two checks, chosen by the JSON shape of the value (string or list/object). */
export function stringOr<T>(whenString: Check<T>, otherwise: Check<T>): Check<T> {
  return describe(
    (value, path) => (typeof value === 'string' ? whenString(value, path) : otherwise(value, path)),
    (path) => ({ anyOf: [schemaOf(whenString, path), schemaOf(otherwise, path)] }),
  );
}

export type Shape<T> = { [K in keyof T]: Check<T[K]> };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An object whose keys all have checks; missing keys take `defaults`, unknown keys are errors
 * (a misspelt key silently ignored is a setting silently not applied).
 */
export function object<T extends object>(shape: Shape<T>, defaults: T): Check<T> {
  const check: Check<T> = (value, path) => {
    if (!isPlainObject(value)) fail(path, value, 'an object');
    const known = Object.keys(shape);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        throw new ConfigError(join(path, key), `unknown key (known: ${known.join(', ')})`);
      }
    }
    const out = { ...defaults };
    for (const key of known as (keyof T & string)[]) {
      if (value[key] !== undefined) out[key] = shape[key](value[key], join(path, key));
    }
    return out;
  };
  return describe(check, (path) => {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, member] of Object.entries(shape) as [string, Check<unknown>][]) {
      const fallback = validDefault(member, fileFormOf(member, (defaults as Record<string, unknown>)[key]), join(path, key));
      properties[key] = { ...schemaOf(member, join(path, key)), ...(fallback !== undefined ? { default: fallback } : {}) };
    }
    return { type: 'object', properties, additionalProperties: false };
  }, (value) => {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(shape) as [string, Check<unknown>][]) {
      const v = fileFormOf(member, (value as Record<string, unknown>)[key]);
      if (v === undefined) return undefined;
      out[key] = v;
    }
    return out;
  });
}

/** A default is shown only when the key's own check accepts it ("" for "not set" is not a value one may write). */
function validDefault(check: Check<unknown>, value: unknown, path: string): unknown {
  if (value === undefined) return undefined;
  try {
    check(value, path);
    return value;
  } catch {
    return undefined;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
