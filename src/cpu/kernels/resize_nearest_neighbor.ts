/**
 * ResizeNearestNeighbor delta kernel (NHWC; alignCorners, halfPixelCenters), with tfjs-backend-cpu's
 * exact index formulas. Seed precomputes the source row/column of every output row/column and, per
 * input row/column, the range of output rows/columns that copy it; a step marks exactly those output
 * pixels of changed input pixels and copies their values from the dense input.
 */
import {CpuDeltaKernel} from '../types';
import {invertSources, resizeKernel, ResizeState} from './resize_common';

interface NearestState extends ResizeState {
  readonly srcRow: Int32Array;
  readonly srcCol: Int32Array;
}

function axisSources(n: number, old: number, ratio: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const src = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    const f = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let i = Math.min(old - 1, alignCorners ? Math.round(f) : Math.floor(f));
    if (halfPixelCenters) i = Math.max(0, i);
    src[o] = i;
  }
  return src;
}

function nearestPixel(s: NearestState, x: Float32Array, op: number, out: Float32Array, o0: number): void {
  const g = s.g;
  const C = g.channels;
  const plane = g.newHeight * g.newWidth;
  const b = Math.floor(op / plane);
  const rem = op - b * plane;
  const r = Math.floor(rem / g.newWidth);
  const c = rem - r * g.newWidth;
  const i0 = ((b * g.oldHeight + s.srcRow[r]) * g.oldWidth + s.srcCol[c]) * C;
  for (let d = 0; d < C; d++) out[o0 + d] = x[i0 + d];
}

export const resizeNearestNeighborKernel: CpuDeltaKernel = resizeKernel('ResizeNearestNeighbor', 1, (g): NearestState => {
  const srcRow = axisSources(g.newHeight, g.oldHeight, g.rowRatio, g.alignCorners, g.halfPixelCenters);
  const srcCol = axisSources(g.newWidth, g.oldWidth, g.colRatio, g.alignCorners, g.halfPixelCenters);
  const ri = invertSources(g.oldHeight, g.newHeight, srcRow);
  const ci = invertSources(g.oldWidth, g.newWidth, srcCol);
  return {g, srcRow, srcCol, rowLo: ri.lo, rowHi: ri.hi, colLo: ci.lo, colHi: ci.hi};
}, nearestPixel);
