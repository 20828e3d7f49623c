// Reads the scenario format (README.md here): indented text, one directive per line, into a Scenario.

import { canonicalName } from '../../src/dns/name.ts';

export class ScenarioError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScenarioError';
  }
}

/** One line of the file with its indentation and the lines indented below it. */
interface Node {
  text: string;
  line: number;
  indent: number;
  children: Node[];
}

export interface KeySpec {
  name: string;
  algorithm: number;
  role: 'KSK' | 'ZSK' | 'CSK';
  /** RSA modulus size (default 2048). */
  bits: number;
  line: number;
}

export interface Match {
  /** Canonical name, "*" for any, "*.zone" for any name strictly below zone. */
  qname: string;
  /** Type mnemonic, "*" for any. */
  qtype: string;
  /** Query flags that must be set (+) or clear (-): do, cd, rd, tcp. */
  flags: Map<string, boolean>;
}

export interface Sections {
  answer: RecordLine[];
  authority: RecordLine[];
  additional: RecordLine[];
}

export interface RecordLine {
  text: string;
  line: number;
}

export interface SigRule {
  owner: string;
  /** Type mnemonic or "*". */
  type: string;
  mods: string[];
  line: number;
}

export interface Entry {
  match: Match;
  line: number;
  drop: boolean;
  rcode: string;
  /** Header flags besides QR (and RD/CD, which a server copies). */
  flags: string[];
  sections: Sections;
  sigs: SigRule[];
  /** Answer only the first n matching queries (the entry is then used up). */
  times: number | undefined;
}

export interface ServerSpec {
  address: string;
  entries: Entry[];
  line: number;
}

export type SectionExpectation = RecordLine[] | 'any';

export interface Expectation {
  rcode: string | undefined;
  flags: string[] | undefined;
  /** EDE info code, "none" for absent, undefined when not checked. */
  ede: number | 'none' | undefined;
  answer: SectionExpectation;
  authority: SectionExpectation;
  additional: SectionExpectation;
  /** "address qname qtype" lines the query must have sent, in any order; undefined: not checked. */
  upstream: RecordLine[] | undefined;
}

export type Step =
  | { kind: 'query'; line: number; qname: string; qtype: string; flags: Map<string, boolean>; expect: Expectation }
  | { kind: 'wait'; line: number; seconds: number };

export interface Scenario {
  file: string;
  title: string;
  rfcs: string[];
  behaviours: number[];
  /** Seconds since the epoch when the scenario starts (signatures are made around it). */
  now: number;
  config: Record<string, unknown>;
  keys: Map<string, KeySpec>;
  anchors: RecordLine[];
  /** Signed zones: apex → key names (KSK first). */
  zones: Map<string, string[]>;
  hints: { name: string; address: string }[];
  servers: ServerSpec[];
  steps: Step[];
}

export const DEFAULT_NOW = 1_800_000_000;

const ALGORITHMS: Record<string, number> = {
  RSASHA1: 5, 'RSASHA1-NSEC3-SHA1': 7, RSASHA256: 8, RSASHA512: 10, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16,
};

export function algorithmNumber(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  return ALGORITHMS[token.toUpperCase()];
}

/** Comments start with "#" at the start of a line or after white space. */
function stripComment(raw: string): string {
  const m = /(^|\s)#/.exec(raw);
  return (m ? raw.slice(0, m.index) : raw).replace(/\s+$/, '');
}

function tree(text: string): Node[] {
  const root: Node = { text: '', line: 0, indent: -1, children: [] };
  const stack: Node[] = [root];
  text.split(/\r?\n/).forEach((raw, i) => {
    const code = stripComment(raw.replace(/\t/g, '  '));
    if (code.trim() === '') return;
    const indent = code.length - code.trimStart().length;
    const node: Node = { text: code.trim(), line: i + 1, indent, children: [] };
    while (stack.at(-1)!.indent >= indent) stack.pop();
    stack.at(-1)!.children.push(node);
    stack.push(node);
  });
  return root.children;
}

/** "key: value" → [key, value]; a line without ": " is [text, undefined]. */
function field(text: string): [string, string | undefined] {
  const m = /^([^:]+?):(?:\s+(.*))?$/.exec(text);
  if (!m) return [text, undefined];
  return [m[1]!.trim(), m[2]?.trim() ?? ''];
}

