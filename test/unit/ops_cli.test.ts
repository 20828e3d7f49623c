// The operating commands as a user meets them: usage errors exit 2, a token file others can read
// is refused before anything is sent (exit 1, naming the mode), an unreachable endpoint says where.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ANDNS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'andns.js');

async function andns(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [ANDNS, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('operating commands: usage errors exit 2 with the usage', async () => {
  for (const args of [['nta'], ['nta', 'add'], ['nta', 'drop', 'x.example'], ['stats', 'extra'], ['reload', 'now'], ['restart', '--bogus']]) {
    const r = await andns(...args);
    assert.equal(r.code, 2, `andns ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:/);
  }
  const help = await andns('--help');
  for (const command of ['andns stats', 'andns nta add NAME', 'andns reload', 'andns restart']) assert.ok(help.stdout.includes(command), command);
});

test('operating commands: a token file others can read is refused; an unreachable endpoint is named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'andns-opscli-'));
  const token = join(dir, 'token');
  writeFileSync(token, `${'c'.repeat(64)}\n`);
  chmodSync(token, 0o644);
  const loose = await andns('stats', '--control', '127.0.0.1:1', '--control-token', token);
  assert.equal(loose.code, 1);
  assert.match(loose.stderr, /--control-token: .*mode 0644.*chmod 600/);
  chmodSync(token, 0o600);
  const away = await andns('nta', 'list', '--control', '127.0.0.1:1', '--control-token', token);
  assert.equal(away.code, 1);
  assert.match(away.stderr, /cannot reach the control endpoint at 127\.0\.0\.1:1: ECONNREFUSED/);
  const socket = await andns('reload', '--control', join(dir, 'none.sock'));
  assert.equal(socket.code, 1);
  assert.match(socket.stderr, /none\.sock: ENOENT/);
});
