// Checks the Dockerfile: builds it where a container runtime answers (docker or podman), and
// always lints it: multi-stage, a non-root user in the final stage, CAP_NET_BIND_SERVICE for
// port 53, a HEALTHCHECK on /readyz at the port andns is told to serve it on, exec-form
// ENTRYPOINT/CMD (signals reach node), every flag of CMD known to `andns serve`, and every COPY
// source present in the build context and not excluded by .dockerignore.
// Usage: node packaging/check-dockerfile.mjs [--build] [--context=DIR] [DOCKERFILE]; prints one JSON line
// { ok, problems, built, note } and exits 0 when ok, 1 otherwise.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const wantBuild = args.includes('--build');
const contextArg = args.find((a) => a.startsWith('--context='));
const file = resolve(args.find((a) => !a.startsWith('--')) ?? join(import.meta.dirname, '..', 'Dockerfile'));
/** The build context: the Dockerfile's directory unless --context=DIR says otherwise. */
const context = contextArg ? resolve(contextArg.slice('--context='.length)) : dirname(file);

/** Instructions with continuation lines joined and comments dropped: { op, args, line }. */
export function parseDockerfile(text) {
  const out = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (buffer === '' && /^\s*(#|$)/.test(line)) return;
    if (buffer !== '' && /^\s*#/.test(line)) return; // comments inside a continued instruction
    if (buffer === '') start = i + 1;
    if (/\\\s*$/.test(line)) {
      buffer += line.replace(/\\\s*$/, ' ');
      return;
    }
    buffer += line;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(buffer);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: start });
    buffer = '';
  });
  return out;
}

/** An exec-form (JSON array) argument list, or undefined for shell form. */
function execForm(text) {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** .dockerignore patterns (simple: names and dir prefixes, `*` within a segment). */
function ignored(path, patterns) {
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    return re.test(path);
  });
}

function lint(text) {
  const problems = [];
  const all = parseDockerfile(text);
  const froms = all.filter((i) => i.op === 'FROM');
  if (froms.length < 2) problems.push(`multi-stage: ${froms.length} FROM instruction(s), want at least 2`);
  const lastFrom = all.lastIndexOf(froms.at(-1));
  const final = all.slice(lastFrom + 1);
  const stageNames = froms.slice(0, -1).map((f) => /\bAS\s+(\S+)/i.exec(f.args)?.[1]).filter(Boolean);
  if (!final.some((i) => i.op === 'COPY' && stageNames.some((n) => i.args.includes(`--from=${n}`)))) {
    problems.push('the final stage copies nothing from a build stage (COPY --from=NAME)');
  }

  const users = final.filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user) problems.push('the final stage sets no USER (it would run as root)');
  else if (user === 'root' || user === '0') problems.push(`the final stage runs as ${user}`);
  const userAt = final.indexOf(users.at(-1));
  if (userAt >= 0 && final.slice(userAt + 1).some((i) => i.op === 'USER' && /^(root|0)\b/.test(i.args))) problems.push('USER root after the non-root USER');

  const capability = final.some((i) => i.op === 'RUN' && /setcap\s+['"]?cap_net_bind_service[=+]/i.test(i.args));
  if (!capability) problems.push('no CAP_NET_BIND_SERVICE for port 53 in the final stage (setcap cap_net_bind_service=+ep on node)');

  const entry = final.filter((i) => i.op === 'ENTRYPOINT').at(-1);
  const cmd = final.filter((i) => i.op === 'CMD').at(-1);
  const entryArgs = entry ? execForm(entry.args) : undefined;
  const cmdArgs = cmd ? execForm(cmd.args) : [];
  if (!entry || !entryArgs) problems.push('ENTRYPOINT must be in exec form (a JSON array) so that node is PID 1 and gets SIGTERM');
  if (cmd && !cmdArgs) problems.push('CMD must be in exec form (a JSON array)');
  const argv = [...(entryArgs ?? []), ...(cmdArgs ?? [])];
  if (!argv.some((a) => /andns(\.js)?$/.test(a)) || !argv.includes('serve')) problems.push(`ENTRYPOINT + CMD do not run andns serve: ${JSON.stringify(argv)}`);
  const flag = (name) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const listen = flag('--listen');
  if (!listen || !/:53$/.test(listen)) problems.push(`andns serve must --listen on port 53 (has ${listen ?? 'no --listen'})`);
  const metrics = flag('--metrics');
  const metricsPort = metrics ? /:(\d+)$/.exec(metrics)?.[1] : undefined;

  const health = final.filter((i) => i.op === 'HEALTHCHECK').at(-1);
  if (!health) problems.push('no HEALTHCHECK in the final stage');
  else {
    const url = /https?:\/\/[^\s'"]+\/readyz/.exec(health.args)?.[0];
    if (!url) problems.push('HEALTHCHECK does not ask /readyz');
    else if (!metricsPort) problems.push('HEALTHCHECK asks /readyz but andns serve has no --metrics ADDR:PORT (the operations listener)');
    else if (!url.includes(`:${metricsPort}/`)) problems.push(`HEALTHCHECK asks ${url} but --metrics is ${metrics}`);
    if (!/--interval=\d+s/.test(health.args) || !/--timeout=\d+s/.test(health.args)) problems.push('HEALTHCHECK needs --interval and --timeout');
  }
  const exposed = final.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  for (const p of ['53/udp', '53/tcp']) if (!exposed.includes(p)) problems.push(`EXPOSE ${p} missing`);

  // Every flag given to andns serve must exist (a renamed flag would stop the container at start).
  const knownFlags = serveFlagNames();
  if (knownFlags) {
    // Flags before the script are node's own (e.g. --max-semi-space-size).
    const serveArgs = argv.slice(argv.findIndex((x) => /andns(\.js)?$/.test(x)) + 1);
    for (const a of serveArgs.filter((x) => x.startsWith('--'))) if (!knownFlags.has(a.slice(2))) problems.push(`andns serve has no flag ${a}`);
  }

  const ignorePath = join(context, '.dockerignore');
  const patterns = existsSync(ignorePath)
    ? readFileSync(ignorePath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/^\/|\/$/g, ''))
    : [];
  for (const must of ['node_modules', 'dist', '.git']) if (!patterns.includes(must)) problems.push(`.dockerignore should exclude ${must}`);
  for (const i of all.filter((x) => x.op === 'COPY' && !/--from=/.test(x.args))) {
    const parts = execForm(i.args) ?? i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      if (src.includes('*')) continue;
      const rel = src.replace(/^\.\/|\/$/g, '');
      if (!existsSync(join(context, rel))) problems.push(`line ${i.line}: COPY source ${src} is not in the build context`);
      else if (ignored(rel, patterns)) problems.push(`line ${i.line}: COPY source ${src} is excluded by .dockerignore`);
    }
  }
  return problems;
}

