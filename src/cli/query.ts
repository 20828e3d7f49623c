// `andns query NAME [TYPE]`: one resolution through the same pipeline the server uses,
// printed like dig; exit status 1 on SERVFAIL or REFUSED, with the Extended DNS Error said.

import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { loadConfig } from '../config/load.ts';
import { decodeMessage, packetTypeString, typeNumber, type RR } from '../dns/message.ts';
import { createLogger } from '../util/log.ts';
import { composeStack } from './compose.ts';
import { flagHelp, overridesFrom, parseFlags, queryFlags, UsageError } from './flags.ts';
import { extendedError, presentReply } from './present.ts';

export const QUERY_USAGE = 'andns query NAME [TYPE] [--config FILE] [flags]';
const SUMMARY = `Resolves NAME (type A unless TYPE is given, e.g. AAAA, MX, TYPE65) from the root hints,
through the same pipeline as "andns serve", and prints the reply like dig. Exit status: 0 for
an answer, NODATA or NXDOMAIN; 1 for SERVFAIL or REFUSED; 2 for a usage error.`;

export async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(queryFlags, args);
  if (values['help']) {
    process.stdout.write(flagHelp(QUERY_USAGE, SUMMARY, queryFlags));
    return 0;
  }
  const [name, typeText = 'A', extra] = positionals;
  if (name === undefined) throw new UsageError('query needs a NAME');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const qtype = typeNumber(typeText);
  if (qtype === undefined) throw new UsageError(`unknown TYPE "${typeText}"`);
  const message = encodeQuery(name, qtype, values['dnssec'] === true);

  const config = loadConfig({ configFile: values['config'] as string | undefined, overrides: overridesFrom(values) });
  // Logs are for servers; a one-shot query only reports warnings and worse unless asked.
  const log = createLogger(values['log-level'] === undefined ? 'warn' : config.logLevel);
  const stack = await composeStack(config, log);
  const started = performance.now();
  try {
    // No datagram in between: take the reply whole, as over TCP, so nothing is truncated.
    const reply = await stack.pipeline.handle(message, null);
    if (reply === undefined) throw new Error('the pipeline gave no reply');
    const decoded = decodeMessage(reply) as dnsPacket.DecodedPacket & { rcode?: string };
    process.stdout.write(presentReply(decoded, performance.now() - started));
    const rcode = decoded.rcode ?? 'NOERROR';
    if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return 0;
    const ede = extendedError(decoded);
    const why = ede ? `: EDE ${ede.code} (${ede.name})${ede.text ? `: ${ede.text}` : ''}` : '';
    process.stderr.write(`andns: ${rcode}${why}\n`);
    return 1;
  } finally {
    await stack.close();
  }
}

/** A recursive query with EDNS (so an Extended DNS Error can come back), the name's case kept. */
function encodeQuery(name: string, qtype: number, dnssecOk: boolean): Buffer {
  const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as unknown as RR;
  try {
    return dnsPacket.encode({
      type: 'query',
      id: randomInt(0x10000),
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: packetTypeString(qtype) as dnsPacket.RecordType, class: 'IN' }],
      additionals: [opt],
    });
  } catch (err) {
    throw new UsageError(`"${name}" is not a domain name (${(err as Error).message})`);
  }
}
