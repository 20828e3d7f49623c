// A closed-loop UDP stub for the memory bench: keeps `concurrency` queries in flight, one socket,
// no retries (a lost query counts as a timeout and the next name goes out).

import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface PumpResult {
  sent: number;
  answered: number;
  timeouts: number;
  /** Answers by rcode number. */
  rcodes: Map<number, number>;
}

export interface PumpOptions {
  port: number;
  concurrency: number;
  timeoutMs: number;
  /** Called after every `every` answers (or timeouts), e.g. to sample RSS. */
  every?: number;
  onProgress?: (done: number) => void;
}

/** Encodes an A query with RD and EDNS DO (what a validating stub sends). */
function encodeQuery(name: string, id: number): Buffer {
  return dnsPacket.encode({
    type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
  });
}

/**
 * Sends `count` queries to 127.0.0.1:`port`, the i-th for `nameAt(i)`, at most `concurrency`
 * at a time; resolves when every one is answered or timed out, or when `until()` says stop.
 */
export async function pump(count: number, nameAt: (i: number) => string, o: PumpOptions, until: () => boolean = () => false): Promise<PumpResult> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.connect(o.port, '127.0.0.1', () => resolve());
  });
  sock.on('error', () => undefined); // ECONNREFUSED etc.: the query times out
  const pending = new Map<number, number>(); // id → deadline
  const result: PumpResult = { sent: 0, answered: 0, timeouts: 0, rcodes: new Map() };
  let next = 0;
  let nextId = 1;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const settle = (): void => {
    done++;
    if (o.every && o.onProgress && done % o.every === 0) o.onProgress(done);
    fill();
  };
  const fill = (): void => {
    while (pending.size < o.concurrency && next < count && !until()) {
      let id = nextId;
      while (pending.has(id)) id = (id % 65535) + 1;
      nextId = (id % 65535) + 1;
      pending.set(id, performance.now() + o.timeoutMs);
      sock.send(encodeQuery(nameAt(next++), id));
      result.sent++;
    }
    if (pending.size === 0) finish();
  };
  sock.on('message', (msg) => {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    if (!pending.delete(id)) return;
    result.answered++;
    const rcode = msg[3]! & 0x0f;
    result.rcodes.set(rcode, (result.rcodes.get(rcode) ?? 0) + 1);
    settle();
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [id, deadline] of pending) {
      if (deadline > now) continue;
      pending.delete(id);
      result.timeouts++;
      settle();
    }
  }, 50);
  fill();
  await finished;
  clearInterval(sweep);
  sock.close();
  return result;
}
