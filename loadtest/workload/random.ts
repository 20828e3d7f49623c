// Seeded pseudo-random numbers, so that a workload is the same on every run with the same seed.

/** Mulberry32: tiny, fast and good enough for choosing names (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
