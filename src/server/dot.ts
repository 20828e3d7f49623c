// DNS over TLS (RFC 7858): the TCP front-end's framing, pipelining and limits over a TLS
// listener, with responses padded as on every encrypted transport (RFC 8467).

import tls from 'node:tls';
import { Acl, DEFAULT_ALLOW_FROM } from '../policy/acl.ts';
import type { Logger } from '../util/log.ts';
import type { ListenAddress, TcpOptions } from './options.ts';
import type { Pipeline } from './pipeline.ts';
import { streamListenOptions } from './reuse-port.ts';
import { TcpFrontend } from './tcp.ts';
import { RESPONSE_PAD_BLOCK, type TlsCredentials } from './tls.ts';

/** A handshake must finish within this long (slow or stalled clients hold no slot for longer). */
const HANDSHAKE_TIMEOUT_MS = 5_000;

export async function listenDot(at: ListenAddress, pipeline: Pipeline, options: TcpOptions, credentials: TlsCredentials, log: Logger, acl = Acl.from(DEFAULT_ALLOW_FROM)): Promise<{ frontend: TcpFrontend; close(): Promise<void> }> {
  const server = tls.createServer({
    ...credentials.secureOptions,
    // ALPN "dot" (IANA registry, RFC 7858 §3.1 era); clients that send no ALPN are served too.
    ALPNProtocols: ['dot'],
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    // No half-open TLS: with it, a client that finishes the handshake and leaves at once is never
    // handed over and its socket stays open for ever (Node 24). TLS clients end with close_notify.
    allowHalfOpen: false,
  });
  // Connection caps are the TCP front-end's table, which counts handshakes in progress too.
  server.on('tlsClientError', (err) => log.debug('dot tls handshake failed', { err: err.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(streamListenOptions(at), () => {
      server.off('error', reject);
      server.on('error', (err) => log.warn('dot listener error', { err: err.message }));
      resolve();
    });
  });
  credentials.attach(server);
  // Wrap, don't add flags (STYLE 8): the TCP code stays as it is; the pipeline it calls pads.
  const padded: Pipeline = { ...pipeline, handle: (message, maxUdpSize, _pad, source, observed, picked) => pipeline.handle(message, maxUdpSize, RESPONSE_PAD_BLOCK, source, observed, picked) };
  const frontend = TcpFrontend.over(server, 'secureConnection', padded, options, log, acl, HANDSHAKE_TIMEOUT_MS);
  return {
    frontend,
    async close() {
      credentials.detach(server);
      await frontend.close();
    },
  };
}
