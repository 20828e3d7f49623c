// A tiny RESP2 client for the test harness: one command, one reply, over a fresh loopback socket,
// so starting and probing redis-server needs neither redis-cli nor the client under test.

import { connect } from 'node:net';

export type Reply = string | number | null | Reply[] | Error;

/** Sends one command to 127.0.0.1:port; resolves its reply (error replies as Error values). */
export function command(port: number, args: (string | number)[], timeoutMs = 1000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`redis :${port} ${args[0]}: no reply in ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, reply?: Reply): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => {
      const parts = args.map(String);
      socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      try {
        const parsed = parse(data, 0);
        if (parsed) finish(undefined, parsed.reply);
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

/** One reply starting at `at`, or undefined when more bytes are needed. */
function parse(buf: Buffer, at: number): { reply: Reply; end: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) return undefined;
  const line = buf.toString('utf8', at + 1, eol);
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return { reply: line, end: eol + 2 };
    case '-':
      return { reply: new Error(line), end: eol + 2 };
    case ':':
      return { reply: Number(line), end: eol + 2 };
    case '$': {
      const n = Number(line);
      if (n < 0) return { reply: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return undefined;
      return { reply: buf.toString('utf8', eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { reply: null, end: eol + 2 };
      const items: Reply[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.reply);
        next = item.end;
      }
      return { reply: items, end: next };
    }
    default:
      throw new Error(`unexpected RESP byte ${buf[at]}`);
  }
}
