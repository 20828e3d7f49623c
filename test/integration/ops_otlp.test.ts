// OTLP/HTTP export against a real receiver: a small HTTP server on loopback stands in for an
// OpenTelemetry collector and keeps what andns pushes to /v1/metrics and /v1/traces. The
// counters must carry the queries dig sent, the traces the resolutions they caused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { startAndns, simOnSockets } from '../harness/andns-processes.ts';
import { dig, haveBinary } from './frontend-process.ts';

interface Push {
  path: string;
  contentType: string;
  body: unknown;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

/** Every data point of the sum metric `name` in one OTLP/JSON metrics export, summed by its attributes. */
function sumOf(body: any, name: string, attrs: Record<string, string>): number | undefined {
  let total: number | undefined;
  for (const rm of body.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        if (m.name !== name) continue;
        for (const p of m.sum?.dataPoints ?? []) {
          const kv = Object.fromEntries((p.attributes ?? []).map((a: any) => [a.key, a.value.stringValue ?? a.value.intValue]));
          if (Object.entries(attrs).every(([k, v]) => String(kv[k]) === v)) total = (total ?? 0) + Number(p.asInt ?? p.asDouble ?? 0);
        }
      }
    }
  }
  return total;
}

test('operations: metrics and sampled traces are pushed over OTLP/HTTP to a receiver', async (t) => {
  if (!(await haveBinary('dig', '-v'))) return t.skip('dig missing');
  const pushes: Push[] = [];
  let arrived: () => void = () => {};
  const receiver = createServer(async (req, res) => {
    const raw = await bodyOf(req);
    const contentType = String(req.headers['content-type'] ?? '');
    // The exporters speak JSON here (README: "JSON encoding"); anything else fails the test.
    pushes.push({ path: req.url ?? '', contentType, body: contentType.includes('json') ? JSON.parse(raw.toString()) : raw });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    arrived();
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  t.after(() => receiver.close());
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const sim = await simOnSockets(t);
  const andns = await startAndns(t, sim, { metrics: { otlpIntervalMs: 1_000, traceSampleRatio: 1 } }, ['--otlp', url]);
  const names = sim.names.slice(0, 5);
  for (const name of names) assert.equal((await dig('dig', ['-p', String(andns.port), '@127.0.0.1', name, 'A'])).status, 'NOERROR');

  // Wait for a metrics export that has counted all five replies, and for a trace export.
  const counted = (): number | undefined => {
    let best: number | undefined;
    for (const p of pushes) {
      if (p.path !== '/v1/metrics' || typeof p.body !== 'object') continue;
      const n = sumOf(p.body, 'andns.queries', { transport: 'udp', rcode: 'NOERROR' });
      if (n !== undefined) best = Math.max(best ?? 0, n);
    }
    return best;
  };
  const deadline = Date.now() + 20_000;
  while ((counted() ?? 0) < names.length || !pushes.some((p) => p.path === '/v1/traces')) {
    assert.ok(Date.now() < deadline, `no complete export in 20 s: ${pushes.map((p) => `${p.path} ${p.contentType}`).join(', ')}`);
    await new Promise<void>((resolve) => {
      arrived = resolve;
      setTimeout(resolve, 500);
    });
  }
  assert.equal(counted(), names.length, 'the pushed counter carries exactly the replies dig got');
  const metricsPush = pushes.find((p) => p.path === '/v1/metrics')!;
  assert.match(metricsPush.contentType, /json/);
  const resource = (metricsPush.body as any).resourceMetrics[0].resource.attributes as { key: string; value: { stringValue?: string } }[];
  assert.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'andns');

  // Traces: spans of the resolutions, with client spans of upstream queries under them.
  const spans = pushes
    .filter((p) => p.path === '/v1/traces')
    .flatMap((p) => (p.body as any).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));
  assert.ok(spans.length > 0);
  const byId = new Map(spans.map((s: any) => [s.spanId, s]));
  assert.ok(spans.some((s: any) => s.parentSpanId && byId.has(s.parentSpanId)), 'upstream spans nest under their resolution');
  // No query name reaches a metric label; traces may carry them (sampled, not aggregated).
  assert.ok(!JSON.stringify(pushes.filter((p) => p.path === '/v1/metrics').map((p) => p.body)).includes(names[0]!));
});
