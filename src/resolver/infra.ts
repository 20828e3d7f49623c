// The infrastructure cache: what andns has learnt about each upstream server address
// (smoothed RTT, timeouts, EDNS and 0x20 behaviour) and which zones are failing right now.

import type { Clock } from '../util/clock.ts';
import { Lru } from '../util/lru.ts';

/** RTT assumed for a server never measured: low enough to get it tried, high enough to prefer
 * servers known to be fast (Unbound uses 376 ms, the same idea). */
const UNKNOWN_RTT_MS = 376;
const MIN_TIMEOUT_MS = 100;
/** After this many timeouts in a row a server is held down (tried only when nothing else is left). */
const TIMEOUTS_UNTIL_DOWN = 3;
/** Chance of trying a random server instead of the fastest, so RTTs of the others stay fresh. */
export const EXPLORE_PROBABILITY = 0.05;

export interface InfraOptions {
  /** How long what was learnt about a server is kept, ms. */
  hostTtlMs: number;
  /** How long a server that keeps timing out is avoided, ms. */
  downHoldMs: number;
  /** How long a zone whose servers all failed answers SERVFAIL from cache (RFC 9520 §3.2), ms. */
  zoneFailureHoldMs: number;
  /** How long a server found lame for a zone (REFUSED, not authoritative, upward referral) is
   * tried last for that zone, ms. */
  lameHoldMs: number;
  /** Entries of each table (servers, failing zones, lame server/zone pairs). */
  maxHosts: number;
}

/** Resident bytes of a server's record (an object of eight fields) and of a held-down mark. */
const HOST_BYTES = 120;
const MARK_BYTES = 16;

export const defaultInfraOptions: InfraOptions = Object.freeze({
  hostTtlMs: 15 * 60_000,
  downHoldMs: 30_000,
  zoneFailureHoldMs: 5_000,
  lameHoldMs: 10 * 60_000,
  maxHosts: 10_000,
});

interface Host {
  srttMs: number;
  rttVarMs: number;
  measured: boolean;
  consecutiveTimeouts: number;
  downUntil: number;
  /** Answers FORMERR/NOTIMP to EDNS queries (RFC 6891 §7 fallback). */
  noEdns: boolean;
  /** Does not echo the question's case (0x20 fallback). */
  noCase: boolean;
  expiresAt: number;
}

export class InfraCache {
  private readonly hosts: Lru<Host>;
  private readonly failedZones: Lru<number>;
  /** "address|zone" → until when the server is lame for that zone. */
  private readonly lame: Lru<number>;
  private readonly clock: Clock;
  private readonly options: InfraOptions;

  constructor(clock: Clock, options: InfraOptions = defaultInfraOptions) {
    this.clock = clock;
    this.options = options;
    this.hosts = new Lru({ maxEntries: options.maxHosts });
    this.failedZones = new Lru({ maxEntries: options.maxHosts });
    this.lame = new Lru({ maxEntries: options.maxHosts });
  }

  /** Bytes held across its tables (the memory budget's infrastructure share). */
  get byteSize(): number {
    return this.hosts.byteSize + this.failedZones.byteSize + this.lame.byteSize;
  }

  /** Splits a byte bound over its tables: servers half, failing zones and lame pairs a quarter each. */
  setMaxBytes(maxBytes: number): void {
    this.hosts.setLimits({ maxBytes: maxBytes / 2 });
    this.failedZones.setLimits({ maxBytes: maxBytes / 4 });
    this.lame.setLimits({ maxBytes: maxBytes / 4 });
  }

  /**
   * Smoothed RTT used to rank a server for a zone; unknown servers get the optimistic default,
   * servers held down or lame for the zone come last (still tried when nothing else is left).
   */
  rank(address: string, zone: string): number {
    const until = this.lame.peek(`${address}|${zone}`);
    if (until !== undefined) {
      if (until > this.clock.now()) return Number.MAX_SAFE_INTEGER;
      this.lame.delete(`${address}|${zone}`);
    }
    const h = this.get(address);
    if (!h) return UNKNOWN_RTT_MS;
    return h.downUntil > this.clock.now() ? Number.MAX_SAFE_INTEGER - 1 : h.srttMs;
  }

  /** Remembers that `address` does not serve `zone` properly. */
  markLame(address: string, zone: string): void {
    this.lame.set(`${address}|${zone}`, this.clock.now() + this.options.lameHoldMs, MARK_BYTES);
  }

  /** Timeout for the next query to `address`: grows from the observed RTT (RFC 6298 style). */
  timeoutMs(address: string, maxMs: number): number {
    const h = this.get(address);
    if (!h?.measured) return maxMs;
    const backoff = 2 ** Math.min(h.consecutiveTimeouts, 4);
    return Math.min(maxMs, Math.max(MIN_TIMEOUT_MS, (h.srttMs + 4 * h.rttVarMs) * backoff));
  }

  recordRtt(address: string, rttMs: number): void {
    const h = this.touch(address);
    if (!h.measured) {
      h.srttMs = rttMs;
      h.rttVarMs = rttMs / 2;
      h.measured = true;
    } else {
      // RFC 6298 §2.3 gains: 1/8 for the mean, 1/4 for the variation.
      h.rttVarMs = 0.75 * h.rttVarMs + 0.25 * Math.abs(h.srttMs - rttMs);
      h.srttMs = 0.875 * h.srttMs + 0.125 * rttMs;
    }
    h.consecutiveTimeouts = 0;
    h.downUntil = 0;
  }

  recordTimeout(address: string, timeoutMs: number): void {
    const h = this.touch(address);
    h.consecutiveTimeouts++;
    // A timeout is evidence of at least that much delay: decay toward it.
    h.srttMs = Math.max(h.srttMs, Math.min(timeoutMs, 0.875 * h.srttMs + 0.125 * timeoutMs * 2));
    if (h.consecutiveTimeouts >= TIMEOUTS_UNTIL_DOWN) h.downUntil = this.clock.now() + this.options.downHoldMs;
  }

  noEdns(address: string): boolean {
    return this.get(address)?.noEdns ?? false;
  }

  setNoEdns(address: string): void {
    this.touch(address).noEdns = true;
  }

  noCase(address: string): boolean {
    return this.get(address)?.noCase ?? false;
  }

  setNoCase(address: string): void {
    this.touch(address).noCase = true;
  }

  /** RFC 9520: remember briefly that no server of `zone` could be reached. */
  markZoneFailed(zone: string): void {
    this.failedZones.set(zone, this.clock.now() + this.options.zoneFailureHoldMs, MARK_BYTES);
  }

  zoneFailed(zone: string): boolean {
    const until = this.failedZones.peek(zone);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.failedZones.delete(zone);
    return false;
  }

  private get(address: string): Host | undefined {
    const h = this.hosts.peek(address);
    if (h && h.expiresAt <= this.clock.now()) {
      this.hosts.delete(address);
      return undefined;
    }
    return h;
  }

  private touch(address: string): Host {
    let h = this.get(address);
    if (!h) {
      h = { srttMs: UNKNOWN_RTT_MS, rttVarMs: 0, measured: false, consecutiveTimeouts: 0, downUntil: 0, noEdns: false, noCase: false, expiresAt: 0 };
      this.hosts.set(address, h, HOST_BYTES);
    } else {
      this.hosts.get(address); // learnt about again: most recently used
    }
    h.expiresAt = this.clock.now() + this.options.hostTtlMs;
    return h;
  }
}
