// Domain-name helpers on andns's canonical form: lower case, no trailing dot, root is ".".

/** Canonical form of a presentation name: lower-case (RFC 4343), no trailing dot, "." for root. */
export function canonicalName(name: string): string {
  if (name === '' || name === '.') return '.';
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  return trimmed.toLowerCase();
}

/** Labels of a canonical name, leftmost first; [] for the root. */
export function labels(name: string): string[] {
  return name === '.' ? [] : name.split('.');
}

export function labelCount(name: string): number {
  return name === '.' ? 0 : labels(name).length;
}

/** The name one label up; the root's parent is undefined. */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  const dot = name.indexOf('.');
  return dot === -1 ? '.' : name.slice(dot + 1);
}

/** True when `name` equals `zone` or lies below it. Both canonical. */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '.') return true;
  if (name === zone) return true;
  return name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.';
}

/** Ancestors of a name from the name itself up to the root, e.g. a.b. → [a.b, b, .]. */
export function selfAndAncestors(name: string): string[] {
  const out: string[] = [];
  let n: string | undefined = name;
  while (n !== undefined) {
    out.push(n);
    n = parentName(n);
  }
  return out;
}

/** The name made of the last `count` labels of `name` (count 0 is the root). */
export function suffixOf(name: string, count: number): string {
  if (count <= 0) return '.';
  const all = labels(name);
  return all.slice(Math.max(0, all.length - count)).join('.');
}

/** Presentation form with a trailing dot, as dig prints it. */
export function absolute(name: string): string {
  return name === '.' ? '.' : `${name}.`;
}
