// Readiness of one serving process: its listeners are up, it is not draining, and a canary
// question resolved recently (a real lookup through the shared cache and the resolver, so
// a node that cannot answer withdraws its anycast route). Redis trouble is reported, not
// fatal: without Redis the node still answers (DESIGN §3: an accelerator, not a dependency).

import type { HealthConfig } from '../config/operations.ts';
import { typeNumber } from '../dns/message.ts';
import type { ClientQuestion, Resolve } from '../resolver/resolution.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface HealthReport {
  ready: boolean;
  pid: number;
  listening: boolean;
  draining: boolean;
  canary: {
    question: string;
    ok: boolean;
    /** Milliseconds since the last answer; absent when none came yet. */
    lastSuccessAgoMs?: number;
    /** Why the last run failed (SERVFAIL reason, refusal, error); absent after a success. */
    lastError?: string;
  };
  /** 'embedded', or the Redis circuit breaker's state (open: Redis is being routed around). */
  sharedCache: string;
}

export class Readiness {
  /** Every listener is bound (set once start-up is done). */
  listening = false;
  /** SIGTERM arrived: readiness is false from now on. */
  draining = false;
  private lastSuccess: number | undefined;
  private lastError: string | undefined = 'not run yet';
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly question: ClientQuestion;
  private readonly config: HealthConfig;
  private readonly resolve: Resolve;
  private readonly sharedCache: () => string;
  private readonly clock: Clock;
  private readonly log: Logger;

  /** `sharedCache` says how the shared tier is doing ('embedded', or healthy / degraded / down: node-health.ts). */
  constructor(config: HealthConfig, resolve: Resolve, sharedCache: () => string, clock: Clock, log: Logger) {
    this.config = config;
    this.resolve = resolve;
    this.sharedCache = sharedCache;
    this.clock = clock;
    this.log = log;
    this.question = {
      qname: config.canaryName,
      qtype: typeNumber(config.canaryType) ?? 2,
      qclass: 1,
      dnssecOk: false,
      checkingDisabled: false,
      recursionDesired: true,
    };
  }

  /**
   * Runs the canary now and then every canaryIntervalMs (the timer does not hold the process).
   * Resolves when the first run ended, or after `firstRunBoundMs`, whichever comes first.
   */
  start(firstRunBoundMs: number): Promise<void> {
    const first = this.runCanary();
    this.timer = setInterval(() => void this.runCanary(), this.config.canaryIntervalMs);
    this.timer.unref();
    let bound: NodeJS.Timeout | undefined;
    return Promise.race([first, new Promise<void>((resolve) => (bound = setTimeout(resolve, firstRunBoundMs)))]).finally(() => clearTimeout(bound));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One canary resolution; a run still going when the next is due is not doubled. */
  async runCanary(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const r = await this.resolve(this.question);
      // NXDOMAIN and NODATA are answers too: the resolver works; only failures count against it.
      if (r.kind === 'servfail' || r.kind === 'refused') this.failed(`${r.kind}: ${r.reason}`);
      else {
        if (this.lastError !== undefined && this.lastSuccess !== undefined) this.log.info('readiness canary answers again', { name: this.config.canaryName });
        this.lastSuccess = this.clock.now();
        this.lastError = undefined;
      }
    } catch (err) {
      this.failed(`error: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  private failed(why: string): void {
    if (this.lastError === undefined) this.log.warn('readiness canary failed', { name: this.config.canaryName, type: this.config.canaryType, why });
    this.lastError = why;
  }

  report(): HealthReport {
    const now = this.clock.now();
    const age = this.lastSuccess === undefined ? undefined : now - this.lastSuccess;
    const canaryOk = age !== undefined && age <= this.config.canaryMaxAgeMs;
    return {
      ready: this.listening && !this.draining && canaryOk,
      pid: process.pid,
      listening: this.listening,
      draining: this.draining,
      canary: {
        question: `${this.config.canaryName} ${this.config.canaryType}`,
        ok: canaryOk,
        ...(age !== undefined ? { lastSuccessAgoMs: age } : {}),
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      },
      sharedCache: this.sharedCache(),
    };
  }
}
