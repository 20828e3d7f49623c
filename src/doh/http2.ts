// HTTP/2 adapter on node:http2's stream API (lighter than its HTTP/1 compatibility layer): a
// server that never listens itself; the DoH listener hands it TLS (ALPN h2) or h2c connections.

import http2 from 'node:http2';
import type { Logger } from '../util/log.ts';
import { readCapped } from './body.ts';
import { headerText } from './client.ts';
import type { DohHandler, HttpReply } from './handler.ts';
import type { DohOptions } from './options.ts';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

export function createHttp2Server(handler: DohHandler, options: DohOptions, log: Logger): http2.Http2Server {
  const server = http2.createServer({
    settings: {
      // RFC 9113 §6.5.2: requests at once on one connection; more are refused by the client's stack.
      maxConcurrentStreams: options.maxConcurrentStreams,
      maxHeaderListSize: options.maxHeaderBytes,
    },
    maxSessionMemory: 16, // MB of nghttp2 state per session before new streams are refused
  });
  server.on('session', (session) => {
    session.on('error', (err) => log.debug('doh http/2 session error', { err: err.message }));
    // No frame for this long, with or without open streams: GOAWAY and close (RFC 9113 §9.1).
    session.setTimeout(options.idleTimeoutMs, () => session.close());
  });
  server.on('stream', (stream, headers, _flags, rawHeaders: string[]) => {
    // SETTINGS_MAX_HEADER_LIST_SIZE is only advisory to the peer (RFC 9113 §6.5.2) and nghttp2
    // accepts larger lists, so enforce it here, counted as that section defines it: name and
    // value octets plus 32 per field. 431 as HTTP/1.1 answers (RFC 6585 §5).
    if (headerListSize(rawHeaders) > options.maxHeaderBytes) {
      const s = stream as http2.ServerHttp2Stream;
      s.on('error', (err) => log.debug('doh http/2 stream error', { err: err.message }));
      send(s, { status: 431, headers: { 'content-length': '0', 'cache-control': 'no-store' }, body: Buffer.alloc(0) }, true);
      s.close(NGHTTP2_NO_ERROR);
      return;
    }
    void serve(stream as http2.ServerHttp2Stream, headers, handler, options, log);
  });
  return server;
}

function headerListSize(raw: string[]): number {
  let size = 0;
  for (let i = 0; i < raw.length; i++) size += Buffer.byteLength(raw[i]!) + (i % 2 === 0 ? 32 : 0);
  return size;
}

async function serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, handler: DohHandler, options: DohOptions, log: Logger): Promise<void> {
  stream.on('error', (err) => log.debug('doh http/2 stream error', { err: err.message }));
  // Slow clients: the request (headers and body) must be in within requestTimeoutMs.
  let received = stream.endAfterHeaders;
  const deadline = setTimeout(() => {
    if (received) return;
    if (!stream.headersSent && !stream.destroyed) send(stream, { status: 408, headers: {}, body: Buffer.alloc(0) }, true);
    stream.close(NGHTTP2_CANCEL);
  }, options.requestTimeoutMs);
  const method = String(headers[':method'] ?? 'GET');
  let reply: HttpReply;
  try {
    reply = await handler(
      {
        method,
        url: String(headers[':path'] ?? '/'),
        accept: headers.accept,
        contentType: headers['content-type'],
        contentLength: headers['content-length'],
        remoteAddress: stream.session?.socket?.remoteAddress,
        remotePort: stream.session?.socket?.remotePort,
        forwarded: headerText(headers['forwarded']),
        forwardedFor: headerText(headers['x-forwarded-for']),
      },
      async (max) => {
        const body = await readCapped(stream, max);
        received = body !== undefined;
        return body;
      },
    );
  } catch (err) {
    if (stream.destroyed) return; // reset or timed out mid-body: nobody to answer
    log.error('doh handler bug; answering 500', { err: String((err as Error)?.stack ?? err) });
    reply = { status: 500, headers: {}, body: Buffer.alloc(0) };
  } finally {
    clearTimeout(deadline);
  }
  send(stream, reply, method === 'HEAD');
  // RFC 9113 §8.1: after a full response, RST_STREAM(NO_ERROR) tells a client still sending to stop.
  if (!received && !stream.endAfterHeaders && !stream.destroyed) stream.close(NGHTTP2_NO_ERROR);
}

function send(stream: http2.ServerHttp2Stream, reply: HttpReply, headOnly: boolean): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  // Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2).
  const { connection: _connection, ...headers } = reply.headers;
  const empty = headOnly || reply.body.length === 0;
  stream.respond({ ':status': reply.status, ...headers }, { endStream: empty });
  if (!empty) stream.end(reply.body);
}
