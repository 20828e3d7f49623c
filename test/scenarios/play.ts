// Plays one scenario against the production composition (config → stack → pipeline) in memory:
// scripted servers behind the memory transport, a manual clock, wire queries in, wire replies out.

import dnsPacket from 'dns-packet';
import { Flag, OPT_CODE_EDE } from '../../src/dns/constants.ts';
import type { RR } from '../../src/dns/message.ts';
import { typeNumber } from '../../src/dns/message.ts';
import { canonicalName } from '../../src/dns/name.ts';
import { rdataText } from '../../src/dns/rdata.ts';
import { composeStack } from '../../src/cli/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { canonicalRecord } from '../../src/resolver/rrset.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { silentLogger } from '../../src/util/log.ts';
import { MemoryTransport } from '../sim/memory-transport.ts';
import type { Expectation, RecordLine, Scenario, Step } from './format.ts';
import { ScenarioWorld, type Seen } from './script.ts';

const answerCodec = (dnsPacket as unknown as { answer: { encode(rr: RR): Buffer } }).answer;
const HEADER_FLAGS: [string, number][] = [['QR', Flag.QR], ['AA', Flag.AA], ['TC', Flag.TC], ['RD', Flag.RD], ['RA', Flag.RA], ['AD', Flag.AD], ['CD', Flag.CD]];

