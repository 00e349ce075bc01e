/**
 * Minimal SVG charts for the CLI's plots (no dependencies): a line chart with axes, ticks, labels and a
 * legend, and a heatmap with a colour bar. Output is plain SVG 1.1 that browsers and rsvg render alike.
 */

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Draw a dot at every point (default: when there are few points). */
  markers?: boolean;
  /** Text drawn above each point (same length as points), e.g. agreement figures. */
  pointLabels?: string[];
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Force the y axis to include this value (0 by default, so bars of latency start at zero). */
  yIncludes?: number;
  /** Categorical x axis: ticks at these values with these labels. */
  xTicks?: Array<{value: number; label: string}>;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
export const DENSE_COLOR = '#555555';

const FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : String(+v.toPrecision(3)));

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) { max = min + 1; }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if (ticks[ticks.length - 1] < max) ticks.push(+(ticks[ticks.length - 1] + step).toPrecision(12));
  return ticks;
}

function header(width: number, height: number, title: string, subtitle?: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" font-size="17" font-weight="bold" text-anchor="middle">${escapeXml(title)}</text>`,
    ...(subtitle ? [`<text x="${width / 2}" y="44" font-size="12.5" fill="#444" text-anchor="middle">${escapeXml(subtitle)}</text>`] : []),
  ];
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 860, height = o.height ?? 460;
  const legend = legendLayout(o.series.map((s) => s.name), width - 78 - 24);
  const m = {left: 78, right: 24, top: o.subtitle ? 62 : 44, bottom: 62 + legend.rows * 20};
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  let xMin = Math.min(...xs), xMax = Math.max(...xs);
  if (o.xTicks?.length) { xMin = Math.min(xMin, ...o.xTicks.map((t) => t.value)); xMax = Math.max(xMax, ...o.xTicks.map((t) => t.value)); }
  if (o.xTicks) { xMin -= 0.5; xMax += 0.5; }                     // categories: half a slot of margin
  if (!(xMax > xMin)) { xMin -= 1; xMax += 1; }
  const yInc = o.yIncludes ?? 0;
  const yTicks = niceTicks(Math.min(yInc, ...ys), Math.max(yInc, ...ys) * 1.05 || 1, 6);
  const yMin = yTicks[0], yMax = yTicks[yTicks.length - 1];
  const X = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * pw;
  const Y = (y: number) => m.top + ph - ((y - yMin) / (yMax - yMin)) * ph;

  const out = header(width, height, o.title, o.subtitle);
  // grid + y ticks
  for (const t of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${m.left - 8}" y="${(Y(t) + 4).toFixed(1)}" font-size="12" text-anchor="end">${fmt(t)}</text>`);
  }
  // x ticks
  const xTicks = o.xTicks ?? niceTicks(xMin, xMax, 10).filter((t) => t >= xMin && t <= xMax).map((v) => ({value: v, label: fmt(v)}));
  for (const t of xTicks) {
    const x = X(t.value).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 19}" font-size="12" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 40}" font-size="13.5" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" font-size="13.5" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  // series
  for (const s of o.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) continue;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`);
    if (s.markers ?? pts.length <= 40) {
      for (const [x, y] of pts) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.4" fill="${s.color}"/>`);
    }
    s.pointLabels?.forEach((label, i) => {
      const p = s.points[i];
      if (!p || !Number.isFinite(p[1]) || !label) return;
      out.push(`<text x="${X(p[0]).toFixed(1)}" y="${(Y(p[1]) - 9).toFixed(1)}" font-size="11.5" fill="${s.color}" text-anchor="middle">${escapeXml(label)}</text>`);
    });
  }
  // legend below the plot, entries flowing left to right
  o.series.forEach((s, i) => {
    const x = m.left + legend.at[i].x, y = m.top + ph + 58 + legend.at[i].row * 20;
    out.push(`<line x1="${x}" x2="${x + 26}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`);
    out.push(`<text x="${x + 32}" y="${y}" font-size="12.5">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Positions of legend entries (swatch + text, ~7 px per character) flowing in rows of `width`. */
function legendLayout(names: string[], width: number): {rows: number; at: Array<{x: number; row: number}>} {
  const at: Array<{x: number; row: number}> = [];
  let x = 0, row = 0;
  for (const name of names) {
    const w = 32 + name.length * 7 + 24;
    if (x > 0 && x + w > width) { x = 0; row++; }
    at.push({x, row});
    x += w;
  }
  return {rows: names.length ? row + 1 : 0, at};
}

// A perceptually ordered colour map (viridis, 9 stops).
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725']
  .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

export function colorOf(v: number): string {
  const t = Math.max(0, Math.min(1, v)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i;
  const c = VIRIDIS[i].map((a, k) => Math.round(a + (VIRIDIS[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface HeatmapOptions {
  title: string;
  subtitle?: string;
  rowLabels: string[];
  /** values[row][col] in [0,1]; NaN = no value (drawn light grey, explained by `missingLabel`). */
  values: number[][];
  missingLabel?: string;
  xLabel: string;
  yLabel: string;
  colorbarLabel: string;
  width?: number;
}

export function heatmap(o: HeatmapOptions): string {
  const rows = o.rowLabels.length, cols = Math.max(1, ...o.values.map((r) => r.length));
  const rowH = Math.max(3, Math.min(16, Math.floor(620 / Math.max(1, rows))));
  const labelEvery = Math.max(1, Math.ceil(11 / rowH));
  const labelW = Math.min(260, 16 + 6.6 * Math.max(4, ...o.rowLabels.map((l) => l.length)));
  const width = o.width ?? 920;
  const m = {left: labelW + 34, right: 130, top: o.subtitle ? 62 : 44, bottom: 58};
  const pw = width - m.left - m.right, ph = rows * rowH;
  const missingLines = o.missingLabel ? o.missingLabel.split('\n').length : 0;
  const height = Math.max(m.top + ph + m.bottom, m.top + Math.min(ph, 300) + 60 + missingLines * 14);
  const cellW = pw / cols;
  const out = header(width, height, o.title, o.subtitle);
  for (let r = 0; r < rows; r++) {
    const y = m.top + r * rowH;
    for (let c = 0; c < cols; c++) {
      const v = o.values[r][c];
      const fill = Number.isFinite(v) ? colorOf(v) : '#eeeeee';
      // +0.6 px overlap avoids hairline gaps between cells in some renderers
      out.push(`<rect x="${(m.left + c * cellW).toFixed(2)}" y="${y}" width="${(cellW + 0.6).toFixed(2)}" height="${rowH + 0.6}" fill="${fill}"/>`);
    }
    if (r % labelEvery === 0) {
      out.push(`<text x="${m.left - 6}" y="${(y + rowH / 2 + 4).toFixed(1)}" font-size="${Math.min(12, Math.max(9, rowH * labelEvery - 2))}" text-anchor="end">${escapeXml(o.rowLabels[r])}</text>`);
    }
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  // x ticks: frame numbers
  for (const t of niceTicks(0, cols - 1, Math.min(10, cols)).filter((t) => t <= cols - 1 && Number.isInteger(t))) {
    const x = m.left + (t + 0.5) * cellW;
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${m.top + ph + 19}" font-size="12" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 42}" font-size="13.5" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" font-size="13.5" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  // colour bar
  const cbX = m.left + pw + 24, cbH = Math.min(ph, 300), cbY = m.top;
  const steps = 40;
  for (let i = 0; i < steps; i++) {
    const v = 1 - i / steps;
    out.push(`<rect x="${cbX}" y="${(cbY + (i * cbH) / steps).toFixed(2)}" width="16" height="${(cbH / steps + 0.6).toFixed(2)}" fill="${colorOf(v)}"/>`);
  }
  out.push(`<rect x="${cbX}" y="${cbY}" width="16" height="${cbH}" fill="none" stroke="#333"/>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const y = cbY + (1 - t) * cbH;
    out.push(`<text x="${cbX + 21}" y="${(y + 4).toFixed(1)}" font-size="11.5">${Math.round(t * 100)}%</text>`);
  }
  out.push(`<text transform="translate(${cbX + 68} ${cbY + cbH / 2}) rotate(90)" font-size="12.5" text-anchor="middle">${escapeXml(o.colorbarLabel)}</text>`);
  if (o.missingLabel) {
    // grey swatch + wrapped explanation under the colour bar
    const y = cbY + cbH + 18;
    out.push(`<rect x="${cbX}" y="${y}" width="16" height="12" fill="#eeeeee" stroke="#999"/>`);
    o.missingLabel.split('\n').forEach((line, i) =>
      out.push(`<text x="${cbX - 4}" y="${y + 28 + i * 14}" font-size="11">${escapeXml(line)}</text>`));
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
