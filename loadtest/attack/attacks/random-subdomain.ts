// Random-subdomain ("water torture") flood: never-seen names under one zone at a fixed rate from
// one source, through the load engine; every name is a cache miss unless the resolver can deny
// it from validated NSEC/NSEC3 (RFC 8198) or limits the source.

import { runLoad } from '../../engine/run.ts';
import { fileWorkload } from '../../workload/workload.ts';
import type { AttackReport, AttackSpec } from '../spec.ts';
import { randomLabel } from '../random.ts';

export async function randomSubdomain(s: Extract<AttackSpec, { kind: 'random-subdomain' }>): Promise<AttackReport> {
  const count = Math.max(1, Math.ceil(s.rate * s.durationS));
  const specs = Array.from({ length: count }, (_, i) => ({ name: `${randomLabel(10)}${i.toString(36)}.${s.zone}`, type: 'A' }));
  const r = await runLoad(
    {
      label: 'random-subdomain', host: s.host, port: s.port, transport: 'udp', mode: 'open', rate: s.rate, concurrency: 1,
      durationS: s.durationS, maxQueries: count, timeoutMs: 2000, channels: 4, insecure: true,
      doh: { path: '/dns-query', method: 'POST', scheme: 'https' }, pids: [], progress: false, localAddress: s.source,
    },
    { ...fileWorkload(specs, `random names under ${s.zone}`, { ednsUdpSize: 1232, dnssecOk: s.dnssecOk }), uniqueTail: true },
  );
  const counters: Record<string, number> = { timeouts: r.totals.timeouts };
  for (const [k, v] of Object.entries(r.totals.rcodes)) if (v > 0) counters[k] = v;
  return { sent: r.totals.sent, received: r.totals.answered, counters };
}
