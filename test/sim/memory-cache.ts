// The production record cache over the embedded memory store, as `andns serve` builds it without
// Redis: what the resolver's own tests run on (there is no test-only cache implementation).

import { defaultCacheOptions, type CacheOptions } from '../../src/cache/options.ts';
import { KeySpace } from '../../src/shared-cache/keys.ts';
import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { defaultSharedCacheOptions } from '../../src/shared-cache/options.ts';
import { SharedRecordCache } from '../../src/shared-cache/shared-record-cache.ts';
import type { Clock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';

export function memoryRecordCache(clock: Clock, caps: CacheOptions = defaultCacheOptions): SharedRecordCache {
  const store = new MemoryStore({ maxBytes: defaultSharedCacheOptions.memoryMaxBytes }, clock);
  return new SharedRecordCache({ store, keys: new KeySpace('t:'), clock, caps, options: defaultSharedCacheOptions, log: silentLogger });
}
