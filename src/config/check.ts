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

export function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(path: string, value: unknown, expected: string): never {
  throw new ConfigError(path, `${show(value)} is not ${expected}`);
}

export const boolean: Check<boolean> = (value, path) => (typeof value === 'boolean' ? value : fail(path, value, 'true or false'));

export function integer(min: number, max: number): Check<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(path, value, `an integer from ${min} to ${max}`);
    }
    return value;
  };
}

export function oneOf<T extends string>(choices: readonly T[]): Check<T> {
  return (value, path) => (choices.includes(value as T) ? (value as T) : fail(path, value, `one of ${choices.join(', ')}`));
}

export const nonEmptyString: Check<string> = (value, path) =>
  typeof value === 'string' && value.length > 0 ? value : fail(path, value, 'a non-empty string');

export const ipAddress: Check<string> = (value, path) =>
  typeof value === 'string' && isIP(value) !== 0 ? value : fail(path, value, 'an IPv4 or IPv6 address');

export function arrayOf<T>(item: Check<T>, minLength = 0): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, value, 'a list');
    if (value.length < minLength) fail(path, value, `a list of at least ${minLength} item${minLength === 1 ? '' : 's'}`);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

/** Either of two checks, chosen by the JSON shape of the value (string or list/object). */
export function stringOr<T>(whenString: Check<T>, otherwise: Check<T>): Check<T> {
  return (value, path) => (typeof value === 'string' ? whenString(value, path) : otherwise(value, path));
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
  return (value, path) => {
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
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
