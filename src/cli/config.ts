// `andns config check FILE` proves a config file loads (every key, and the files it names)
// without starting a server; `andns config schema` prints the config's JSON Schema.

import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../config/json-schema.ts';
import { readToken } from '../config/control.ts';
import { MEMORY_TIERS, type MemoryPlan } from '../config/memory.ts';
import { loadConfig } from '../config/load.ts';
import { formatListen } from '../config/listen.ts';
import { TlsCredentials } from '../server/tls.ts';
import { silentLogger } from '../util/log.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const CONFIG_USAGE = 'andns config check FILE | andns config schema [--output FILE]';
const SUMMARY = `check: loads FILE (JSON, or YAML when it ends in .yaml/.yml) as andns serve --config FILE would,
reading the root hints, trust anchors, TLS and control token files it names, and exits 0 when it is good or 1 naming
the first bad key. Nothing is started and nothing is sent. schema: prints the JSON Schema of the
config file (also shipped as dist/andns.config.schema.json).`;

const configFlags = [
  { name: 'output', type: 'string' as const, value: 'FILE', help: 'schema: write it to FILE instead of stdout', default: 'stdout' },
  { name: 'help', type: 'boolean' as const, help: 'show this help' },
];

export async function config(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(configFlags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(CONFIG_USAGE, SUMMARY, configFlags));
    return 0;
  }
  const [action, file, extra] = positionals;
  switch (action) {
    case 'check': {
      if (file === undefined) throw new UsageError('config check needs a FILE');
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
      if (values['output'] !== undefined) throw new UsageError('--output goes with config schema');
      return check(file);
    }
    case 'schema': {
      if (file !== undefined) throw new UsageError(`config schema takes no argument (got "${file}")`);
      const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
      const output = values['output'] as string | undefined;
      if (output === undefined) process.stdout.write(text);
      else writeFileSync(output, text);
      return 0;
    }
    case undefined:
      throw new UsageError('config needs an action: check or schema');
    default:
      throw new UsageError(`unknown config action "${action}"`);
  }
}

/** Throws ConfigError (exit 1, the key named) on the first problem; prints a summary when good. */
function check(file: string): number {
  const c = loadConfig({ configFile: file });
  // serve reads these at start: a certificate that does not match its key must fail here too.
  if (c.server.tls) TlsCredentials.load(c.server.tls, silentLogger).close();
  // The control endpoint reads its token file when it opens: refuse a missing or loose one here.
  if (c.control?.tokenFile) readToken(c.control.tokenFile, 'control.tokenFile');
  const listens = c.server.listen.map(formatListen).join(', ');
  process.stdout.write(`${file}: ok (listen ${listens}; root hints ${c.rootHintsOrigin}; DNSSEC ${c.validation ? 'on' : 'off'}; ${c.workers} worker${c.workers === 1 ? '' : 's'})\n`);
  process.stdout.write(`${memoryLine(c.memory)}\n`);
  return 0;
}

const MIB = 1024 * 1024;

/** How the memory budget is split, so an operator sees what each tier gets (README, Memory). */
export function memoryLine(m: MemoryPlan): string {
  const mib = (n: number): string => `${(n / MIB).toFixed(1)} MiB`;
  const tiers = MEMORY_TIERS.filter((t) => m.tiers[t] > 0).map((t) => `${t} ${mib(m.tiers[t])}${m.overridden.includes(t) ? ' (override)' : ''}`);
  const per = m.workers > 1 ? `, ${mib(m.processBytes)} per worker` : '';
  return `memory: budget ${mib(m.budgetBytes)} (${m.mode}${per}): ${tiers.join(', ')}`;
}