/** Query flags such as +do -rd +cd +tcp. */
function flagsOf(tokens: string[], file: string, line: number): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const t of tokens) {
    const m = /^([+-])(do|cd|rd|ad|tcp|noedns)$/i.exec(t);
    if (!m) throw new ScenarioError(file, line, `"${t}" is not a query flag (+do, -rd, +cd, +ad, +tcp, +noedns)`);
    out.set(m[2]!.toLowerCase(), m[1] === '+');
  }
  return out;
}

function seconds(token: string, file: string, line: number): number {
  const m = /^(\d+)([smhd]?)$/.exec(token);
  if (!m) throw new ScenarioError(file, line, `"${token}" is not a duration (e.g. 30, 90s, 5m, 2h, 1d)`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!]!;
}

function records(node: Node, file: string): RecordLine[] {
  for (const c of node.children) if (c.children.length > 0) throw new ScenarioError(file, c.children[0]!.line, 'records do not nest');
  return node.children.map((c) => ({ text: c.text, line: c.line }));
}

/** A config value: JSON when it parses as JSON, else the bare text as a string. */
function configValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
}

function nameOrPattern(token: string): string {
  if (token === '*') return '*';
  if (token.startsWith('*.')) return `*.${canonicalName(token.slice(2))}`;
  return canonicalName(token);
}

function entry(node: Node, file: string): Entry {
  const tokens = node.text.replace(/:$/, '').split(/\s+/).slice(1);
  if (tokens.length < 2) throw new ScenarioError(file, node.line, 'expected "on QNAME QTYPE [+do] [+cd] [+tcp]:"');
  const e: Entry = {
    match: { qname: nameOrPattern(tokens[0]!), qtype: tokens[1]!.toUpperCase(), flags: flagsOf(tokens.slice(2), file, node.line) },
    line: node.line,
    drop: false,
    rcode: 'NOERROR',
    flags: ['AA'],
    sections: { answer: [], authority: [], additional: [] },
    sigs: [],
    times: undefined,
  };
  for (const c of node.children) {
    const [key, value] = field(c.text);
    if (c.text === 'drop') e.drop = true;
    else if (key === 'rcode' && value) e.rcode = value.toUpperCase();
    else if (key === 'flags' && value !== undefined) e.flags = value === '-' || value === '' ? [] : value.toUpperCase().split(/\s+/);
    else if (key === 'times' && value) e.times = Number(value);
    else if ((key === 'answer' || key === 'authority' || key === 'additional') && value === '') e.sections[key] = records(c, file);
    else if (key.startsWith('sig ') && value !== undefined) {
      const [, owner, type] = key.split(/\s+/);
      if (!owner || !type) throw new ScenarioError(file, c.line, 'expected "sig OWNER TYPE: modifiers"');
      e.sigs.push({ owner: owner === '*' ? '*' : canonicalName(owner), type: type.toUpperCase(), mods: value.split(/\s+/).filter(Boolean), line: c.line });
    } else throw new ScenarioError(file, c.line, `unknown reply field "${c.text}"`);
  }
  return e;
}

function expectation(node: Node, file: string): Expectation {
  const x: Expectation = { rcode: 'NOERROR', flags: undefined, ede: undefined, answer: [], authority: [], additional: [], upstream: undefined };
  for (const c of node.children) {
    const [key, value] = field(c.text);
    if (key === 'rcode' && value) x.rcode = value.toUpperCase();
    else if (key === 'flags' && value !== undefined) x.flags = value === '-' || value === '' ? [] : value.toUpperCase().split(/\s+/);
    else if (key === 'ede' && value) {
      const code = value.split(/\s+/)[0]!;
      x.ede = code === 'none' ? 'none' : Number(code);
      if (x.ede !== 'none' && !Number.isInteger(x.ede)) throw new ScenarioError(file, c.line, 'ede: a number or "none"');
    } else if (key === 'answer' || key === 'authority' || key === 'additional') {
      x[key] = value === '*' ? 'any' : value === '' || value === '-' ? records(c, file) : fail(file, c.line, `${key}: records below, "-" for none, or "*"`);
    } else if (key === 'upstream') x.upstream = value === 'none' ? [] : records(c, file);
    else throw new ScenarioError(file, c.line, `unknown expectation "${c.text}"`);
  }
  return x;
}

