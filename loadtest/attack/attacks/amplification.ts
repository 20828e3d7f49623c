// The amplification table: for each query (name, type, with and without DO), one source sends it
// at a fixed rate and counts the bytes it sends and the bytes the resolver sends back (the
// gain a reflector would give an attacker spoofing that source, RFC 5358).

import type { AmpRow, AttackReport, AttackSpec } from '../spec.ts';
import { QueryTable } from '../../workload/query-table.ts';
import { connectedUdp, pump } from './pump.ts';

export async function amplification(s: Extract<AttackSpec, { kind: 'amplification' }>): Promise<AttackReport> {
  const rows: AmpRow[] = [];
  for (const q of s.queries) {
    const table = new QueryTable([{ name: q.name, type: q.type }], { ednsUdpSize: q.udpSize, dnssecOk: q.dnssecOk });
    const query = table.query(0);
    const socket = await connectedUdp(s);
    const row: AmpRow = { ...q, sent: 0, replies: 0, truncated: 0, bytesSent: 0, bytesReceived: 0, factor: 0, maxReply: 0 };
    socket.on('message', (msg) => {
      row.replies++;
      row.bytesReceived += msg.length;
      row.maxReply = Math.max(row.maxReply, msg.length);
      if (msg.length >= 4 && (msg[2]! & 0x02) !== 0) row.truncated++;
    });
    // One copy per ID slot: a queued send is never patched under the kernel's feet.
    const copies = Array.from({ length: 4096 }, (_, id) => {
      const b = Buffer.from(query);
      b.writeUInt16BE(id, 0);
      return b;
    });
    row.sent = await pump(q.durationS ?? s.durationS, Infinity, q.rate ?? s.rate, (k) => socket.send(copies[k & 4095]!));
    row.bytesSent = row.sent * query.length;
    await new Promise((r) => setTimeout(r, 300)); // the last replies
    socket.close();
    row.factor = row.bytesSent === 0 ? 0 : Math.round((row.bytesReceived / row.bytesSent) * 100) / 100;
    rows.push(row);
  }
  const sent = rows.reduce((n, r) => n + r.sent, 0);
  const received = rows.reduce((n, r) => n + r.replies, 0);
  return { sent, received, counters: {}, amplification: rows };
}
