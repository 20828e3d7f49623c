// The two-level RecordCache contract on the embedded memory store.

import { MemoryStore } from '../../src/shared-cache/memory-store.ts';
import { systemClock } from '../../src/util/clock.ts';
import { recordCacheContract } from '../harness/record-cache-contract.ts';

const store = new MemoryStore({ maxBytes: 8 * 1024 * 1024 }, systemClock);
recordCacheContract('record cache on memory store', () => store);
