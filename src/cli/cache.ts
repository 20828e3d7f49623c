// `andns cache flush NAME [--type T] [--subtree] | --all`: asks a running andns, through its
// control endpoint, to flush the shared cache and every front-end's hot tiers.

import http from 'node:http';
import { parseListen } from '../config/listen.ts';
import { typeNumber } from '../dns/message.ts';
import type { FlushScope } from '../shared-cache/flush.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const CACHE_USAGE = 'andns cache flush NAME [--type T] [--subtree] | --all  [--control ADDR:PORT]';
const SUMMARY = `Flushes a running andns's cache: the name (every type, or one with --type), the name and
everything below it (--subtree), or everything (--all). The shared store drops the keys and every
front-end on it drops its in-memory copies within a second. The server must run with a control
endpoint (control.listen, --control).`;

/** The control endpoint's conventional address (as in the README's example). */
const DEFAULT_CONTROL = '127.0.0.1:5380';

const cacheFlags = [
  { name: 'type', type: 'string' as const, value: 'T', help: 'flush only this type at NAME (A, AAAA, TYPE65…)', default: 'every type' },
  { name: 'subtree', type: 'boolean' as const, help: 'flush NAME and every name below it', default: 'off' },
  { name: 'all', type: 'boolean' as const, help: 'flush everything', default: 'off' },
  { name: 'control', type: 'string' as const, value: 'ADDR:PORT', help: 'control endpoint of the running andns', default: DEFAULT_CONTROL },
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
  const at = parseListen((values['control'] as string | undefined) ?? DEFAULT_CONTROL);
  if (!at) throw new UsageError(`--control: "${String(values['control'])}" is not ADDR:PORT`);
  const host = at.family === 6 ? `[${at.address}]` : at.address;
  const { status, body } = await post(`http://${host}:${at.port}/cache/flush`, JSON.stringify(scope));
  if (status === 200) {
    const deleted = (JSON.parse(body) as { deleted: number }).deleted;
    process.stdout.write(`flushed ${describe(scope)}: ${deleted} shared-cache key${deleted === 1 ? '' : 's'} deleted\n`);
    return 0;
  }
  process.stderr.write(`andns: flush failed (HTTP ${status}): ${body.trim()}\n`);
  return 1;
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
      return `${scope.name} type ${scope.type}`;
    case 'subtree':
      return `${scope.name} and below`;
    case 'name':
      return scope.name;
  }
}

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 20_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from the control endpoint')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new CacheCommandError(`cannot reach the control endpoint at ${url}: ${err.code ?? err.message}`)));
    req.end(body);
  });
}

export class CacheCommandError extends Error {
  override name = 'CacheCommandError';
}
