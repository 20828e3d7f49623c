// Zipf popularity over ranked items: rank k is drawn with probability ∝ 1 / k^s.

/**
 * Samples ranks 0..n-1 (0 is the most popular) from a precomputed cumulative table, by binary
 * search: O(log n) per draw and no allocation, so it can sit on the generator's send path.
 * Real resolver traffic is close to Zipf with s ≈ 0.9–1.2: a hot head and a long tail.
 */
export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  readonly #cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a positive integer, got ${n}`);
    if (!(s >= 0) || !Number.isFinite(s)) throw new RangeError(`zipf: s must be a finite number ≥ 0, got ${s}`);
    this.n = n;
    this.s = s;
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, s);
      this.#cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.#cdf[k]! /= sum;
    this.#cdf[n - 1] = 1; // no rounding gap at the top
  }

  /** Probability of rank k (0-based). */
  probability(k: number): number {
    if (k < 0 || k >= this.n) return 0;
    return this.#cdf[k]! - (k === 0 ? 0 : this.#cdf[k - 1]!);
  }

  /** Maps a uniform u in [0, 1) to a rank. */
  rank(u: number): number {
    const cdf = this.#cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
