// Rasterises an SVG chart to PNG offline with resvg (a native binary shipped in its npm package).

import { writeFileSync } from 'node:fs';

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: Promise<ResvgModule> | undefined;

/**
 * resvg's loader calls process.report.getReport() to tell glibc from musl; by default a
 * report resolves the host name of every open socket, which takes 10 s here when the
 * simulated internet's 1,300 sockets are open (reverse lookups that can only time out).
 */
function loadResvg(): Promise<ResvgModule> {
  if (!resvg) {
    // Node ≥ 13.12 has the flag; @types/node does not declare it.
    const report = process.report as { excludeNetwork?: boolean } | undefined;
    const before = report?.excludeNetwork;
    if (report) report.excludeNetwork = true;
    resvg = import('@resvg/resvg-js').finally(() => {
      if (report) report.excludeNetwork = before ?? false;
    });
  }
  return resvg;
}

/** Renders at 2× for a sharp README image; system fonts (DejaVu on Debian) draw the text. */
export async function writePng(svg: string, path: string): Promise<void> {
  const { Resvg } = await loadResvg();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' })
    .render()
    .asPng();
  writeFileSync(path, png);
}
