// Summarises a V8 .cpuprofile (node --cpu-prof) as the top self-time functions and a split by where the time went.

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CostLine {
  name: string;
  percent: number;
}

/** Where a frame's code lives: ours (src/), node's internals, dependencies, or V8/the kernel ("(program)", GC, idle). */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.includes('/dist/src/')) return 'andns (src/)';
  if (url.includes('node_modules')) return `dependency ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? ''}`;
  if (url.startsWith('node:')) return 'node core (JS)';
  return url;
}

/**
 * Self time per function (name + file:line) and per area, largest first, as percent of the
 * busy samples: "(idle)" (waiting in epoll) is left out of the total and reported apart, so a
 * profile that spans a quiet start-up still reads as the cost of the work.
 */
export function summarizeProfile(p: Profile, top = 15): { idlePercent: number; functions: CostLine[]; areas: CostLine[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  let idle = 0;
  for (const [id, v] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') idle += v;
    else total += v;
  }
  const fn = new Map<string, number>();
  const ar = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const file = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = f.url ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = area(f.url, f.functionName);
    ar.set(a, (ar.get(a) ?? 0) + us);
  }
  const lines = (m: Map<string, number>, n: number): CostLine[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, percent: Math.round((us / total) * 1000) / 10 }));
  return { idlePercent: Math.round((idle / Math.max(1, idle + total)) * 1000) / 10, functions: lines(fn, top), areas: lines(ar, 12) };
}

/** `andns-loadtest profile FILE.cpuprofile [--top N]`: prints both tables. */
export function profileMain(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: andns-loadtest profile FILE.cpuprofile [--top N]');
  const topAt = argv.indexOf('--top');
  const { idlePercent, functions, areas } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, topAt >= 0 ? Number(argv[topAt + 1]) : 15);
  console.log(`idle ${idlePercent} % of the profile; shares below are of the busy time`);
  console.log('self time by area:');
  for (const l of areas) console.log(`  ${l.percent.toFixed(1).padStart(5)} %  ${l.name}`);
  console.log('top functions by self time:');
  for (const l of functions) console.log(`  ${l.percent.toFixed(1).padStart(5)} %  ${l.name}`);
}
