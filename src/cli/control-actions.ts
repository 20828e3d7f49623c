// What one serving process does for the control endpoint and for SIGHUP: flush, stats,
// negative trust anchors, reload. A lone server calls it directly; a worker on its primary's
// message (workers.ts).

import { ConfigError } from '../config/check.ts';
import type { Reloader, ReloadReport } from '../operations/reload.ts';
import type { FlushScope } from '../shared-cache/flush.ts';
import type { Stack } from './compose.ts';

export type NtaChange = { action: 'add' | 'remove'; name: string };

export interface ProcessActions {
  flush(scope: FlushScope): Promise<number>;
  stats(): Promise<Record<string, unknown>>;
  nta(change?: NtaChange): Promise<string[]>;
  reload(): Promise<ReloadReport>;
}

/** A request the caller got wrong (HTTP 400), as opposed to a server that could not act. */
export class ActionError extends Error {
  readonly status = 400;
}

export function processActions(stack: Stack, reloader: Reloader): ProcessActions {
  return {
    flush: (scope) => stack.shared.flusher.flush(scope),
    stats: async () => stack.stats(),
    async nta(change) {
      const ntas = stack.validator?.ntas;
      if (!ntas) {
        if (change) throw new ActionError('DNSSEC validation is off: negative trust anchors have nothing to turn off');
        return [];
      }
      if (change) {
        if (change.action === 'add') ntas.add(change.name);
        else ntas.remove(change.name);
        // Answers judged before the change (bogus marks, insecure entries) are dropped so the
        // change takes effect on the next query, as RFC 7646 §2's operator expects.
        await stack.shared.flusher.flush({ kind: 'subtree', name: change.name }).catch(() => 0);
      }
      return ntas.list();
    },
    async reload() {
      try {
        return reloader.reload();
      } catch (err) {
        if (err instanceof ConfigError) throw new ActionError(`reload refused, the running config stays: ${err.message}`);
        throw err;
      }
    },
  };
}
