// `andns cache flush NAME [--type T] [--subtree] | --all`: asks a running andns, through its
// control endpoint, to flush the shared cache and every front-end's hot tiers.

import { typeName, typeNumber } from '../dns/message.ts';
import type { FlushScope } from '../shared-cache/flush.ts';
import { controlCall, controlClientFlags } from './control-client.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const CACHE_USAGE = 'andns cache flush NAME [--type T] [--subtree] | --all  [--control ADDR:PORT|PATH] [--control-token FILE]';
const SUMMARY = `Flushes a running andns's cache: the name (every type, or one with --type), the name and
everything below it (--subtree), or everything (--all). The shared store drops the keys and every
front-end on it drops its in-memory copies within a second. The server must run with a control
endpoint (control.listen with control.tokenFile, or control.socket).`;

const cacheFlags = [
  { name: 'type', type: 'string' as const, value: 'T', help: 'flush only this type at NAME (A, AAAA, TYPE65…)', default: 'every type' },
  { name: 'subtree', type: 'boolean' as const, help: 'flush NAME and every name below it', default: 'off' },
  { name: 'all', type: 'boolean' as const, help: 'flush everything', default: 'off' },
  ...controlClientFlags,
  { name: 'help', type: 'boolean' as const, help: 'show this help' },
];

export async function cache(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(cacheFlags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(CACHE_USAGE, SUMMARY, cacheFlags));
    return 0;
  }
  const [action, name, extra] = positionals;
  if (action !== 'flush') throw new UsageError(action === undefined ? 'cache needs an action: flush' : `unknown cache action "${action}"`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const scope = scopeFrom(name, values);
  const { deleted } = (await controlCall(values, 'POST', '/cache/flush', scope)) as { deleted: number };
  process.stdout.write(`flushed ${describe(scope)}: ${deleted} shared-cache key${deleted === 1 ? '' : 's'} deleted\n`);
  return 0;
}

function scopeFrom(name: string | undefined, values: Record<string, unknown>): FlushScope {
  if (values['all']) {
    if (name !== undefined || values['type'] !== undefined || values['subtree']) throw new UsageError('--all takes no NAME, --type or --subtree');
    return { kind: 'all' };
  }
  if (name === undefined) throw new UsageError('cache flush needs a NAME, or --all');
  if (values['type'] !== undefined) {
    if (values['subtree']) throw new UsageError('--type and --subtree do not go together');
    const text = values['type'] as string;
    const type = typeNumber(text.toUpperCase());
    if (type === undefined) throw new UsageError(`unknown TYPE "${text}"`);
    return { kind: 'type', name, type };
  }
  return { kind: values['subtree'] ? 'subtree' : 'name', name };
}

function describe(scope: FlushScope): string {
  switch (scope.kind) {
    case 'all':
      return 'everything';
    case 'type':
      return `${scope.name} type ${typeName(scope.type)}`;
    case 'subtree':
      return `${scope.name} and below`;
    case 'name':
      return scope.name;
  }
}
