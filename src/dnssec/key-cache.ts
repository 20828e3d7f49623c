// Zone key states (secure DNSKEYs, insecure delegation, bogus) remembered across validations.

import type { RR } from '../dns/message.ts';
import { Lru } from '../util/lru.ts';
import type { Ede } from './constants.ts';

/**
 * What the validator learnt about a zone. `insecure` at Z means Z and everything below it is
 * provably unsigned (or validation is off there); `bogus` is kept briefly to damp retries.
 */
export type ZoneKeys =
  | { status: 'secure'; zone: string; keys: RR[] }
  | { status: 'insecure'; zone: string; reason: string; ede?: Ede }
  | { status: 'bogus'; zone: string; reason: string; ede: Ede };

/** A resolver may implement this on its shared tier so one front-end's work serves all. */
export interface KeyCache {
  get(zone: string, now: number): ZoneKeys | undefined;
  put(state: ZoneKeys, ttlSeconds: number, now: number): void;
}

/** Resident bytes of one zone's state beyond its keys' bytes (objects, reason text). */
const STATE_OVERHEAD = 300;
/** Per DNSKEY record: the decoded record object around its key bytes. */
const KEY_OVERHEAD = 250;

/** In-process cache with absolute expiry (seconds), bounded by entry count and by bytes. */
export class MemoryKeyCache implements KeyCache {
  private readonly entries: Lru<{ state: ZoneKeys; expiresAt: number }>;

  constructor(maxEntries = 10_000, maxBytes = Infinity) {
    this.entries = new Lru({ maxEntries, maxBytes });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against maxBytes. */
  get byteSize(): number {
    return this.entries.byteSize;
  }

  /** Changes the byte bound (the memory budget's share); evicts at once down to it. */
  setMaxBytes(maxBytes: number): void {
    this.entries.setLimits({ maxBytes });
  }

  get(zone: string, now: number): ZoneKeys | undefined {
    const e = this.entries.get(zone);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(zone);
      return undefined;
    }
    return e.state;
  }

  put(state: ZoneKeys, ttlSeconds: number, now: number): void {
    if (ttlSeconds <= 0) return;
    this.entries.set(state.zone, { state, expiresAt: now + ttlSeconds }, weigh(state));
  }
}

function weigh(state: ZoneKeys): number {
  if (state.status !== 'secure') return STATE_OVERHEAD + state.reason.length;
  let bytes = STATE_OVERHEAD;
  for (const k of state.keys) bytes += KEY_OVERHEAD + ((k.data as { key?: Buffer } | undefined)?.key?.length ?? 0);
  return bytes;
}
