// The JSON logger: every line parses, the level changes at run time, repeated warnings and errors
// fold into one line with a count, and Node's own process warnings become JSON lines.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureProcessWarnings, createLogger } from '../../src/util/log.ts';

const parse = (lines: string[]): Record<string, unknown>[] => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

test('levels filter, and a reload can change the level', () => {
  const out: string[] = [];
  const log = createLogger('info', { write: (l) => out.push(l), repeatWindowMs: 0 });
  log.debug('hidden');
  log.info('shown', { n: 1 });
  log.level = 'debug';
  log.debug('now shown');
  log.level = 'error';
  log.warn('hidden again');
  const lines = parse(out);
  assert.deepEqual(lines.map((l) => l['msg']), ['shown', 'now shown']);
  assert.equal(lines[0]!['n'], 1);
  assert.equal(lines[0]!['level'], 'info');
  assert.ok(!Number.isNaN(Date.parse(lines[0]!['time'] as string)));
});

test('a repeated error is written once per window, then once more with the count', () => {
  const out: string[] = [];
  let now = 1_000_000;
  const log = createLogger('info', { write: (l) => out.push(l), now: () => now, repeatWindowMs: 10_000 });
  for (let i = 0; i < 12; i++) {
    log.error('redis cluster error', { err: `Failed to refresh slots cache (${i})` });
    now += 1_000; // one a second, as during a Redis outage
  }
  log.info('other lines are never held', {});
  log.info('other lines are never held', {});
  // 12 errors over 12 s: the first, then (at 10 s) the next one ends the window and reports 9 held back.
  const lines = parse(out);
  const errors = lines.filter((l) => l['msg'] === 'redis cluster error');
  assert.deepEqual(errors.map((l) => l['repeated']), [undefined, 9, undefined]);
  assert.equal(errors[1]!['err'], 'Failed to refresh slots cache (9)', 'the count line carries the last detail');
  assert.equal(lines.filter((l) => l['msg'] === 'other lines are never held').length, 2);
  log.flushRepeats();
  assert.equal(parse(out).at(-1)!['repeated'], 1, 'the last error of the window is reported at exit');
});

test('Node process warnings are captured as JSON lines', () => {
  const out: string[] = [];
  const log = createLogger('info', { write: (l) => out.push(l), repeatWindowMs: 0 });
  const before = process.listeners('warning');
  captureProcessWarnings(log);
  process.emitWarning('Possible EventEmitter memory leak detected.', 'MaxListenersExceededWarning');
  // emitWarning delivers on the next tick; then Node's own handler comes back for the other tests.
  return new Promise<void>((resolve) => setImmediate(() => {
    process.removeAllListeners('warning');
    for (const l of before) process.on('warning', l);
    const line = parse(out).find((l) => l['msg'] === 'node process warning');
    assert.ok(line, out.join(''));
    assert.equal(line['warning'], 'MaxListenersExceededWarning');
    resolve();
  }));
});

test('a serving process prints only JSON: start-up lines on stdout, its log and a Node warning on stderr', async () => {
  const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');
  // A preloaded module raises the warning ioredis raises during an outage, once the server runs.
  const preload = `data:text/javascript,setTimeout(() => process.emitWarning('Possible EventEmitter memory leak detected.', 'MaxListenersExceededWarning'), 500)`;
  const child = spawn(process.execPath, ['--import', preload, ANDNS, 'serve', '--listen', '127.0.0.1:0', '--doh-plain', '127.0.0.1:0', '--no-dnssec'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  for (let i = 0; i < 200 && !stderr.includes('MaxListenersExceededWarning'); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const [code] = (await exited) as [number];
  assert.equal(code, 0, stderr);
  const outLines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(outLines.length >= 2 && outLines.every((l) => l['msg'] === 'listening'), stdout);
  assert.ok(outLines.some((l) => (l['transports'] as string[]).includes('UDP') && typeof l['port'] === 'number' && l['port'] > 0));
  const errLines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(errLines.some((l) => l['msg'] === 'node process warning' && l['warning'] === 'MaxListenersExceededWarning'), stderr);
  assert.ok(errLines.some((l) => l['msg'] === 'stopped'), stderr);
});
