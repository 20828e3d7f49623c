// The control endpoint refuses what a web page or a stranger could send it: no token or a wrong
// one (401), a Host that is not loopback (DNS rebinding), a body that is not application/json
// (cross-site form), other paths and methods, scopes that do not parse, and more requests than
// its rate allows; over a Unix socket the socket's mode decides. Token files others can read are refused.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/check.ts';
import { readToken } from '../../src/config/control.ts';
import { startControl, type ControlActions } from '../../src/operations/control-server.ts';
import type { FlushScope } from '../../src/shared-cache/flush.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';

const TOKEN = 'a'.repeat(40);

interface Req { method?: string; path?: string; host?: string; type?: string; body?: string; token?: string; socketPath?: string }

function request(port: number, o: Req): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? `127.0.0.1:${port}` };
    if (o.type) headers['content-type'] = o.type;
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    const where = o.socketPath ? { socketPath: o.socketPath } : { host: '127.0.0.1', port };
    const req = http.request({ ...where, method: o.method ?? 'POST', path: o.path ?? '/cache/flush', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(o.body ?? '');
  });
}

function actions(seen: FlushScope[] = []): ControlActions {
  return {
    flush: async (s) => (seen.push(s), 3),
    stats: async () => ({ queries: 7 }),
    nta: async (change) => (change ? [change.name] : []),
    reload: async () => ({ applied: ['logLevel'], needsRestart: [] }),
  };
}

test('control: only a valid token, a loopback Host, a known path and a JSON body reach the actions', async (t) => {
  const seen: FlushScope[] = [];
  const lines: string[] = [];
  const log = createLogger('info', { write: (l) => lines.push(l), repeatWindowMs: 0 });
  const control = await startControl({ listen: { address: '127.0.0.1', port: 0, family: 4 }, token: TOKEN, maxRequestsPerMinute: 1000 }, actions(seen), log);
  t.after(() => control.close());
  const port = control.address!.port;
  const json = 'application/json';
  const all = '{"kind":"all"}';
  assert.equal((await request(port, { type: json, body: all })).status, 401, 'no token');
  assert.equal((await request(port, { type: json, body: all, token: 'b'.repeat(40) })).status, 401, 'wrong token');
  assert.equal((await request(port, { type: json, body: all, token: TOKEN.slice(1) })).status, 401, 'a prefix of the token');
  assert.equal((await request(port, { host: 'evil.example:80', type: json, body: all, token: TOKEN })).status, 421);
  assert.equal((await request(port, { type: 'text/plain', body: all, token: TOKEN })).status, 415);
  assert.equal((await request(port, { method: 'GET', type: json, token: TOKEN })).status, 405);
  assert.equal((await request(port, { path: '/other', type: json, token: TOKEN })).status, 404);
  assert.equal((await request(port, { type: json, body: '{"kind":"type","name":"a.example","type":70000}', token: TOKEN })).status, 400);
  assert.deepEqual(seen, []);
  const ok = await request(port, { host: 'localhost:5380', type: json, body: '{"kind":"subtree","name":"Example.COM."}', token: TOKEN });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).deleted, 3);
  assert.deepEqual(seen, [{ kind: 'subtree', name: 'example.com' }]);
  // Every flush leaves a log line naming what was flushed and who asked.
  const flushLine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'control: cache flush');
  assert.ok(flushLine, lines.join(''));
  assert.equal(flushLine['name'], 'example.com');
  assert.equal(flushLine['deleted'], 3);
  assert.match(flushLine['client'] as string, /^127\.0\.0\.1:\d+$/);
  assert.equal(lines.filter((l) => l.includes('without a valid token')).length, 3, 'each refused token is logged');

  const stats = await request(port, { method: 'GET', path: '/stats', token: TOKEN });
  assert.deepEqual(JSON.parse(stats.body), { queries: 7 });
  const nta = await request(port, { path: '/nta/add', type: json, body: '{"name":"Broken.Example."}', token: TOKEN });
  assert.deepEqual(JSON.parse(nta.body), { ntas: ['broken.example'] });
  assert.equal((await request(port, { path: '/nta/add', type: json, body: '{"name":"bad name"}', token: TOKEN })).status, 400);
  assert.equal((await request(port, { path: '/restart', type: json, body: '{}', token: TOKEN })).status, 409, 'no workers: no rolling restart');
});

test('control: more requests than the rate allows get 429, failed ones counted too', async (t) => {
  const control = await startControl({ listen: { address: '127.0.0.1', port: 0, family: 4 }, token: TOKEN, maxRequestsPerMinute: 5 }, actions(), silentLogger);
  t.after(() => control.close());
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await request(control.address!.port, { type: 'application/json', body: '{"kind":"all"}', token: i < 2 ? 'x'.repeat(40) : TOKEN })).status);
  assert.deepEqual(statuses, [401, 401, 200, 200, 200, 429, 429, 429]);
});

test('control: over a Unix socket the mode decides (0600), no token needed; a live socket is not taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-control-'));
  const socket = join(dir, 'control.sock');
  const first = await startControl({ socket, maxRequestsPerMinute: 100 }, actions(), silentLogger);
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  await assert.rejects(startControl({ socket, maxRequestsPerMinute: 100 }, actions(), silentLogger), /in use/);
  await first.close();
  const control = await startControl({ socket, maxRequestsPerMinute: 100 }, actions(), silentLogger);
  t.after(() => control.close());
  const r = await request(0, { socketPath: socket, host: 'localhost', method: 'GET', path: '/stats' });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { queries: 7 });
});

test('control: a token file that group or others can read is refused, naming the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`);
  chmodSync(file, 0o644);
  assert.throws(() => readToken(file, 'control.tokenFile'), (e: Error) => e instanceof ConfigError && /control\.tokenFile: .* mode 0644.*chmod 600/.test(e.message));
  chmodSync(file, 0o640);
  assert.throws(() => readToken(file, 'control.tokenFile'), /mode 0640/);
  chmodSync(file, 0o600);
  assert.equal(readToken(file, 'control.tokenFile'), TOKEN);
  writeFileSync(file, 'short\n');
  assert.throws(() => readToken(file, 'control.tokenFile'), /at least 32 characters/);
});
