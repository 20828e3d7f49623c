// The attacker's worker thread: runs one attack from workerData and posts its report, so the
// flood never shares an event loop with the probes or the simulated internet.

import { parentPort, workerData } from 'node:worker_threads';
import type { AttackReport, AttackSpec } from './spec.ts';
import { amplification } from './attacks/amplification.ts';
import { fuzz } from './attacks/fuzz.ts';
import { randomSubdomain } from './attacks/random-subdomain.ts';
import { rapidReset } from './attacks/rapid-reset.ts';
import { slowDrip } from './attacks/slow-drip.ts';
import { udpGarbage } from './attacks/udp-garbage.ts';

export function runAttack(spec: AttackSpec): Promise<AttackReport> {
  switch (spec.kind) {
    case 'udp-garbage':
      return udpGarbage(spec);
    case 'random-subdomain':
      return randomSubdomain(spec);
    case 'slow-drip':
      return slowDrip(spec);
    case 'rapid-reset':
      return rapidReset(spec);
    case 'amplification':
      return amplification(spec);
    case 'fuzz':
      return fuzz(spec);
  }
}

if (parentPort && workerData) {
  const port = parentPort;
  runAttack(workerData as AttackSpec).then(
    (report) => port.postMessage({ report }),
    (err: Error) => port.postMessage({ error: String(err.stack ?? err) }),
  );
}
