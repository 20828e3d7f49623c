// Reads a request body with a size cap, shared by the HTTP/1.1 and HTTP/2 adapters.

import type { Readable } from 'node:stream';

/**
 * The whole body, or undefined as soon as it grows past `max` bytes (the caller answers 413
 * and stops reading). Rejects when the client aborts the request.
 */
export function readCapped(body: Readable, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        body.pause();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Error('request aborted'));
    };
    const cleanup = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onAbort);
      body.off('close', onAbort);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onAbort);
    body.once('close', onAbort);
  });
}
