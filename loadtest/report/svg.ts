// A small line-chart renderer to inline SVG: axes, ticks, log scales, legend; no library, no network.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dash?: boolean;
}

export interface Tick {
  value: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  yLog?: boolean;
  /** Fixed x ticks (e.g. percentiles); otherwise round numbers are chosen. */
  xTicks?: Tick[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round-number ticks covering [min, max] on a linear scale. */
export function linearTicks(min: number, max: number, target = 6): Tick[] {
  if (max <= min) max = min + 1;
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push({ value: v, label: fmt(v) });
  return ticks;
}

/** Powers of ten (and 2×, 5× when the range is short) covering [min, max] on a log scale. */
export function logTicks(min: number, max: number): Tick[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e++) for (const m of steps) {
    const v = m * 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) ticks.push({ value: v, label: fmt(v) });
  }
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 360;
  const m = { left: 64, right: 16, top: 36, bottom: 48 + 18 * Math.ceil(spec.series.length / 3) };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.yLog || y > 0));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xMin = spec.xTicks ? Math.min(...spec.xTicks.map((t) => t.value)) : Math.min(0, ...xs);
  const xMax = spec.xTicks ? Math.max(...spec.xTicks.map((t) => t.value)) : Math.max(1, ...xs);
  let yMin = spec.yLog ? Math.min(...ys, Infinity) : 0;
  let yMax = Math.max(...ys, spec.yLog ? 0 : 1);
  if (spec.yLog) {
    if (!Number.isFinite(yMin) || yMin <= 0) yMin = 0.01;
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(Math.max(yMax, yMin * 10)));
  } else {
    const ticks = linearTicks(0, yMax);
    const step = ticks.length > 1 ? ticks[1]!.value - ticks[0]!.value : yMax;
    yMax = Math.ceil(yMax / step) * step; // the top tick at or above the highest point
  }
  const sx = (x: number): number => m.left + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const sy = spec.yLog
    ? (y: number): number => m.top + ph - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph
    : (y: number): number => m.top + ph - ((y - yMin) / (yMax - yMin || 1)) * ph;
  const xTicks = spec.xTicks ?? linearTicks(xMin, xMax);
  const yTicks = spec.yLog ? logTicks(yMin, yMax) : linearTicks(yMin, yMax);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (const t of yTicks) {
    const y = sy(t.value).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${t.label}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t.value).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" fill="#444">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  for (const s of spec.series) {
    const path = s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.yLog || y > 0))
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    if (path) out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  spec.series.forEach((s, i) => {
    const lx = m.left + (i % 3) * (pw / 3);
    const ly = m.top + ph + 52 + Math.floor(i / 3) * 18;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
