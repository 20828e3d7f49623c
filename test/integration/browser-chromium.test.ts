// A real browser: headless Chromium in secure DoH mode pointed at the real `andns serve` loads
// a page by a name that only andns (on the simulated internet) can resolve.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDohWorld, type DohWorld } from './doh-process.ts';

const run = promisify(execFile);
let world: DohWorld | undefined;
let chromium: string | undefined;

before(async () => {
  for (const name of ['chromium', 'chromium-browser']) {
    if (await run(name, ['--version']).then(() => true, () => false)) {
      chromium = name;
      break;
    }
  }
  if (!chromium && process.env['CI']) throw new Error('chromium is required in CI (apt-get install chromium)');
  if (chromium) world = await startDohWorld();
});
after(() => world?.stop());

/** Chromium trusts a certificate by the base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiHash(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Runs Chromium in its own process group and returns what it printed; kills the group when done. */
function runChromium(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(chromium!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(killGroup, timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', () => {
      clearTimeout(timer);
      killGroup(); // renderer and utility processes left behind, if any
      resolve({ stdout, stderr });
    });
  });
}

test('headless Chromium in secure DoH mode loads a page by a name only andns resolves', async (t) => {
  if (!chromium || !world) return t.skip('chromium is not installed (apt-get install chromium)');
  const { name, port } = world.site;
  const profile = mkdtempSync(join(tmpdir(), 'andns-chromium-'));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  // The DoH settings as the browser's own preferences (what Settings → "Use secure DNS" writes):
  // "secure" never falls back to the system resolver. The command-line feature flags for DoH
  // were not honoured by this Chromium (156); these Local State prefs are.
  const template = `https://127.0.0.1:${world.ports.https}/dns-query{?dns}`;
  writeFileSync(join(profile, 'Local State'), JSON.stringify({ dns_over_https: { mode: 'secure', templates: template } }));
  const before = world.internet.network.servers().reduce((n, s) => n + s.log.filter((q) => q.qname.toLowerCase() === name).length, 0);

  const { stdout, stderr } = await runChromium([
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`,
    // Trust the test certificate (self-signed) by its key, for this profile only.
    `--ignore-certificate-errors-spki-list=${spkiHash(world.cert.pem)}`,
    // Every other name fails at once, so Chromium's own background lookups go nowhere; the rule
    // would catch the DoH server's address too, so it is excluded with the page's name.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${name}, EXCLUDE 127.0.0.1`,
    '--dump-dom', `http://${name}:${port}/`,
  ], 60_000);

  assert.match(stdout, new RegExp(`<p id="ok">served to ${name.replace(/\./g, '\\.')}</p>`), `the page loaded; chromium said:\n${stderr.slice(-2000)}`);
  const after = world.internet.network.servers().reduce((n, s) => n + s.log.filter((q) => q.qname.toLowerCase() === name).length, 0);
  assert.ok(after > before, 'andns resolved the name from the simulated internet for the browser');
});
