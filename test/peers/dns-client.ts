// A minimal stub client for tests: one query over UDP (EDNS 1232), repeated over TCP when the
// reply is truncated; returns the decoded reply.

import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { randomInt } from 'node:crypto';

export interface StubQuery {
  name: string;
  type: string;
  dnssecOk?: boolean;
  checkingDisabled?: boolean;
  timeoutMs?: number;
}

function encode(q: StubQuery): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: randomInt(0, 0x10000),
    flags: dnsPacket.RECURSION_DESIRED | (q.checkingDisabled ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name: q.name, type: q.type as dnsPacket.RecordType, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: q.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as dnsPacket.Answer],
  });
}

function udp(address: string, port: number, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const t = setTimeout(() => (s.close(), reject(new Error(`UDP timeout from ${address}:${port}`))), timeoutMs);
    s.on('message', (msg) => {
      if (msg.readUInt16BE(0) !== query.readUInt16BE(0)) return;
      clearTimeout(t);
      s.close();
      resolve(msg);
    });
    s.on('error', (e) => (clearTimeout(t), s.close(), reject(e)));
    s.send(query, port, address);
  });
}

export function tcpExchange(address: string, port: number, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: address, port });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => (c.destroy(), reject(new Error(`TCP timeout from ${address}:${port}`))), timeoutMs);
    c.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      c.write(Buffer.concat([len, query]));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        c.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    c.on('error', (e) => (clearTimeout(t), reject(e)));
  });
}

export async function stubQuery(address: string, port: number, q: StubQuery): Promise<dnsPacket.DecodedPacket> {
  const query = encode(q);
  const timeoutMs = q.timeoutMs ?? 8_000;
  let reply = await udp(address, port, query, timeoutMs);
  if (reply[2]! & 0x02) reply = await tcpExchange(address, port, query, timeoutMs);
  return dnsPacket.decode(reply);
}
