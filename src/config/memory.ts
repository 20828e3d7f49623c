// The memory budget: one setting bounds everything the process caches, split over the tiers by
// documented shares (README, Memory); expert per-tier overrides are checked against it.

import { ConfigError, integer, object, type Check } from './check.ts';

export interface MemoryConfig {
  /**
   * MiB that all caches of this host may hold together: the hot answer tier, the decoded record
   * tier (Redis only), the embedded store (without Redis), DNSSEC keys, aggressive-NSEC proofs
   * and infrastructure state. With --workers each worker gets an equal part.
   */
  budgetMiB: number;
}

export const defaultMemoryConfig: MemoryConfig = Object.freeze({ budgetMiB: 64 });

const MIB = 1024 * 1024;

export const memoryCheck: Check<MemoryConfig> = object<MemoryConfig>({ budgetMiB: integer(4, 1024 * 1024) }, defaultMemoryConfig);

/** What the budget is split over, each bounded by its own LRU (util/lru.ts). */
export type MemoryTier = 'hotAnswers' | 'records' | 'embeddedStore' | 'keys' | 'aggressiveNsec' | 'infra';
export const MEMORY_TIERS: readonly MemoryTier[] = ['hotAnswers', 'records', 'embeddedStore', 'keys', 'aggressiveNsec', 'infra'];

/**
 * Shares of a process's part of the budget. Embedded: the store is in this process, so there
 * is no decoded tier in front of it (a hit there is a read of local memory). With Redis the
 * decoded tier saves round trips, and there is no embedded store.
 */
export const MEMORY_SHARES: Readonly<Record<'embedded' | 'redis', Readonly<Record<MemoryTier, number>>>> = Object.freeze({
  embedded: Object.freeze({ hotAnswers: 0.3, records: 0, embeddedStore: 0.55, keys: 0.05, aggressiveNsec: 0.05, infra: 0.05 }),
  redis: Object.freeze({ hotAnswers: 0.55, records: 0.3, embeddedStore: 0, keys: 0.05, aggressiveNsec: 0.05, infra: 0.05 }),
});

/** Config keys whose non-zero value replaces a tier's share (bytes per process). */
export const OVERRIDE_KEYS: Readonly<Partial<Record<MemoryTier, string>>> = Object.freeze({
  hotAnswers: 'sharedCache.hotAnswersMaxBytes',
  records: 'sharedCache.hotMaxBytes',
  embeddedStore: 'sharedCache.memoryMaxBytes',
});

export interface MemoryPlan {
  /** The host's budget, bytes. */
  readonly budgetBytes: number;
  readonly workers: number;
  /** This process's part: budget ÷ workers. */
  readonly processBytes: number;
  readonly mode: 'embedded' | 'redis';
  /** Bytes per tier for this process. */
  readonly tiers: Readonly<Record<MemoryTier, number>>;
  /** Tiers sized by an expert override instead of their share. */
  readonly overridden: readonly MemoryTier[];
}

/**
 * Splits the budget: overridden tiers take their bytes, the others share what is left in
 * proportion to their shares. Overrides larger than the process's part are an error naming
 * the key, as is a budget too small to give each process 4 MiB.
 */
export function planMemory(budgetMiB: number, workers: number, redis: boolean, overrides: Partial<Record<MemoryTier, number>>): MemoryPlan {
  const mode = redis ? 'redis' : 'embedded';
  const budgetBytes = budgetMiB * MIB;
  const processBytes = Math.floor(budgetBytes / workers);
  if (processBytes < 4 * MIB) {
    throw new ConfigError('memory.budgetMiB', `${budgetMiB} MiB over ${workers} workers leaves ${(processBytes / MIB).toFixed(1)} MiB each; give each worker at least 4 MiB`);
  }
  const shares = MEMORY_SHARES[mode];
  // Without Redis there is no store to size but the embedded one; a decoded tier may still be
  // asked for by an override (to measure what it buys: README, Memory).
  const overridden = MEMORY_TIERS.filter((t) => (overrides[t] ?? 0) > 0 && (shares[t] > 0 || t === 'records'));
  const fixed = overridden.reduce((sum, t) => sum + overrides[t]!, 0);
  if (fixed > processBytes) {
    const keys = overridden.map((t) => `${OVERRIDE_KEYS[t]} = ${overrides[t]}`).join(', ');
    throw new ConfigError(OVERRIDE_KEYS[overridden[0]!]!, `${keys}: ${fixed} bytes in all, more than each process's part of memory.budgetMiB (${budgetMiB} MiB${workers > 1 ? ` ÷ ${workers} workers` : ''} = ${processBytes} bytes); raise memory.budgetMiB (--memory-budget) or set the override to 0 (a share of the budget)`);
  }
  const rest = processBytes - fixed;
  const restShares = MEMORY_TIERS.filter((t) => !overridden.includes(t)).reduce((sum, t) => sum + shares[t], 0);
  const tiers = {} as Record<MemoryTier, number>;
  for (const t of MEMORY_TIERS) {
    tiers[t] = overridden.includes(t) ? overrides[t]! : restShares > 0 ? Math.floor((rest * shares[t]) / restShares) : 0;
  }
  return Object.freeze({ budgetBytes, workers, processBytes, mode, tiers: Object.freeze(tiers), overridden });
}
