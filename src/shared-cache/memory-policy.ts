// At start, asks each master how its memory is bounded and warns when it is not: a cache whose
// keys only ever leave by TTL grows with the number of distinct names asked (README, Redis).

import type { Redis } from 'ioredis';
import type { Logger } from '../util/log.ts';

export interface MemoryPolicy {
  node: string;
  maxmemory: number;
  policy: string;
}

/** CONFIG GET first; where an ACL refuses it (managed Redis often does), INFO memory says the same. */
export async function readMemoryPolicy(node: Redis): Promise<MemoryPolicy | undefined> {
  const name = `${node.options.host}:${node.options.port}`;
  try {
    const reply = (await node.call('CONFIG', 'GET', 'maxmemory*')) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(reply[i]!, reply[i + 1]!);
    const maxmemory = fields.get('maxmemory');
    if (maxmemory !== undefined) return { node: name, maxmemory: Number(maxmemory), policy: fields.get('maxmemory-policy') ?? 'unknown' };
  } catch {
    // NOPERM or an unknown (renamed) command: try INFO.
  }
  try {
    const info = String(await node.call('INFO', 'memory'));
    const max = /^maxmemory:(\d+)/m.exec(info)?.[1];
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    if (max !== undefined) return { node: name, maxmemory: Number(max), policy: policy ?? 'unknown' };
  } catch {
    // Refused as well: nothing to say.
  }
  return undefined;
}

/** Logs one warning naming the masters with no memory bound or a policy that cannot evict. */
export async function checkMemoryPolicy(masters: Redis[], log: Logger): Promise<MemoryPolicy[]> {
  const found = (await Promise.all(masters.map((m) => readMemoryPolicy(m).catch(() => undefined)))).filter((p): p is MemoryPolicy => p !== undefined);
  if (found.length === 0) {
    if (masters.length > 0) log.info('redis memory policy unknown (CONFIG GET and INFO refused); set maxmemory and an eviction policy (README, Redis)');
    return found;
  }
  const unbounded = found.filter((p) => p.maxmemory === 0).map((p) => p.node);
  if (unbounded.length > 0) {
    log.warn('redis has no maxmemory: the shared cache grows with every distinct name until the host runs out; set maxmemory and maxmemory-policy volatile-ttl (README, Redis)', { nodes: unbounded });
  }
  const noEviction = found.filter((p) => p.maxmemory > 0 && p.policy === 'noeviction').map((p) => p.node);
  if (noEviction.length > 0) {
    log.warn('redis maxmemory-policy is noeviction: once full, every cache write fails; use volatile-ttl or allkeys-lru (README, Redis)', { nodes: noEviction });
  }
  return found;
}
