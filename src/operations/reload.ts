// Reload: re-reads the config (same file, same flags) and hands the new one to every subsystem
// that registered a hook; what only a restart can change is reported, not silently ignored.

import type { AndnsConfig } from '../config/load.ts';
import type { Logger } from '../util/log.ts';

/** Applies the part of `next` it owns; returns true when something changed. May throw to refuse. */
export type ReloadHook = (next: AndnsConfig, previous: AndnsConfig) => boolean;

export interface ReloadReport {
  /** Hooks that applied a change. */
  applied: string[];
  /** Config parts that differ but take effect only after a restart. */
  needsRestart: string[];
}

/**
 * Parts of the config a running process cannot change yet: sockets, stores, processes, and the
 * exposure policy (rate limits, cookies), whose limiters copy their options at start.
 */
const RESTART_ONLY: (keyof AndnsConfig)[] = ['server', 'sharedCache', 'hotAnswersMaxBytes', 'memory', 'control', 'workers', 'dnstap', 'cache', 'policy'];

export class Reloader {
  private current: AndnsConfig;
  private readonly hooks: { name: string; hook: ReloadHook }[] = [];
  /** Config paths (`server.allowFrom`) a hook applies, so they do not count as needing a restart. */
  private readonly owned = new Set<string>();
  private readonly load: () => AndnsConfig;
  private readonly log: Logger;

  constructor(initial: AndnsConfig, load: () => AndnsConfig, log: Logger) {
    this.current = initial;
    this.load = load;
    this.log = log;
  }

  get config(): AndnsConfig {
    return this.current;
  }

  /**
   * A subsystem's way to follow the config: `hook` runs on every reload, in registration order.
   * `owns` names the config paths it applies inside a part that otherwise needs a restart, e.g.
   * `['server.allowFrom']`, so that changing them is not reported as needing one.
   */
  register(name: string, hook: ReloadHook, owns: string[] = []): void {
    this.hooks.push({ name, hook });
    for (const path of owns) this.owned.add(path);
  }

  /** Loads and applies the config; a config error throws and leaves everything as it was. */
  reload(): ReloadReport {
    const next = this.load();
    const previous = this.current;
    const applied: string[] = [];
    for (const { name, hook } of this.hooks) {
      if (hook(next, previous)) applied.push(name);
    }
    const needsRestart: string[] = RESTART_ONLY.filter((k) => changed(this.withoutOwned(k, next[k]), this.withoutOwned(k, previous[k])));
    // DNSSEC on/off and the trust anchors are built into the validator at start.
    if (JSON.stringify(next.validation?.trustAnchors) !== JSON.stringify(previous.validation?.trustAnchors)) needsRestart.push('trustAnchors');
    const r = next.resolver;
    const p = previous.resolver;
    if (r.upstreamPort !== p.upstreamPort || r.qnameMinimisation !== p.qnameMinimisation || r.ipv6Upstream !== p.ipv6Upstream
      || r.allowLocalUpstream !== p.allowLocalUpstream || JSON.stringify(r.rootHints) !== JSON.stringify(p.rootHints)) needsRestart.push('resolver');
    this.current = next;
    this.log.info('config reloaded', { applied, needsRestart });
    return { applied, needsRestart };
  }

  /** The part `key` of a config without the paths hooks own. */
  private withoutOwned(key: string, value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const path of this.owned) if (path.startsWith(`${key}.`)) delete copy[path.slice(key.length + 1)];
    return copy;
  }
}

/** Whether two values differ as config (plain JSON data). */
export function changed(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}
