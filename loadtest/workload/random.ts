// Seeded pseudo-random numbers, so that a workload is the same on every run with the same seed.

/** The simulated internet's generator: one seeded source for zones and workloads alike. */
export { seededRandom } from '../../test/sim/random.ts';

/** Fisher–Yates in place with the given random source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random DNS label of `length` letters and digits. */
export function randomLabel(random: () => number, length = 12): string {
  let s = '';
  for (let i = 0; i < length; i++) s += LABEL_CHARS[Math.floor(random() * LABEL_CHARS.length)];
  return s;
}
