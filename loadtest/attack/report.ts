// The suite's result as Markdown: the attack table, the amplification table and the issue's
// targets with pass/fail, for the README.

import { TRANSPORTS, type ProbeResult } from './probes.ts';
import type { SuiteResult } from './suite.ts';

const cell = (p: ProbeResult): string => TRANSPORTS.map((t) => `${p[t].pct}`).join(' / ');

export interface Target {
  target: string;
  figure: string;
  met: boolean;
}

/** The four targets, judged on this run. */
export function targets(r: SuiteResult): Target[] {
  const out: Target[] = [];
  const conn = r.attacks.filter((a) => a.class === 'connection');
  if (conn.length > 0) {
    let worst = { pct: 101, where: '' };
    for (const a of conn) for (const t of TRANSPORTS) if (a.during[t].pct < worst.pct) worst = { pct: a.during[t].pct, where: `${t} during ${a.id}` };
    out.push({ target: 'legitimate probes ≥ 95 % on every transport during each connection attack', figure: `worst ${worst.pct} % (${worst.where})`, met: worst.pct >= 95 });
  }
  const flood = r.attacks.find((a) => a.id === 'udp-garbage');
  if (flood) out.push({ target: 'UDP probes ≥ 95 % during a flood from one source', figure: `${flood.during.udp.pct} % (${flood.during.udp.ok}/${flood.during.udp.sent})`, met: flood.during.udp.pct >= 95 });
  for (const dnskey of r.amplification.filter((a) => a.rate !== undefined)) {
    out.push({
      target: `\`${dnskey.name} DNSKEY +DO\` at ${dnskey.rate!.toLocaleString('en')} q/s from one unverified source: ≤ 3× the bytes sent`,
      figure: `${dnskey.factor}× (${dnskey.bytesReceived.toLocaleString('en')} B back for ${dnskey.bytesSent.toLocaleString('en')} B sent; ${dnskey.replies}/${dnskey.sent} replies, ${dnskey.truncated} TC, largest ${dnskey.maxReply} B)`,
      met: dnskey.factor <= 3,
    });
  }
  if (r.outsider.length > 0) {
    out.push({
      target: 'a source outside allowFrom gets REFUSED on UDP, TCP, DoT and DoH',
      figure: r.outsider.map((c) => `${c.transport} ${c.refused}/${c.sent}`).join(', ') + (r.features.allowFrom ? '' : ' (no allowFrom in this build)'),
      met: r.outsider.every((c) => c.sent > 0 && c.refused === c.sent),
    });
  }
  const fuzz = r.attacks.find((a) => a.id === 'fuzz');
  if (fuzz && 'counters' in fuzz.report) {
    const c = fuzz.report.counters;
    out.push({
      target: '0 unparseable replies and 0 crashes in 25 M fuzzed packets',
      figure: `${c.unparseable ?? '?'} unparseable of ${c.replies ?? 0} replies, ${r.crashes} crashes, in ${fuzz.report.sent.toLocaleString('en')} packets`,
      met: c.unparseable === 0 && r.crashes === 0 && fuzz.report.sent >= 25_000_000,
    });
  }
  return out;
}

export function markdown(r: SuiteResult): string {
  const lines: string[] = [];
  lines.push(`Attack suite, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.durationS} s; probes ${r.scale.probeRate} q/s per transport (¼ uncached), answered = NOERROR/NXDOMAIN within 2 s, in % for UDP / TCP / DoT / DoH.`);
  lines.push('');
  lines.push(`Baseline (no attack): ${cell(r.baseline)}`);
  lines.push('');
  lines.push('| attack | attacker sent | probes during, % | probes after, % | max RSS MB | upstream queries | notes |');
  lines.push('|---|---:|---|---|---:|---:|---|');
  for (const a of r.attacks) {
    const rep = a.report;
    const sent = 'error' in rep ? 'error' : rep.sent.toLocaleString('en');
    const notes = 'error' in rep ? rep.error.slice(0, 80) : Object.entries(rep.counters).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ');
    lines.push(`| ${a.title} | ${sent} | ${cell(a.during)} | ${cell(a.after)} | ${a.rssMaxMb} | ${a.upstreamQueries.toLocaleString('en')} | ${a.crashed ? '**crashed**; ' : ''}${notes} |`);
  }
  if (r.amplification.length > 0) {
    lines.push('');
    lines.push('| query (EDNS 4096) | DO | rate q/s | replies / sent | TC | max reply B | bytes out / bytes in |');
    lines.push('|---|---|---:|---:|---:|---:|---:|');
    for (const a of r.amplification) {
      lines.push(`| \`${a.name} ${a.type}\` | ${a.dnssecOk ? 'yes' : 'no'} | ${(a.rate ?? r.scale.ampRate).toLocaleString('en')} | ${a.replies}/${a.sent} | ${a.truncated} | ${a.maxReply} | ${a.factor} |`);
    }
  }
  lines.push('');
  lines.push('| target | figure | met |');
  lines.push('|---|---|---|');
  for (const t of targets(r)) lines.push(`| ${t.target} | ${t.figure} | ${t.met ? 'yes' : 'no'} |`);
  return `${lines.join('\n')}\n`;
}
