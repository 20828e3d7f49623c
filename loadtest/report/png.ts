// Rasterises an SVG chart to PNG offline with resvg (a native binary shipped in its npm package).

import { writeFileSync } from 'node:fs';

/** Renders at 2× for a sharp README image; system fonts (DejaVu on Debian) draw the text. */
export async function writePng(svg: string, path: string): Promise<void> {
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' })
    .render()
    .asPng();
  writeFileSync(path, png);
}
