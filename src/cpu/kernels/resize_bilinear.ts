/**
 * ResizeBilinear delta kernel (NHWC; alignCorners, halfPixelCenters), with tfjs-backend-cpu's exact
 * formulas. Seed precomputes per output row/column its two source rows/columns and weight, and per
 * input row/column the range of output rows/columns that read it; a step marks exactly the output
 * pixels with a changed source pixel and recomputes them from the dense input (no drift).
 */
import {CpuDeltaKernel} from '../types';
import {invertSources, resizeKernel, ResizeState} from './resize_common';

interface BilinearState extends ResizeState {
  readonly rowFloor: Int32Array;
  readonly rowCeil: Int32Array;
  readonly rowFrac: Float64Array;
  readonly colFloor: Int32Array;
  readonly colCeil: Int32Array;
  readonly colFrac: Float64Array;
}

function axisSources(n: number, old: number, ratio: number, halfPixelCenters: boolean) {
  const floor = new Int32Array(n), ceil = new Int32Array(n), frac = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    const f = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const fl = Math.max(0, Math.floor(f));
    floor[o] = fl;
    frac[o] = f - fl;
    ceil[o] = Math.min(old - 1, Math.ceil(f));
  }
  return {floor, ceil, frac};
}

/** Output pixel op, all channels, in the order of operations of tfjs' resizeBilinear. */
function bilinearPixel(s: BilinearState, x: Float32Array, op: number, out: Float32Array, o0: number): void {
  const g = s.g;
  const C = g.channels;
  const plane = g.newHeight * g.newWidth;
  const b = Math.floor(op / plane);
  const rem = op - b * plane;
  const r = Math.floor(rem / g.newWidth);
  const c = rem - r * g.newWidth;
  const top = (b * g.oldHeight + s.rowFloor[r]) * g.oldWidth;
  const bot = (b * g.oldHeight + s.rowCeil[r]) * g.oldWidth;
  const tl = (top + s.colFloor[c]) * C, tr = (top + s.colCeil[c]) * C;
  const bl = (bot + s.colFloor[c]) * C, br = (bot + s.colCeil[c]) * C;
  const rowFrac = s.rowFrac[r], colFrac = s.colFrac[c];
  for (let d = 0; d < C; d++) {
    const topLeft = x[tl + d];
    const bottomLeft = x[bl + d];
    const topRight = x[tr + d];
    const bottomRight = x[br + d];
    const t = topLeft + (topRight - topLeft) * colFrac;
    const bt = bottomLeft + (bottomRight - bottomLeft) * colFrac;
    out[o0 + d] = t + (bt - t) * rowFrac;
  }
}

export const resizeBilinearKernel: CpuDeltaKernel = resizeKernel('ResizeBilinear', 4, (g): BilinearState => {
  const rows = axisSources(g.newHeight, g.oldHeight, g.rowRatio, g.halfPixelCenters);
  const cols = axisSources(g.newWidth, g.oldWidth, g.colRatio, g.halfPixelCenters);
  const ri = invertSources(g.oldHeight, g.newHeight, rows.floor, rows.ceil);
  const ci = invertSources(g.oldWidth, g.newWidth, cols.floor, cols.ceil);
  return {
    g, rowFloor: rows.floor, rowCeil: rows.ceil, rowFrac: rows.frac,
    colFloor: cols.floor, colCeil: cols.ceil, colFrac: cols.frac,
    rowLo: ri.lo, rowHi: ri.hi, colLo: ci.lo, colHi: ci.hi,
  };
}, bilinearPixel);
