#!/usr/bin/env node
// `npm run attack`: starts the stage, runs the attack suite (bounded in count and time, loopback
// only), prints the Markdown tables and writes the JSON result.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL, QUICK, type Scale } from './plan.ts';
import { markdown } from './report.ts';
import { startStage } from './stage.ts';
import { runSuite } from './suite.ts';

const USAGE = `usage: npm run attack -- [--quick] [--only ID,…] [--andns PATH] [--fuzz-packets N] [--fuzz-seconds S] [--out DIR]

Attacks one andns (started here, on loopback, in front of a signed simulated internet) as a
hostile client would, and measures legitimate probes on UDP, TCP, DoT and DoH during and after
each attack, the resolver's RSS and the upstream queries each attack caused.
  --quick            tiny counts (the smoke test; a few seconds per attack)
  --only IDS         e.g. udp-garbage,subdomain,slow-drip,churn,h2-rapid-reset,fuzz,amplification,open-resolver
  --andns PATH       the andns CLI to attack (default: this build's dist/src/cli/andns.js)
  --fuzz-packets N   fuzzed packets (default ${FULL.fuzzPackets}); --fuzz-seconds S bounds the time (default ${FULL.fuzzS})
  --out DIR          write attack-<time>.json and .md there (default: loadtest/docs/attack)
`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' }, only: { type: 'string' }, andns: { type: 'string' }, 'fuzz-packets': { type: 'string' },
      'fuzz-seconds': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) return void process.stdout.write(USAGE);
  const scale: Scale = { ...(values.quick ? QUICK : FULL) };
  if (values['fuzz-packets']) scale.fuzzPackets = positive('--fuzz-packets', values['fuzz-packets']);
  if (values['fuzz-seconds']) scale.fuzzS = positive('--fuzz-seconds', values['fuzz-seconds']);
  const stage = await startStage({ ...(values.andns ? { andnsPath: values.andns } : {}) });
  try {
    const result = await runSuite(stage, { scale, ...(values.only ? { only: values.only.split(',') } : {}), log: (l) => process.stderr.write(`${l}\n`) });
    const md = markdown(result);
    process.stdout.write(md);
    const dir = values.out ?? 'loadtest/docs/attack';
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `attack-${result.startedAt.slice(0, 16).replace(/[:T]/g, '-')}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(`${base}.md`, md);
    process.stderr.write(`wrote ${base}.json and .md\n`);
  } finally {
    await stage.close();
  }
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} ${v}: expected a positive number`);
  return n;
}

// Exit explicitly: an attacker thread that ignored terminate() must not keep the run alive.
main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: Error) => {
    process.stderr.write(`attack: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