function fail(file: string, line: number, message: string): never {
  throw new ScenarioError(file, line, message);
}

export function parseScenario(text: string, file: string): Scenario {
  const s: Scenario = {
    file, title: '', rfcs: [], behaviours: [], now: DEFAULT_NOW, config: {}, keys: new Map(), anchors: [], zones: new Map(), hints: [], servers: [], steps: [],
  };
  for (const node of tree(text)) {
    const [key, value] = field(node.text);
    const words = node.text.replace(/:$/, '').split(/\s+/);
    switch (words[0]!.replace(/:$/, '')) {
      case 'scenario':
        s.title = value ?? '';
        break;
      case 'rfc':
        s.rfcs = (value ?? '').split(',').map((r) => r.trim()).filter(Boolean);
        break;
      case 'behaviour':
        s.behaviours = (value ?? '').split(',').map((b) => Number(b.trim()));
        break;
      case 'now':
        s.now = Number(value);
        break;
      case 'config':
        for (const c of node.children) {
          const [k, v] = field(c.text);
          if (v === undefined) throw new ScenarioError(file, c.line, 'expected "key: value"');
          setPath(s.config, k, configValue(v));
        }
        break;
      case 'key': {
        // key NAME: ALGORITHM KSK|ZSK|CSK [bits=N]
        const name = (key ?? '').split(/\s+/)[1];
        const [alg, role, ...opts] = (value ?? '').split(/\s+/);
        const algorithm = algorithmNumber(alg ?? '');
        if (!name || algorithm === undefined || !['KSK', 'ZSK', 'CSK'].includes((role ?? '').toUpperCase())) {
          throw new ScenarioError(file, node.line, 'expected "key NAME: ALGORITHM KSK|ZSK|CSK [bits=N]"');
        }
        const bits = Number(opts.find((o) => o.startsWith('bits='))?.slice(5) ?? 2048);
        s.keys.set(name, { name, algorithm, role: role!.toUpperCase() as KeySpec['role'], bits, line: node.line });
        break;
      }
      case 'anchor':
        s.anchors.push({ text: value ?? '', line: node.line });
        break;
      case 'zone': {
        // zone APEX: KEY [KEY...]
        const apex = (key ?? '').split(/\s+/)[1];
        if (!apex || !value) throw new ScenarioError(file, node.line, 'expected "zone APEX: KEY [KEY...]"');
        s.zones.set(canonicalName(apex), value.split(/\s+/));
        break;
      }
      case 'hint':
        if (words.length !== 3) throw new ScenarioError(file, node.line, 'expected "hint NSNAME ADDRESS"');
        s.hints.push({ name: canonicalName(words[1]!), address: words[2]! });
        break;
      case 'server':
        if (words.length !== 2) throw new ScenarioError(file, node.line, 'expected "server ADDRESS:"');
        s.servers.push({
          address: words[1]!,
          line: node.line,
          entries: node.children.map((c) => (c.text.startsWith('on ') ? entry(c, file) : fail(file, c.line, 'expected "on QNAME QTYPE:"'))),
        });
        break;
      case 'query':
        if (words.length < 3) throw new ScenarioError(file, node.line, 'expected "query QNAME QTYPE [+do] [+cd] [-rd] [+tcp]"');
        s.steps.push({ kind: 'query', line: node.line, qname: canonicalName(words[1]!), qtype: words[2]!.toUpperCase(), flags: flagsOf(words.slice(3), file, node.line), expect: expectation(node, file) });
        break;
      case 'wait':
        s.steps.push({ kind: 'wait', line: node.line, seconds: seconds(words[1] ?? '', file, node.line) });
        break;
      default:
        throw new ScenarioError(file, node.line, `unknown directive "${node.text}"`);
    }
  }
  if (s.title === '') throw new ScenarioError(file, 1, 'missing "scenario: <title>"');
  if (s.steps.length === 0) throw new ScenarioError(file, 1, 'no step (query / wait)');
  return s;
}
