// HTTP/1.1 adapter: a node:http server that never listens itself; the DoH listener hands it the
// connections (TLS sockets that chose http/1.1, or plain ones that did not open with the h2 preface).

import http from 'node:http';
import type { Logger } from '../util/log.ts';
import { readCapped } from './body.ts';
import { headerText } from './client.ts';
import type { DohHandler, HttpReply } from './handler.ts';
import type { DohOptions } from './options.ts';

/** Set by the listener at shutdown: every later response closes its connection. */
export interface DrainState {
  draining: boolean;
}

export function createHttp1Server(handler: DohHandler, options: DohOptions, log: Logger, state: DrainState): http.Server {
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes, // larger request heads get 431
      requestTimeout: options.requestTimeoutMs, // slow clients: the whole request, headers and body (408)
      headersTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.idleTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
    },
    (req, res) => void serve(req, res, handler, log, state),
  );
  // No bytes at all for this long (idle or stalled): the socket is destroyed.
  server.setTimeout(options.idleTimeoutMs);
  // Node starts the checker behind requestTimeout/headersTimeout when a server starts listening;
  // this one is handed its connections by our listener instead, so start it here.
  server.emit('listening');
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log.debug('doh http/1.1 client error', { code: err.code });
    // Node answers parse errors itself when no listener exists; with one we must (RFC 9112 §2.2).
    if (socket.writable && !socket.writableEnded) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, handler: DohHandler, log: Logger, state: DrainState): Promise<void> {
  res.on('error', (err) => log.debug('doh http/1.1 response error', { err: err.message }));
  let reply: HttpReply;
  try {
    reply = await handler(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        contentLength: req.headers['content-length'],
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        forwarded: req.headers['forwarded'],
        forwardedFor: headerText(req.headers['x-forwarded-for']),
      },
      (max) => readCapped(req, max),
    );
  } catch (err) {
    if (req.destroyed) return; // the client went away mid-body: nobody to answer
    log.error('doh handler bug; answering 500', { err: String((err as Error)?.stack ?? err) });
    reply = { status: 500, headers: { 'content-type': 'text/plain', 'content-length': '0' }, body: Buffer.alloc(0) };
  }
  if (res.destroyed || res.headersSent) return;
  // Node would read and discard the rest of a body we did not take (415, 413, 405), however
  // long the client makes it: close the connection instead.
  if (!req.complete || state.draining) reply.headers['connection'] = 'close';
  res.writeHead(reply.status, reply.headers);
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}
