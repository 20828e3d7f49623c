// `andns nta add|remove NAME`, `andns nta list`: negative trust anchors (RFC 7646) of a running
// andns, changed without a restart; the change lasts until the process stops (put lasting ones
// in negativeTrustAnchors in the config).

import { controlCall, controlClientFlags } from './control-client.ts';
import { flagHelp, parseFlags, UsageError } from './flags.ts';

export const NTA_USAGE = 'andns nta add NAME | remove NAME | list  [--control ADDR:PORT|PATH] [--control-token FILE] [--config FILE]';
const SUMMARY = `Turns DNSSEC validation off (add) or on again (remove) at and below NAME in a running andns,
every worker included, and flushes the cached answers below NAME so the change shows at once.
Meant for a zone whose signatures broke (RFC 7646); list shows the anchors in force.`;

const flags = [...controlClientFlags, { name: 'help', type: 'boolean' as const, help: 'show this help' }];

export async function nta(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(flags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(NTA_USAGE, SUMMARY, flags));
    return 0;
  }
  const [action, name, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  let result: unknown;
  if (action === 'list') {
    if (name !== undefined) throw new UsageError('nta list takes no NAME');
    result = await controlCall(values, 'GET', '/nta');
  } else if (action === 'add' || action === 'remove') {
    if (name === undefined) throw new UsageError(`nta ${action} needs a NAME`);
    result = await controlCall(values, 'POST', `/nta/${action}`, { name });
  } else {
    throw new UsageError(action === undefined ? 'nta needs an action: add, remove or list' : `unknown nta action "${action}"`);
  }
  const { ntas } = result as { ntas: string[] };
  process.stdout.write(ntas.length === 0 ? 'no negative trust anchors\n' : `${ntas.join('\n')}\n`);
  return 0;
}
