// Reads andns's start-up lines (JSON objects with msg "listening" on stdout) from a process's output so far.

export interface Listening {
  transports: string[];
  listen: string;
  address?: string;
  port?: number;
  url?: string;
  detail?: string;
}

/** Every complete JSON line with msg "listening"; anything else on stdout fails the test. */
export function listeningLines(out: string): Listening[] {
  const lines = out.split('\n');
  lines.pop(); // the last piece has no newline yet
  return lines.filter((l) => l.trim() !== '').map((l) => {
    const record = JSON.parse(l) as { msg?: string } & Listening;
    if (record.msg !== 'listening') throw new Error(`unexpected line on stdout: ${l}`);
    return record;
  });
}

/** The port of the first listener with this transport (and address), or 0. */
export function portOf(out: string, transport: string, address = '127.0.0.1'): number {
  return listeningLines(out).find((l) => l.transports.includes(transport) && l.address === address)?.port ?? 0;
}
