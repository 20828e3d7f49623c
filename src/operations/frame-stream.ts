// Frame Streams (the fstrm protocol dnstap travels in): a file written unidirectionally
// (START, data frames, STOP), or a Unix socket to a collector with the bidirectional
// handshake (READY → ACCEPT, START … STOP → FINISH). Never blocks serving: frames queue up
// to a bound and the excess is counted and dropped; a lost collector is reconnected.

import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../util/log.ts';

export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

const CONTROL_ACCEPT = 0x01;
const CONTROL_START = 0x02;
const CONTROL_STOP = 0x03;
const CONTROL_READY = 0x04;
const CONTROL_FINISH = 0x05;
const FIELD_CONTENT_TYPE = 0x01;

/** Bytes queued for the file or the socket before frames are dropped. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const RECONNECT_MS = 2_000;

/** A control frame: the escape (a zero length), its length, its type and fields. */
export function controlFrame(type: number, contentType?: string): Buffer {
  const field = contentType === undefined ? Buffer.alloc(0) : Buffer.concat([u32(FIELD_CONTENT_TYPE), u32(Buffer.byteLength(contentType)), Buffer.from(contentType)]);
  return Buffer.concat([u32(0), u32(4 + field.length), u32(type), field]);
}

export function dataFrame(payload: Buffer): Buffer {
  return Buffer.concat([u32(payload.length), payload]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export interface FrameSink {
  write(payload: Buffer): void;
  /** Frames dropped because the reader could not keep up or was away. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** Frame Streams to a file, truncated at start (as `unbound`'s and `knotd`'s dnstap files are). */
export function fileSink(path: string, log: Logger): FrameSink {
  const out: WriteStream = createWriteStream(path, { flags: 'w', mode: 0o640 });
  out.on('error', (err) => log.error('dnstap file error', { path, err: err.message }));
  out.write(controlFrame(CONTROL_START, DNSTAP_CONTENT_TYPE));
  let dropped = 0;
  return {
    get dropped() {
      return dropped;
    },
    write(payload) {
      if (out.writableLength > MAX_QUEUED_BYTES || out.destroyed) {
        dropped++;
        return;
      }
      out.write(dataFrame(payload));
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (out.destroyed) return resolve();
        out.end(controlFrame(CONTROL_STOP), () => resolve());
      }),
  };
}

/** Frame Streams to a collector's Unix socket (fstrm_capture -u, dnstap -u), reconnecting. */
export function socketSink(path: string, log: Logger): FrameSink {
  let socket: net.Socket | undefined;
  let started = false;
  let closing = false;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let reply = Buffer.alloc(0);

  const connect = (): void => {
    timer = undefined;
    if (closing) return;
    const s = net.connect(path);
    socket = s;
    started = false;
    reply = Buffer.alloc(0);
    s.on('connect', () => s.write(controlFrame(CONTROL_READY, DNSTAP_CONTENT_TYPE)));
    s.on('data', (chunk: Buffer) => {
      if (started) return;
      reply = Buffer.concat([reply, chunk]);
      // The collector's ACCEPT: escape, length, type (and the content types it takes).
      if (reply.length < 12) return;
      const length = reply.readUInt32BE(4);
      if (reply.length < 8 + length) return;
      if (reply.readUInt32BE(0) !== 0 || reply.readUInt32BE(8) !== CONTROL_ACCEPT || !reply.subarray(12, 8 + length).includes(DNSTAP_CONTENT_TYPE)) {
        log.error('dnstap collector did not accept protobuf:dnstap.Dnstap', { path });
        s.destroy();
        return;
      }
      s.write(controlFrame(CONTROL_START, DNSTAP_CONTENT_TYPE));
      started = true;
      log.info('dnstap collector connected', { path });
    });
    s.on('error', (err: NodeJS.ErrnoException) => log.warn('dnstap collector unreachable', { path, err: err.code ?? err.message }));
    s.on('close', () => {
      if (socket === s) socket = undefined;
      started = false;
      if (!closing && !timer) {
        timer = setTimeout(connect, RECONNECT_MS);
        timer.unref();
      }
    });
  };
  connect();

  return {
    get dropped() {
      return dropped;
    },
    write(payload) {
      if (!socket || !started || socket.writableLength > MAX_QUEUED_BYTES) {
        dropped++;
        return;
      }
      socket.write(dataFrame(payload));
    },
    close: async () => {
      closing = true;
      if (timer) clearTimeout(timer);
      const s = socket;
      if (!s) return;
      if (!started) {
        s.destroy();
        return;
      }
      // STOP, then wait (briefly) for the collector's FINISH before closing.
      await new Promise<void>((resolve) => {
        const done = setTimeout(() => (s.destroy(), resolve()), 1_000);
        s.once('close', () => (clearTimeout(done), resolve()));
        s.on('data', (chunk: Buffer) => {
          if (chunk.length >= 12 && chunk.readUInt32BE(8) === CONTROL_FINISH) s.end();
        });
        s.write(controlFrame(CONTROL_STOP));
      });
    },
  };
}
