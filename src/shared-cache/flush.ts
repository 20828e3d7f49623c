// Flushing the cache: delete by name, name+type, subtree or everything in the shared store, and
// tell every process (pub/sub on the flush channel) so each drops what it holds in memory.

import { canonicalName, isSubdomain } from '../dns/name.ts';
import type { Logger } from '../util/log.ts';
import type { KeySpace } from './keys.ts';
import type { SharedStore } from './store.ts';

export type FlushScope =
  | { kind: 'all' }
  /** Every type at the name, its NXDOMAIN and its leases. */
  | { kind: 'name'; name: string }
  /** One RRset (or NODATA) — and an NXDOMAIN at the name, which would answer for it too. */
  | { kind: 'type'; name: string; type: number }
  /** The name and everything below it. */
  | { kind: 'subtree'; name: string };

export type FlushListener = (scope: FlushScope) => void;

/** True when a flush of `scope` covers data owned by `name` of `type` (0: NXDOMAIN, all types). */
export function scopeCovers(scope: FlushScope, name: string, type: number): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'name':
      return name === scope.name;
    case 'type':
      return name === scope.name && (type === scope.type || type === 0);
    case 'subtree':
      return isSubdomain(name, scope.name);
  }
}

export class CacheFlusher {
  private readonly store: SharedStore;
  private readonly keys: KeySpace;
  private readonly log: Logger;
  private readonly local = new Set<FlushListener>();

  constructor(store: SharedStore, keys: KeySpace, log: Logger) {
    this.store = store;
    this.keys = keys;
    this.log = log;
  }

  /**
   * Deletes the scope's keys in the shared store, drops them in this process at once and
   * publishes the scope so every other process drops them too. Resolves the keys deleted;
   * rejects when the store cannot be reached (this process's memory is dropped anyway).
   */
  async flush(scope: FlushScope): Promise<number> {
    const s = normalise(scope);
    for (const listener of this.local) listener(s);
    const k = this.keys;
    let deleted = 0;
    switch (s.kind) {
      case 'all':
        deleted = await this.store.deleteMatching(k.allGlob());
        break;
      case 'name':
        deleted = await this.store.deleteMatching(k.nameGlob(s.name));
        break;
      case 'type':
        deleted = await this.store.del([k.rrset(s.name, s.type), k.nxdomain(s.name)]);
        break;
      case 'subtree':
        for (const glob of k.subtreeGlobs(s.name)) deleted += await this.store.deleteMatching(glob);
        break;
    }
    await this.store.publish(k.flushChannel, JSON.stringify(s));
    return deleted;
  }

  /**
   * Calls `listener` for every flush, from this process or any other; resolves an unsubscribe
   * function. Messages that are not a valid scope are logged and ignored.
   */
  async onFlush(listener: FlushListener): Promise<() => Promise<void>> {
    this.local.add(listener);
    const unsubscribe = await this.store.subscribe(this.keys.flushChannel, (message) => {
      const scope = parseScope(message);
      if (scope) listener(scope);
      else this.log.warn('ignored a malformed flush message', { bytes: message.length });
    });
    return async () => {
      this.local.delete(listener);
      await unsubscribe();
    };
  }
}

function normalise(scope: FlushScope): FlushScope {
  return scope.kind === 'all' ? scope : { ...scope, name: canonicalName(scope.name) };
}

/** A scope from the wire (another process, or anyone who can publish): checked field by field. */
export function parseScope(message: string): FlushScope | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.kind === 'all') return { kind: 'all' };
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 1024) return undefined;
  const name = canonicalName(o.name);
  if (o.kind === 'name' || o.kind === 'subtree') return { kind: o.kind, name };
  if (o.kind === 'type' && Number.isInteger(o.type) && (o.type as number) > 0 && (o.type as number) <= 0xffff) {
    return { kind: 'type', name, type: o.type as number };
  }
  return undefined;
}
