// What the query log and dnstap cost the UDP hot path: a real UdpFrontend answers hot-tier hits
// (delivered as 'message' events on its socket; the send itself replaced by a no-op, so the
// kernel's share, which varies with the machine's load, does not drown the difference) with the
// observer absent, present but off, sampling 1 % and 100 % of queries, and writing dnstap; the
// baseline is the hot path without any observer check (fromHot + send, what the handler did
// before). Rounds interleave the configurations so a noisy neighbour hits them all alike; the
// fastest round of each shows its own cost (other load only ever adds), the median the typical.
// Run: npm run bench:observer [-- queriesPerRound rounds]

import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { EDNS_UDP_SIZE } from '../../src/dns/constants.ts';
import { Observer } from '../../src/operations/observer.ts';
import { HotAnswers } from '../../src/server/hot-answers.ts';
import { createPipeline, type Pipeline } from '../../src/server/pipeline.ts';
import { UdpFrontend } from '../../src/server/udp.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import dnsPacket from 'dns-packet';

const PER_ROUND = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 21);

const query = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'www.example.com', type: 'A', class: 'IN' }] });

async function pipelineWithHit(): Promise<Pipeline> {
  const hot = new HotAnswers({ maxBytes: 1 << 20, maxAgeMs: 3_600_000, prefetchPercent: 0 }, systemClock);
  const answer = [{ name: 'www.example.com', type: 'A', class: 'IN', ttl: 3600, data: '192.0.2.1' }];
  const pipeline = createPipeline({ resolve: async () => ({ kind: 'answer', answer, authority: [] }) as never, log: silentLogger, hot });
  await pipeline.handle(query, EDNS_UDP_SIZE);
  if (!pipeline.fromHot(query, EDNS_UDP_SIZE)) throw new Error('the hot tier did not take the answer');
  return pipeline;
}

async function main(): Promise<void> {
  const sink = dgram.createSocket('udp4');
  sink.on('message', () => {});
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const rinfo = { address: '127.0.0.1', port: sink.address().port, family: 'IPv4', size: query.length } as dgram.RemoteInfo;
  const pipeline = await pipelineWithHit();
  const devNull = createLogger('info', { write: () => {} });
  let sent = 0;
  const frontend = async (observer?: Observer): Promise<dgram.Socket> => {
    const f = await UdpFrontend.listen({ address: '127.0.0.1', port: 0, family: 4 }, pipeline, silentLogger, observer);
    const socket = (f as unknown as { socket: dgram.Socket }).socket;
    socket.send = (() => void sent++) as never;
    return socket;
  };
  const bare = await frontend();
  const configs: { name: string; run: () => void }[] = [
    { name: 'baseline: fromHot + send, no observer check', run: () => bare.send(pipeline.fromHot(query, EDNS_UDP_SIZE)!, rinfo.port, rinfo.address) },
  ];
  const add = async (name: string, observer?: Observer): Promise<void> => {
    const s = await frontend(observer);
    configs.push({ name, run: () => s.emit('message', query, rinfo) });
  };
  await add('no observer (undefined)');
  await add('observer off (andns serve default)', new Observer(devNull, { enabled: false, sampleRate: 0.01 }, { file: '', socket: '', identity: '' }));
  await add('query log, 1 % sampled', new Observer(devNull, { enabled: true, sampleRate: 0.01 }, { file: '', socket: '', identity: '' }));
  await add('query log, every query', new Observer(devNull, { enabled: true, sampleRate: 1 }, { file: '', socket: '', identity: '' }));
  await add('dnstap to /dev/null', new Observer(devNull, { enabled: false, sampleRate: 0 }, { file: '/dev/null', socket: '', identity: 'bench' }));

  const totals = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another configuration, so none always follows the same one.
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(k + round) % configs.length]!;
      const start = performance.now();
      for (let i = 0; i < PER_ROUND; i++) c.run();
      // Let the queued sends go out before the next configuration is timed.
      await new Promise((r) => setImmediate(r));
      const ns = ((performance.now() - start) * 1e6) / PER_ROUND;
      if (round > 0) totals.set(c.name, [...(totals.get(c.name) ?? []), ns]); // round 0 warms up
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const best = (xs: number[]): number => Math.min(...xs);
  const base = totals.get(configs[0]!.name)!;
  process.stdout.write(`UDP hot-tier hits, ${PER_ROUND} per round, ${ROUNDS - 1} rounds (node ${process.version})\n`);
  process.stdout.write(`${'configuration'.padEnd(48)} ${'fastest'.padStart(8)}          ${'median'.padStart(8)}\n`);
  for (const c of configs) {
    const xs = totals.get(c.name)!;
    const f = (v: number, b: number): string => `${v.toFixed(0).padStart(6)} ns ×${(v / b).toFixed(3)}`;
    process.stdout.write(`${c.name.padEnd(48)} ${f(best(xs), best(base))}   ${f(median(xs), median(base))}\n`);
  }
  if (sent < PER_ROUND * ROUNDS * configs.length) throw new Error(`only ${sent} replies: some query was not a hot-tier hit`);
  process.exit(0);
}

void main();
