// The control endpoint refuses what a web page or a stranger could send it: a Host that is not
// loopback (DNS rebinding), a body that is not application/json (cross-site form), other paths
// and methods, and scopes that do not parse; a good request flushes and reports the count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startControl } from '../../src/server/control.ts';
import type { FlushScope } from '../../src/shared-cache/flush.ts';
import { silentLogger } from '../../src/util/log.ts';

function request(port: number, o: { method?: string; path?: string; host?: string; type?: string; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? `127.0.0.1:${port}` };
    if (o.type) headers['content-type'] = o.type;
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'POST', path: o.path ?? '/cache/flush', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(o.body ?? '');
  });
}

test('cache_control: only a loopback Host, POST /cache/flush and a JSON scope reach the flusher', async (t) => {
  const seen: FlushScope[] = [];
  const control = await startControl({ address: '127.0.0.1', port: 0, family: 4 }, { flush: async (s) => (seen.push(s), 3) }, silentLogger);
  t.after(() => control.close());
  const port = control.address.port;
  const json = 'application/json';
  assert.equal((await request(port, { host: 'evil.example:80', type: json, body: '{"kind":"all"}' })).status, 421);
  assert.equal((await request(port, { type: 'text/plain', body: '{"kind":"all"}' })).status, 415);
  assert.equal((await request(port, { method: 'GET', type: json })).status, 405);
  assert.equal((await request(port, { path: '/other', type: json })).status, 404);
  assert.equal((await request(port, { type: json, body: '{"kind":"type","name":"a.example","type":70000}' })).status, 400);
  assert.deepEqual(seen, []);
  const ok = await request(port, { host: 'localhost:5380', type: json, body: '{"kind":"subtree","name":"Example.COM."}' });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).deleted, 3);
  assert.deepEqual(seen, [{ kind: 'subtree', name: 'example.com' }]);
});

test('cache_control: a store that cannot be reached is a 503 naming why', async (t) => {
  const control = await startControl({ address: '127.0.0.1', port: 0, family: 4 }, { flush: async () => Promise.reject(new Error('circuit open')) }, silentLogger);
  t.after(() => control.close());
  const r = await request(control.address.port, { type: 'application/json', body: '{"kind":"all"}' });
  assert.equal(r.status, 503);
  assert.match(r.body, /circuit open/);
});
