/** Text formatting for the summaries: aligned tables and compact numbers. */

/** Columns padded to their widest cell; columns whose header starts with a space are right-aligned. */
export function textTable(header: string[], rows: string[][]): string {
  const right = header.map((h) => h.startsWith(' '));
  const head = header.map((h) => h.trim());
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A markdown table (benchmark reports). */
export function markdownTable(header: string[], rows: string[][]): string {
  const right = header.map((h) => h.startsWith(' '));
  return [`| ${header.map((h) => h.trim()).join(' | ')} |`, `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export const ms = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) : '-');
export const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '-');
export const times = (v: number) => (Number.isFinite(v) ? `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}x` : '-');
/** Up to 4 significant digits, no trailing zeros (thresholds). */
export const num = (v: number) => String(+v.toPrecision(4));
export const sci = (v: number) => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(1) : String(v));
export const mmacs = (v: number) => (v / 1e6 >= 10 ? (v / 1e6).toFixed(0) : (v / 1e6).toFixed(1));
