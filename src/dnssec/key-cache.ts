// Zone key states (secure DNSKEYs, insecure delegation, bogus) remembered across validations.

import type { RR } from '../dns/message.ts';
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

/** In-process cache: a Map in LRU order with absolute expiry (seconds), bounded by entry count. */
export class MemoryKeyCache implements KeyCache {
  private readonly entries = new Map<string, { state: ZoneKeys; expiresAt: number }>();
  private readonly maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  get(zone: string, now: number): ZoneKeys | undefined {
    const e = this.entries.get(zone);
    if (!e) return undefined;
    this.entries.delete(zone);
    if (e.expiresAt <= now) return undefined;
    this.entries.set(zone, e);
    return e.state;
  }

  put(state: ZoneKeys, ttlSeconds: number, now: number): void {
    if (ttlSeconds <= 0 || this.maxEntries <= 0) return;
    this.entries.delete(state.zone);
    this.entries.set(state.zone, { state, expiresAt: now + ttlSeconds });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
