// Cheap randomness for attack traffic (not seeded: attack names must be fresh on every run).

import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random DNS label of `n` letters and digits. */
export function randomLabel(n: number): string {
  const b = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[b[i]! % ALPHABET.length];
  return s;
}