/** `andns serve`'s flags, read from the built CLI's help; undefined when it is not built. */
function serveFlagNames() {
  const cli = join(context, 'dist', 'src', 'cli', 'andns.js');
  if (!existsSync(cli)) return undefined;
  const r = spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8' });
  return new Set([...r.stdout.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]));
}

/** A container runtime that answers, or why there is none. */
function runtime() {
  for (const cmd of ['docker', 'podman']) {
    const r = spawnSync(cmd, ['info'], { encoding: 'utf8', timeout: 20_000 });
    if (r.error) continue;
    if (r.status === 0) return { cmd };
    return { why: `${cmd} is installed but does not answer (${(r.stderr || '').trim().split('\n').pop()})` };
  }
  return { why: 'no container runtime (docker or podman) is installed' };
}

const problems = lint(readFileSync(file, 'utf8'));
let built = false;
let note = '';
if (wantBuild && problems.length === 0) {
  const rt = runtime();
  if (rt.cmd) {
    const r = spawnSync(rt.cmd, ['build', '-t', 'andns:check', '-f', file, context], { encoding: 'utf8', timeout: 1_200_000 });
    if (r.status === 0) {
      built = true;
      note = `${rt.cmd} build succeeded`;
    } else {
      const tail = (r.stderr || r.stdout || '').trim().split('\n').slice(-5).join(' | ');
      // No registry to pull the base image from is the machine's limit, not the Dockerfile's fault.
      if (/pull access denied|failed to resolve source metadata|failed to fetch|dial tcp|no such host|TLS handshake timeout/i.test(tail)) {
        note = `container build not run to the end: the base image could not be pulled (${tail}); the Dockerfile was linted only`;
      } else problems.push(`${rt.cmd} build failed: ${tail}`);
    }
  } else note = `container build not run: ${rt.why}; the Dockerfile was linted only`;
}
process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, problems, built, note })}\n`);
process.exit(problems.length === 0 ? 0 : 1);
