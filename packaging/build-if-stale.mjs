// Builds (`npm run build`) only when a source is newer than the last build made here, so that
// `npm start` starts in well under a second instead of recompiling every time. In an installed
// package (no src/) there is nothing to build.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = dirname(import.meta.dirname);
const STAMP = join(root, 'dist', '.build-stamp');
const SOURCES = ['src', 'test', 'loadtest', 'tsconfig.json', 'package.json'].map((p) => join(root, p));

/** The newest modification time under a path (directories too: deleting a file changes its directory). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

if (!existsSync(join(root, 'src'))) process.exit(0);
const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
if (built > 0 && SOURCES.every((p) => newest(p) <= built)) process.exit(0);
// The stamp gets the time the build started: a file saved during the build is newer, so the next start builds again.
const started = new Date();
// npm_execpath: the npm that runs us (npm start, npm ci); otherwise the one on PATH.
const npm = process.env['npm_execpath'];
const r = npm && npm.endsWith('.js')
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `built from the sources as of ${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
