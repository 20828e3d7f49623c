// Binary search over arrays kept sorted: O(log n) lookups for the aggressive NSEC/NSEC3 caches.

/**
 * The index of the last item for which `before` holds, -1 when none. `before` must hold for a
 * prefix of `items` and fail for the rest (true for keys ≤ or < a target in sorted order).
 */
export function lastWhere<T>(items: readonly T[], before: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
