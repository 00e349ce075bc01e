// MaxPool, AvgPool, ResizeBilinear and ResizeNearestNeighbor delta kernels vs the dense kernels.
// See harness.ts for the checks.
import * as tf from '@tensorflow/tfjs-core';
import {backend_util} from '@tensorflow/tfjs-core';
import {Case, Geometry, geometryLabel, kernelSpecs, ODD_CHANNELS, randomGeometry, Rng, seedOf, nCases} from './harness';

const POOL_SIZES: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [5, 5], [7, 7], [3, 5], [5, 3], [2, 3]];

function everyWindowHasAPixel(g: Geometry): boolean {
  const info = backend_util.computePool2DInfo([g.batch, g.h, g.w, 1], [g.fh, g.fw], g.strides, 1, g.pad, g.dimRoundingMode);
  const ok = (out: number, inSize: number, f: number, s: number, pad: number) => {
    for (let o = 0; o < out; o++) {
      const start = o * s - pad;
      if (start + f - 1 < 0 || start > inSize - 1) return false;
    }
    return out > 0;
  };
  return ok(info.outHeight, g.h, g.fh, g.strides[0], info.padInfo.top) && ok(info.outWidth, g.w, g.fw, g.strides[1], info.padInfo.left);
}

function poolCase(kernel: 'MaxPool' | 'AvgPool', group: string, i: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  // tfjs computes a numeric pad's output size from the filter height and stride height for both
  // dims, and lets padding or 'ceil' rounding create windows that lie entirely in the padding (max
  // pool: -Infinity, avg pool: NaN on every backend). Draw again until every window holds a pixel.
  let g = randomGeometry(rng, {dilation: false, sizes: POOL_SIZES});
  while (!everyWindowHasAPixel(g)) g = randomGeometry(rng, {dilation: false, sizes: POOL_SIZES});
  const C = rng.pick(ODD_CHANNELS);
  const filterSize: [number, number] = [g.fh, g.fw];
  return {
    label: `${kernel} ${geometryLabel(g).replace(' d1x1', '')} c ${C}`,
    seed,
    kernels: [kernel],
    inputShapes: [[g.batch, g.h, g.w, C]],
    consts: {},
    footprint: Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]),
    op: (_c, [x]) => kernel === 'MaxPool' ?
      tf.maxPool(x as tf.Tensor4D, filterSize, g.strides, g.pad, g.dimRoundingMode) :
      tf.avgPool(x as tf.Tensor4D, filterSize, g.strides, g.pad, g.dimRoundingMode),
  };
}

type ResizeMode = {alignCorners: boolean; halfPixelCenters: boolean};
const RESIZE_MODES: ResizeMode[] = [
  {alignCorners: false, halfPixelCenters: false},
  {alignCorners: true, halfPixelCenters: false},
  {alignCorners: false, halfPixelCenters: true},
];

function resizeCase(kernel: 'ResizeBilinear' | 'ResizeNearestNeighbor', m: ResizeMode, group: string, i: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  const batch = rng.bool(0.3) ? 3 : 1;
  const h = rng.int(9, 20), w = rng.int(9, 20), C = rng.pick(ODD_CHANNELS);
  // Up by 2, up by an odd factor, down, and mixed.
  const sizes: Array<[number, number]> = [[2 * h, 2 * w], [rng.int(h + 1, 2 * h + 5), rng.int(w + 1, 2 * w + 5)],
    [rng.int(4, h - 1), rng.int(4, w - 1)], [rng.int(4, h - 1), rng.int(w + 1, 2 * w)], [h, w]];
  const size = sizes[i % sizes.length];
  return {
    label: `${kernel} x[${batch},${h},${w},${C}] -> ${size.join('x')} alignCorners ${m.alignCorners} halfPixelCenters ${m.halfPixelCenters}`,
    seed,
    kernels: [kernel],
    inputShapes: [[batch, h, w, C]],
    consts: {},
    op: (_c, [x]) => kernel === 'ResizeBilinear' ?
      tf.image.resizeBilinear(x as tf.Tensor4D, size, m.alignCorners, m.halfPixelCenters) :
      tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, m.alignCorners, m.halfPixelCenters),
  };
}

function cases(n: number, make: (i: number) => Case): () => Case[] {
  return () => Array.from({length: nCases(n)}, (_, i) => make(i));
}

describe('delta kernels: pooling and resize (delta-cpu vs cpu)', () => {
  for (const kernel of ['MaxPool', 'AvgPool'] as const) {
    kernelSpecs(kernel, cases(16, (i) => poolCase(kernel, kernel, i)));
  }
  for (const kernel of ['ResizeBilinear', 'ResizeNearestNeighbor'] as const) {
    for (const m of RESIZE_MODES) {
      const group = `${kernel}${m.alignCorners ? ' alignCorners' : ''}${m.halfPixelCenters ? ' halfPixelCenters' : ''}`;
      kernelSpecs(group, cases(10, (i) => resizeCase(kernel, m, group, i)));
    }
  }
});