/** The config every scenario starts from; its own `config:` keys go on top. */
function baseConfig(s: Scenario, world: ScenarioWorld): Record<string, unknown> {
  const hints = new Map<string, string[]>();
  for (const h of s.hints) hints.set(h.name, [...(hints.get(h.name) ?? []), h.address]);
  const base: Record<string, unknown> = {
    logLevel: 'silent',
    // Scenario servers sit at documentation addresses; nothing leaves the process.
    allowLocalUpstream: true,
    rootHints: [...hints].map(([name, addresses]) => ({ name, addresses })),
    dnssec: s.anchors.length > 0,
  };
  if (s.anchors.length > 0) base.trustAnchors = s.anchors.map((a) => world.anchorText(a.text, a.line));
  return merge(base, s.config);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    const nested = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof old === 'object' && old !== null && !Array.isArray(old);
    out[k] = nested ? merge(old as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Plays the scenario; resolves with the list of differences (empty: it passed). */
export async function play(s: Scenario): Promise<string[]> {
  const world = new ScenarioWorld(s);
  const clock = new ManualClock(s.now * 1000);
  const config = loadConfig({ fileConfig: baseConfig(s, world) });
  const transport = new MemoryTransport(world.network());
  const stack = await composeStack(config, silentLogger, { transport, clock });
  const problems: string[] = [];
  try {
    for (const step of s.steps) {
      if (step.kind === 'wait') clock.advance(step.seconds * 1000);
      else problems.push(...(await queryStep(stack.pipeline, world, step)));
    }
  } finally {
    await stack.close();
  }
  const unscripted = world.unscripted();
  if (unscripted.length > 0) problems.push(`unscripted upstream queries (unanswered):\n${unscripted.map(seenText).join('\n')}`);
  return problems;
}

async function queryStep(pipeline: { handle(m: Buffer, max: number | null): Promise<Buffer | undefined> }, world: ScenarioWorld, step: Extract<Step, { kind: 'query' }>): Promise<string[]> {
  const f = step.flags;
  const rd = f.get('rd') ?? true;
  const cd = f.get('cd') ?? false;
  const edns = !(f.get('noedns') ?? false);
  const qtype = typeNumber(step.qtype);
  if (qtype === undefined) return [`line ${step.line}: unknown type ${step.qtype}`];
  const query = dnsPacket.encode({
    type: 'query',
    id: 0x5ce0,
    flags: (rd ? dnsPacket.RECURSION_DESIRED : 0) | (cd ? dnsPacket.CHECKING_DISABLED : 0) | (f.get('ad') ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [{ name: step.qname, type: step.qtype as dnsPacket.RecordType, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: f.get('do') ? dnsPacket.DNSSEC_OK : 0, options: [] } as unknown as dnsPacket.Answer] : [],
  });
  const before = world.log.length;
  const bytes = await pipeline.handle(query, f.get('tcp') ? null : 1232);
  const sent = world.log.slice(before);
  const where = `line ${step.line} (query ${step.qname} ${step.qtype})`;
  if (!bytes) return [`${where}: no reply`];
  const reply = dnsPacket.decode(bytes) as dnsPacket.DecodedPacket & { rcode: string };
  const diffs = compare(reply, bytes, step.expect, world, { rd, cd });
  if (step.expect.upstream) diffs.push(...compareUpstream(step.expect.upstream, sent));
  if (diffs.length === 0) return [];
  return [`${where}:\n  ${diffs.join('\n  ')}\n  reply was:\n${present(reply, bytes)}\n  upstream queries:\n${sent.map(seenText).join('\n') || '    (none)'}`];
}

function compare(reply: dnsPacket.DecodedPacket & { rcode: string }, bytes: Buffer, x: Expectation, world: ScenarioWorld, q: { rd: boolean; cd: boolean }): string[] {
  const diffs: string[] = [];
  if (x.rcode !== undefined && reply.rcode !== x.rcode) diffs.push(`rcode ${reply.rcode}, expected ${x.rcode}`);
  const flags = flagsOf(bytes);
  // Unless the scenario says otherwise: a plain recursive reply, RD and CD echoed, no AA, no AD.
  const wanted = x.flags ?? ['QR', 'RA', ...(q.rd ? ['RD'] : []), ...(q.cd ? ['CD'] : [])];
  if ([...wanted].sort().join(' ') !== [...flags].sort().join(' ')) diffs.push(`flags ${flags.join(' ')}, expected ${wanted.join(' ')}`);
  const ede = edeOf(reply);
  const wantEde = x.ede ?? 'none';
  if (wantEde === 'none' ? ede !== undefined : ede?.code !== wantEde) {
    diffs.push(`EDE ${ede ? `${ede.code} (${ede.text})` : 'none'}, expected ${wantEde}`);
  }
  const sections = { answer: reply.answers ?? [], authority: reply.authorities ?? [], additional: (reply.additionals ?? []).filter((r) => (r.type as string) !== 'OPT') };
  for (const name of ['answer', 'authority', 'additional'] as const) {
    const want = x[name];
    if (want === 'any') continue;
    diffs.push(...compareSection(name, sections[name] as RR[], want, world));
  }
  return diffs;
}

function flagsOf(bytes: Buffer): string[] {
  const word = bytes.readUInt16BE(2);
  return HEADER_FLAGS.filter(([, bit]) => (word & bit) !== 0).map(([n]) => n);
}

function edeOf(reply: dnsPacket.DecodedPacket): { code: number; text: string } | undefined {
  const opt = (reply.additionals ?? []).find((r) => (r.type as string) === 'OPT') as unknown as { options?: { code: number; data: Buffer }[] } | undefined;
  const o = opt?.options?.find((x) => x.code === OPT_CODE_EDE);
  return o && o.data.length >= 2 ? { code: o.data.readUInt16BE(0), text: o.data.subarray(2).toString() } : undefined;
}

/** What must match: owner, TTL (when given), type and RDATA; for RRSIG the covered type and signer. */
interface Wanted {
  text: string;
  matches(rr: RR): boolean;
}

function wanted(line: RecordLine, world: ScenarioWorld): Wanted {
  const tokens = line.text.split(/\s+/);
  const ttl = /^\d+$/.test(tokens[1] ?? '') ? Number(tokens[1]) : undefined;
  const rest = tokens.slice(ttl === undefined ? 1 : 2).filter((t, i) => !(i === 0 && t.toUpperCase() === 'IN'));
  const owner = canonicalName(tokens[0]!);
  const ttlOk = (rr: RR): boolean => ttl === undefined || rr.ttl === ttl;
  if (rest[0]?.toUpperCase() === 'RRSIG') {
    // Signatures differ on every signing: "owner [ttl] RRSIG TYPE [signer]".
    const covered = rest[1]?.toUpperCase();
    const signer = rest[2] ? canonicalName(rest[2]) : undefined;
    return {
      text: line.text,
      matches: (rr) => {
        const d = rr.data as { typeCovered?: string; signersName?: string };
        return rr.type === 'RRSIG' && canonicalName(rr.name) === owner && ttlOk(rr) && d.typeCovered === covered && (signer === undefined || canonicalName(d.signersName ?? '') === signer);
      },
    };
  }
  const expected = world.record(ttl === undefined ? `${tokens[0]} 0 ${rest.join(' ')}` : line.text, line.line);
  const key = rdataKey(expected);
  return { text: line.text, matches: (rr) => rr.type === expected.type && canonicalName(rr.name) === owner && ttlOk(rr) && rdataKey(rr) === key };
}

function rdataKey(rr: RR): string {
  const c = canonicalRecord({ ...rr, name: canonicalName(rr.name), ttl: 0 } as RR);
  return answerCodec.encode(c).toString('hex');
}

function compareSection(name: string, actual: RR[], want: RecordLine[], world: ScenarioWorld): string[] {
  const left = [...actual];
  const missing: string[] = [];
  for (const line of want) {
    const w = wanted(line, world);
    const i = left.findIndex((rr) => w.matches(rr));
    if (i === -1) missing.push(w.text);
    else left.splice(i, 1);
  }
  const out = missing.map((m) => `${name}: missing ${m}`);
  out.push(...left.map((rr) => `${name}: unexpected ${recordText(rr)}`));
  return out;
}

function compareUpstream(want: RecordLine[], sent: Seen[]): string[] {
  const left = sent.map((s) => `${s.address} ${s.qname} ${s.qtype}`.toLowerCase());
  const out: string[] = [];
  for (const line of want) {
    const [address, qname, qtype] = line.text.split(/\s+/);
    const key = `${address} ${canonicalName(qname ?? '')} ${qtype}`.toLowerCase();
    const i = left.indexOf(key);
    if (i === -1) out.push(`upstream: missing ${line.text}`);
    else left.splice(i, 1);
  }
  out.push(...left.map((l) => `upstream: unexpected ${l}`));
  return out;
}

function recordText(rr: RR): string {
  const name = canonicalName(rr.name);
  return `${name === '.' ? '.' : `${name}.`} ${rr.ttl ?? 0} ${rr.type} ${rdataText(rr)}`;
}

function present(reply: dnsPacket.DecodedPacket & { rcode: string }, bytes: Buffer): string {
  const ede = edeOf(reply);
  const lines = [`    ${reply.rcode} flags: ${flagsOf(bytes).join(' ')}${ede ? ` EDE ${ede.code} (${ede.text})` : ''}`];
  const add = (title: string, rrs: dnsPacket.Answer[] | undefined): void => {
    const list = (rrs ?? []).filter((r) => (r.type as string) !== 'OPT') as RR[];
    if (list.length > 0) lines.push(`    ${title}:`, ...list.map((r) => `      ${recordText(r)}`));
  };
  add('answer', reply.answers);
  add('authority', reply.authorities);
  add('additional', reply.additionals);
  return lines.join('\n');
}

function seenText(s: Seen): string {
  return `    ${s.address} ${s.qname} ${s.qtype}${s.dnssecOk ? ' +do' : ''}${s.protocol === 'tcp' ? ' +tcp' : ''}${s.entry ? '' : '  (unscripted)'}`;
}
