// Fuzzed client packets: valid queries mutated in the ways parsers get wrong (bit flips,
// truncation, compression pointers in the question, bad EDNS option lengths, arbitrary label
// octets, trailing bytes, random tails), over UDP and TCP; every reply must parse.

import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { AttackReport, AttackSpec } from '../spec.ts';
import { connectedUdp, pump } from './pump.ts';

type Spec = Extract<AttackSpec, { kind: 'fuzz' }>;

/** xorshift32: a seeded stream, so a failing packet can be regenerated from the seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const BASE = [
  // www.example. A, RD, with OPT (DO) and a COOKIE option (an 8-octet client cookie)
  '000001000001000000000001' + '03777777076578616d706c6500' + '00010001' + '000029100000008000000c' + '000a0008' + '0102030405060708',
  // . DNSKEY, RD, OPT with DO
  '000001000001000000000001' + '00' + '00300001' + '0000291000000080000000',
  // a.b.c. TXT, no EDNS
  '000001000001000000000000' + '01610162016300' + '00100001',
].map((h) => Buffer.from(h, 'hex'));

/** One fuzzed packet from the stream `r`. */
export function fuzzPacket(r: () => number): Buffer {
  const base = BASE[r() % BASE.length]!;
  const p = Buffer.from(base);
  switch (r() % 9) {
    case 0: // bit flips
      for (let n = 1 + (r() % 8); n > 0; n--) {
        const at = r() % p.length;
        p[at] = p[at]! ^ (1 << (r() % 8));
      }
      return p;
    case 1: // truncated anywhere
      return p.subarray(0, r() % p.length);
    case 2: { // a compression pointer in the question, into the header or at itself
      const at = 12 + (r() % 4);
      p[at] = 0xc0 | (r() % 4);
      p[at + 1] = r() % 24;
      return p;
    }
    case 3: { // trailing garbage after the message
      const tail = Buffer.alloc(1 + (r() % 40));
      for (let i = 0; i < tail.length; i++) tail[i] = r() & 0xff;
      return Buffer.concat([p, tail]);
    }
    case 4: { // any octet in a label (RFC 2181 §11)
      if (base === BASE[0]) p[13 + (r() % 3)] = r() & 0xff;
      return p;
    }
    case 5: { // EDNS option lengths that lie
      const opt = p.indexOf(Buffer.from([0x00, 0x0a]), 30);
      if (opt > 0) p.writeUInt16BE(r() % 64, opt + 2);
      else if (p.length > 2) p.writeUInt16BE(r() & 0xffff, p.length - 2);
      return p;
    }
    case 6: // header counts that lie
      p.writeUInt16BE(r() % 4, 4);
      p.writeUInt16BE(r() % 3, 6);
      p.writeUInt16BE(r() % 3, 8);
      p.writeUInt16BE(r() % 3, 10);
      return p;
    case 7: { // random opcode/flags/rcode
      p[2] = r() & 0xff;
      p[3] = r() & 0xff;
      return p;
    }
    default: { // pure noise of a plausible size
      const n = Buffer.alloc(r() % 600);
      for (let i = 0; i < n.length; i++) n[i] = r() & 0xff;
      return n;
    }
  }
}

/** True when `reply` is a DNS message an independent decoder can read, with QR set. */
export function parses(reply: Buffer): boolean {
  if (reply.length < 12 || (reply[2]! & 0x80) === 0) return false;
  try {
    dnsPacket.decode(reply);
    return true;
  } catch {
    return false;
  }
}

export async function fuzz(s: Spec): Promise<AttackReport> {
  const r = prng(s.seed);
  const counters = { udpSent: 0, tcpSent: 0, replies: 0, unparseable: 0, tcpCloses: 0 };
  const bad: string[] = [];
  const check = (reply: Buffer): void => {
    counters.replies++;
    if (!parses(reply)) {
      counters.unparseable++;
      if (bad.length < 5) bad.push(reply.toString('hex').slice(0, 120));
    }
  };
  const socket = await connectedUdp(s);
  socket.on('message', check);
  const tcpEvery = s.tcpShare > 0 ? Math.max(1, Math.round(1 / s.tcpShare)) : Infinity;
  let tcp: net.Socket | undefined;
  let carry = Buffer.alloc(0);
  const tcpSend = (p: Buffer): void => {
    if (!tcp || tcp.destroyed) {
      counters.tcpCloses += tcp ? 1 : 0;
      carry = Buffer.alloc(0);
      tcp = net.connect({ host: s.host, port: s.port, localAddress: s.source });
      tcp.on('error', () => {});
      tcp.on('data', (chunk: Buffer) => {
        carry = Buffer.concat([carry, chunk]);
        while (carry.length >= 2 && carry.length >= 2 + carry.readUInt16BE(0)) {
          check(carry.subarray(2, 2 + carry.readUInt16BE(0)));
          carry = carry.subarray(2 + carry.readUInt16BE(0));
        }
      });
    }
    const frame = Buffer.alloc(2 + p.length);
    frame.writeUInt16BE(p.length, 0);
    p.copy(frame, 2);
    tcp.write(frame);
  };
  const sent = await pump(s.durationS, s.maxPackets, Infinity, (k) => {
    const p = fuzzPacket(r);
    if (k % tcpEvery === tcpEvery - 1) {
      counters.tcpSent++;
      tcpSend(p);
    } else {
      counters.udpSent++;
      socket.send(p);
    }
  });
  await new Promise((res) => setTimeout(res, 500));
  socket.close();
  (tcp as net.Socket | undefined)?.destroy();
  return { sent, received: counters.replies, counters, ...(bad.length ? { samples: bad } : {}) } as AttackReport;
}
