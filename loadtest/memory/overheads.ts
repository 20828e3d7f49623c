// Resident bytes per cached object kind, the constants behind the memory budget's accounting
// (ENTRY_OVERHEAD in hot-answers.ts and memory-store.ts, LRU_SLOT_BYTES, OVERHEAD in hot-map.ts):
//   node --expose-gc dist/loadtest/memory/overheads.js
// Each kind is measured in a fresh process (RSS delta over 200,000 live objects, after a GC).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Lru } from '../../src/util/lru.ts';

const N = 200_000;
const VALUE = Buffer.alloc(100, 7);

const KINDS: Record<string, (i: number) => unknown> = {
  'nothing (the array holding them)': () => 0,
  'Buffer with its own backing store (100 bytes)': () => {
    const b = Buffer.allocUnsafeSlow(100);
    VALUE.copy(b);
    return b;
  },
  'pooled Buffer slice (100 bytes)': () => Buffer.from(VALUE),
  'latin1 string (100 characters)': (i) => {
    VALUE.writeUInt32BE(i, 0);
    return VALUE.toString('latin1');
  },
  'Uint32Array(2)': () => new Uint32Array(2),
  'number[2]': (i) => [i, i + 0.5],
  'object of two fields': (i) => ({ value: null, expireAtMs: i }),
};

function child(kind: string): void {
  const make = KINDS[kind]!;
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = process.memoryUsage.rss();
  const keep = new Array<unknown>(N);
  for (let i = 0; i < N; i++) keep[i] = make(i);
  gc();
  console.log(Math.round((process.memoryUsage.rss() - before) / N), keep.length > 0 ? '' : '');
}

function lruSlot(): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const keys = Array.from({ length: N }, (_, i) => `k${i}`);
  gc();
  const before = process.memoryUsage.rss();
  const lru = new Lru<number>();
  for (let i = 0; i < N; i++) lru.set(keys[i]!, i);
  gc();
  console.log(Math.round((process.memoryUsage.rss() - before) / N), lru.size > 0 ? '' : '');
}

const self = fileURLToPath(import.meta.url);
const [, , mode, kind] = process.argv;
if (mode === '--child') child(kind!);
else if (mode === '--lru') lruSlot();
else {
  console.log('| kind | resident bytes each |\n|---|---|');
  for (const k of Object.keys(KINDS)) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', k], { encoding: 'utf8' }).trim();
    console.log(`| ${k} | ${out} |`);
  }
  const slot = execFileSync(process.execPath, ['--expose-gc', self, '--lru'], { encoding: 'utf8' }).trim();
  console.log(`| Lru slot (short key, number value) | ${slot} |`);
}
