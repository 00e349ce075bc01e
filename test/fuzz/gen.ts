// The fuzz case generator: one seed -> one random kernel configuration of one delta op (every kernel of
// the op table, src/core/op_table.ts DELTA_KERNELS), with random shapes up to a size bound, strides,
// dilations, padding (incl. explicit and numeric with rounding modes), channel counts incl. 1 and odd,
// batch 1-4, broadcasting, constants of every allowed shape; optionally behind a producer slot (so that
// the op consumes an update from another slot, or a re-sparsified tensor of a dense-only op) and in
// front of a consumer slot; plus random sparse frame sequences per varying input: blobs, single pixels,
// full-frame changes, no change (a new tensor), the same tensor object again, tiny (1e-6) changes, a
// revert to the frame before, and sub-threshold noise in threshold mode; 4-8 frames, marked with
// delta.frame() or detected automatically, a keyframe every 2-3 frames in 15% of the cases, and random
// thresholds for the threshold-mode run.
//
// Everything is drawn from the case's seed (test/kernels/harness.ts Rng, mulberry32): the same seed
// gives the same case on every machine and backend. The case is a harness Case; test/fuzz/run.ts checks it.
import * as tf from '@tensorflow/tfjs-core';
import {backend_util} from '@tensorflow/tfjs-core';
import {addBlobs, Case, Rng, Sequence, sizeOf, Thresholds} from '../kernels/harness';

export interface FuzzOptions {
  /** Upper bound of spatial sizes H, W (resize outputs: up to twice that). */
  maxSize: number;
  /** Only generate cases of these kernels (default: every kernel of the op table). */
  kernels?: readonly string[];
}

export const DEFAULT_MAX_SIZE = 16;

/** Every kernel the generator knows; must cover DELTA_KERNELS (checked by the runner). */
export const FUZZ_KERNELS = [
  'Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'Conv2DBackpropInput',
  'MaxPool', 'AvgPool', 'Relu', 'Relu6', 'LeakyRelu', 'Prelu', 'Elu', 'Sigmoid', 'Tanh', 'FusedBatchNorm',
  'Add', 'AddN', 'Sub', 'Multiply', 'ResizeBilinear', 'ResizeNearestNeighbor', 'Concat', 'PadV2', 'Mean',
] as const;

/** How an input changes from the previous frame. */
export type FrameKind = 'base' | 'blobs' | 'pixel' | 'full' | 'none' | 'same' | 'tiny' | 'revert';
const KINDS: Array<[FrameKind, number]> = [
  ['blobs', 30], ['pixel', 14], ['full', 12], ['none', 12], ['same', 10], ['tiny', 8], ['revert', 6],
];

export interface FuzzCase extends Case {
  /** The op under test (one of FUZZ_KERNELS). */
  target: string;
  /** Per varying input, the kind of change of each frame (frame 0: 'base'). */
  schedules: FrameKind[][];
  frames: number;
}

/** Varying-input and constant layout of one op, before wrapping. */
interface Built {
  label: string;
  inputShapes: number[][];
  consts: Case['consts'];
  op: Case['op'];
  range?: [number, number];
  footprint?: number;
  /** Whether the varying inputs may be routed through a producer slot (default true). */
  pre?: boolean;
  /** Whether automatic frame detection applies (false: a later call may look like the first one). */
  autoOk?: boolean;
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const CHANNELS = [1, 1, 2, 3, 3, 4, 5, 7, 8];
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'prelu', 'leakyrelu', 'elu', 'sigmoid'] as const;

function pickWeighted<T>(rng: Rng, items: Array<[T, number]>): T {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let r = rng.next() * total;
  for (const [v, w] of items) if ((r -= w) < 0) return v;
  return items[items.length - 1][0];
}

function batchOf(rng: Rng): number { return rng.pick([1, 1, 1, 2, 3, 4]); }

function padLabel(p: Pad): string {
  return Array.isArray(p) ? `explicit[${p[1]}|${p[2]}]` : String(p);
}

function weights(rng: Rng, shape: number[], fanIn: number): {shape: number[]; values: Float32Array} {
  const s = 1.5 / Math.sqrt(Math.max(1, fanIn));
  return {shape, values: rng.array(sizeOf(shape), -s, s)};
}

function constOf(rng: Rng, shape: number[], lo = -1, hi = 1) {
  return {shape, values: rng.array(sizeOf(shape), lo, hi)};
}

function randomPad(rng: Rng, explicit = true): Pad {
  const pads: Pad[] = ['same', 'valid', rng.int(0, 2)];
  if (explicit) pads.push([[0, 0], [rng.int(0, 2), rng.int(0, 2)], [rng.int(0, 2), rng.int(0, 2)], [0, 0]]);
  return rng.pick(pads);
}

interface ConvGeom {
  batch: number; h: number; w: number; fh: number; fw: number;
  strides: [number, number]; dilations: [number, number]; pad: Pad;
  dimRoundingMode?: 'floor' | 'ceil' | 'round';
  info: backend_util.Conv2DInfo;
}

/** A conv/pool geometry that tfjs accepts and whose output is at least 1x1 (draws again until it is). */
function convGeom(rng: Rng, maxSize: number, o: {cin: number; cout: number; depthwise?: boolean; explicit?: boolean;
  dilation?: boolean; pool?: boolean}): ConvGeom {
  for (let attempt = 0; ; attempt++) {
    const fh = rng.int(1, o.pool ? 4 : 5), fw = rng.bool(0.6) ? fh : rng.int(1, o.pool ? 4 : 5);
    const strides: [number, number] = rng.bool(0.5) ? [1, 1] : [rng.int(1, 3), rng.int(1, 3)];
    let dilations: [number, number] = [1, 1];
    if (o.dilation !== false && strides[0] === 1 && strides[1] === 1 && rng.bool(0.35)) dilations = [rng.int(1, 3), rng.int(1, 3)];
    const pad = randomPad(rng, o.explicit !== false);
    const dimRoundingMode = typeof pad === 'number' && rng.bool(0.5) ? rng.pick(['floor', 'ceil', 'round'] as const) : undefined;
    const batch = batchOf(rng);
    const h = rng.int(1, maxSize), w = rng.int(1, maxSize);
    try {
      const info = o.pool ?
        backend_util.computePool2DInfo([batch, h, w, o.cin], [fh, fw], strides, 1, pad, dimRoundingMode) :
        backend_util.computeConv2DInfo([batch, h, w, o.cin], [fh, fw, o.cin, o.depthwise ? o.cout / o.cin : o.cout],
          strides, dilations, pad, dimRoundingMode, o.depthwise);
      if (!(info.outHeight >= 1 && info.outWidth >= 1)) continue;
      if (o.pool && !everyWindowHasAPixel(info)) continue;
      return {batch, h, w, fh, fw, strides, dilations, pad, dimRoundingMode, info};
    } catch {
      if (attempt > 1000) throw new Error('fuzz: no valid conv geometry');
    }
  }
}

/** Pool windows that lie entirely in the padding give -Inf (max) or NaN (avg) on every backend: avoided. */
function everyWindowHasAPixel(info: backend_util.Conv2DInfo): boolean {
  const ok = (out: number, inSize: number, f: number, s: number, pad: number) => {
    for (let o = 0; o < out; o++) {
      const start = o * s - pad;
      if (start + f - 1 < 0 || start > inSize - 1) return false;
    }
    return true;
  };
  return ok(info.outHeight, info.inHeight, info.filterHeight, info.strideHeight, info.padInfo.top) &&
    ok(info.outWidth, info.inWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
}

function geomLabel(g: ConvGeom): string {
  return `x[${g.batch},${g.h},${g.w}] k${g.fh}x${g.fw} s${g.strides.join('x')} d${g.dilations.join('x')} pad ${padLabel(g.pad)}` +
    (g.dimRoundingMode ? ` round ${g.dimRoundingMode}` : '');
}

/** Bias / prelu-weight shapes that tf.fused.* accept for an output [N, oh, ow, C]. */
function biasShape(rng: Rng, oh: number, ow: number, C: number): number[] {
  return rng.pick([[C], [C], [1], [], [1, 1, C], [oh, ow, C], [1, 1, 1, C]]);
}
function preluShape(rng: Rng, oh: number, ow: number, C: number): number[] {
  return rng.pick([[C], [C], [1], [], [1, 1, C], [oh, ow, C]]);
}

function x4(t: tf.Tensor) { return t as tf.Tensor4D; }

// ---- per-op builders ------------------------------------------------------------------------------

function buildConv(rng: Rng, maxSize: number, kernel: 'Conv2D' | 'FusedConv2D'): Built {
  const cin = rng.pick(CHANNELS), cout = rng.pick(CHANNELS);
  const g = convGeom(rng, maxSize, {cin, cout});
  const rank3 = g.batch === 1 && rng.bool(0.15);
  const consts: Case['consts'] = {filter: weights(rng, [g.fh, g.fw, cin, cout], g.fh * g.fw * cin)};
  const fused = kernel === 'FusedConv2D';
  const activation = fused ? rng.pick(ACTIVATIONS) : 'linear';
  const extra = fusedConsts(rng, consts, g.info, cout, fused, activation);
  const leakyreluAlpha = rng.uniform(0.05, 0.3);
  const shape = rank3 ? [g.h, g.w, cin] : [g.batch, g.h, g.w, cin];
  return {
    label: `${kernel}${fused ? ` ${activation}${extra}` : ''} ${geomLabel(g)} cin ${cin} cout ${cout}${rank3 ? ' rank3' : ''}`,
    inputShapes: [shape],
    consts,
    op: (c, [x]) => fused ?
      tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: x4(c.filter), strides: g.strides, pad: g.pad, dilations: g.dilations,
        dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation, preluActivationWeights: c.alpha, leakyreluAlpha,
      }) :
      tf.conv2d(x as tf.Tensor4D, x4(c.filter), g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
  };
}

/** Bias (70% of fused cases) and prelu weights of a fused conv; returns the label suffix. */
function fusedConsts(rng: Rng, consts: Case['consts'], info: {outHeight: number; outWidth: number}, cout: number,
                     fused: boolean, activation: string): string {
  let extra = '';
  if (fused && rng.bool(0.7)) {
    const s = biasShape(rng, info.outHeight, info.outWidth, cout);
    consts.bias = constOf(rng, s, -0.5, 0.5);
    extra += ` +bias[${s}]`;
  }
  if (activation === 'prelu') {
    const s = preluShape(rng, info.outHeight, info.outWidth, cout);
    consts.alpha = constOf(rng, s, 0.05, 0.5);
    extra += ` alpha[${s}]`;
  }
  return extra;
}

function buildDepthwise(rng: Rng, maxSize: number, kernel: 'DepthwiseConv2dNative' | 'FusedDepthwiseConv2D'): Built {
  const fused = kernel === 'FusedDepthwiseConv2D';
  const cin = rng.pick(CHANNELS), mult = rng.pick([1, 1, 2, 3]);
  const cout = cin * mult;
  const g = convGeom(rng, maxSize, {cin, cout, depthwise: true, explicit: !fused});
  const consts: Case['consts'] = {filter: weights(rng, [g.fh, g.fw, cin, mult], g.fh * g.fw)};
  const activation = fused ? rng.pick(ACTIVATIONS) : 'linear';
  const extra = fusedConsts(rng, consts, g.info, cout, fused, activation);
  const leakyreluAlpha = rng.uniform(0.05, 0.3);
  return {
    label: `${kernel}${fused ? ` ${activation}${extra}` : ''} mult ${mult} ${geomLabel(g)} cin ${cin}`,
    inputShapes: [[g.batch, g.h, g.w, cin]],
    consts,
    op: (c, [x]) => fused ?
      tf.fused.depthwiseConv2d({
        x: x4(x), filter: x4(c.filter), strides: g.strides, pad: g.pad as 'same' | 'valid' | number,
        dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation,
        preluActivationWeights: c.alpha, leakyreluAlpha,
      }) :
      tf.depthwiseConv2d(x4(x), x4(c.filter), g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
  };
}

/** tf.conv2dTranspose: the output shape is drawn first; dy is the forward conv's output shape. */
function buildTranspose(rng: Rng, maxSize: number): Built {
  const outC = rng.pick(CHANNELS), inC = rng.pick(CHANNELS);
  // The forward conv maps the output [b, H, W, outC] to dy [b, h, w, inC] (no dilation in tfjs' op).
  const g = convGeom(rng, maxSize, {cin: outC, cout: inC, dilation: false});
  const outputShape: [number, number, number, number] = [g.batch, g.h, g.w, outC];
  const dy = [g.batch, g.info.outHeight, g.info.outWidth, inC];
  const consts: Case['consts'] = {filter: weights(rng, [g.fh, g.fw, outC, inC], g.fh * g.fw * inC / (g.strides[0] * g.strides[1]))};
  return {
    label: `Conv2DBackpropInput dy[${dy}] -> [${outputShape}] k${g.fh}x${g.fw} s${g.strides.join('x')} pad ${padLabel(g.pad)}` +
      (g.dimRoundingMode ? ` round ${g.dimRoundingMode}` : ''),
    inputShapes: [dy],
    consts,
    op: (c, [x]) => tf.conv2dTranspose(x4(x), x4(c.filter), outputShape, g.strides, g.pad, g.dimRoundingMode),
  };
}

function buildPool(rng: Rng, maxSize: number, kernel: 'MaxPool' | 'AvgPool'): Built {
  const C = rng.pick(CHANNELS);
  const g = convGeom(rng, maxSize, {cin: C, cout: C, pool: true, dilation: false});
  const filterSize: [number, number] = [g.fh, g.fw];
  const rank3 = g.batch === 1 && rng.bool(0.15);
  return {
    label: `${kernel} ${geomLabel(g).replace(' d1x1', '')} c ${C}${rank3 ? ' rank3' : ''}`,
    inputShapes: [rank3 ? [g.h, g.w, C] : [g.batch, g.h, g.w, C]],
    consts: {},
    footprint: Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]),
    op: (_c, [x]) => kernel === 'MaxPool' ?
      tf.maxPool(x as tf.Tensor4D, filterSize, g.strides, g.pad, g.dimRoundingMode) :
      tf.avgPool(x as tf.Tensor4D, filterSize, g.strides, g.pad, g.dimRoundingMode),
  };
}

/** A random shape of rank 0..4 (mostly 4: NHWC). */
function randomShape(rng: Rng, maxSize: number, rank = pickWeighted(rng, [[4, 6], [3, 2], [2, 2], [1, 1], [0, 0.4]])): number[] {
  const C = rng.pick(CHANNELS);
  switch (rank) {
    case 0: return [];
    case 1: return [rng.int(1, 2 * maxSize)];
    case 2: return [rng.int(1, 2 * maxSize), C];
    case 3: return [rng.int(1, maxSize), rng.int(1, maxSize), C];
    default: return [batchOf(rng), rng.int(1, maxSize), rng.int(1, maxSize), C];
  }
}

const UNARY: Record<string, {f: (x: tf.Tensor, alpha: number) => tf.Tensor; range: [number, number]}> = {
  Relu: {f: (x) => tf.relu(x), range: [-1, 1]},
  Relu6: {f: (x) => tf.relu6(x), range: [-3, 9]},
  LeakyRelu: {f: (x, a) => tf.leakyRelu(x, a), range: [-1, 1]},
  Elu: {f: (x) => tf.elu(x), range: [-3, 2]},
  Sigmoid: {f: (x) => tf.sigmoid(x), range: [-4, 4]},
  Tanh: {f: (x) => tf.tanh(x), range: [-2, 2]},
};

function buildUnary(rng: Rng, maxSize: number, kernel: string): Built {
  const shape = randomShape(rng, maxSize);
  const {f, range} = UNARY[kernel];
  const alpha = rng.uniform(0.05, 0.4);
  return {
    label: `${kernel} x[${shape}]${kernel === 'LeakyRelu' ? ` alpha ${alpha.toFixed(3)}` : ''}`,
    inputShapes: [shape], consts: {}, range,
    op: (_c, [x]) => f(x, alpha),
  };
}

/** A shape that broadcasts to `out`: some dims set to 1, maybe some leading dims dropped. */
function broadcastable(rng: Rng, out: number[]): number[] {
  const s = out.map((d) => (rng.bool(0.35) ? 1 : d));
  const drop = rng.bool(0.3) ? rng.int(0, out.length) : 0;
  return s.slice(drop);
}

function buildPrelu(rng: Rng, maxSize: number): Built {
  const shape = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 2], [2, 2], [1, 1]]));
  const aShape = rng.bool(0.5) ? [shape[shape.length - 1]] : broadcastable(rng, shape);
  return {
    label: `Prelu x[${shape}] alpha[${aShape}]`,
    inputShapes: [shape], consts: {alpha: constOf(rng, aShape, 0.05, 0.5)},
    op: (c, [x]) => tf.prelu(x, c.alpha),
  };
}

function buildBatchNorm(rng: Rng, maxSize: number): Built {
  const shape = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 1], [2, 1], [1, 1]]));
  const C = shape[shape.length - 1];
  // tfjs indexes mean/variance/offset/scale by flat index modulo their length.
  const pShape = pickWeighted<number[]>(rng, [[[C], 6], [[1], 1], [shape.slice(-2), shape.length >= 2 ? 1 : 0]]);
  const withOffset = rng.bool(0.7), withScale = rng.bool(0.7);
  const eps = rng.pick([0.001, 1e-5, 0.1]);
  return {
    label: `FusedBatchNorm x[${shape}] params[${pShape}]${withOffset ? ' offset' : ''}${withScale ? ' scale' : ''} eps ${eps}`,
    inputShapes: [shape],
    consts: {
      mean: constOf(rng, pShape, -0.5, 0.5), variance: constOf(rng, pShape, 0.1, 2),
      offset: constOf(rng, pShape), scale: constOf(rng, pShape, 0.2, 3),
    },
    op: (c, [x]) => tf.batchNorm(x, c.mean, c.variance, withOffset ? c.offset : undefined, withScale ? c.scale : undefined, eps),
  };
}

function buildBinary(rng: Rng, maxSize: number, kernel: 'Add' | 'Sub' | 'Multiply'): Built {
  const f = {Add: tf.add, Sub: tf.sub, Multiply: tf.mul}[kernel];
  const out = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 2], [2, 2], [1, 1]]));
  const variant = rng.int(0, 5);
  const other = () => (rng.bool(0.5) ? out : broadcastable(rng, out));
  switch (variant) {
    case 0: {  // both varying, one maybe broadcast
      const [a, b] = rng.bool(0.5) ? [out, other()] : [other(), out];
      return {label: `${kernel} a[${a}] b[${b}] (both varying)`, inputShapes: [a, b], consts: {}, op: (_c, [x, y]) => f(x, y)};
    }
    case 1: {  // varying and a constant, either order
      const k = other();
      const first = rng.bool(0.5);
      return {
        label: `${kernel} ${first ? `x[${out}], const[${k}]` : `const[${k}], x[${out}]`}`, inputShapes: [out],
        consts: {k: constOf(rng, k, -2, 2)}, op: (c, [x]) => (first ? f(x, c.k) : f(c.k, x)),
      };
    }
    case 2: {  // a scalar made anew each frame (a fresh tensor with the same value)
      const s = rng.uniform(-2, 2);
      return {label: `${kernel} x[${out}], scalar ${s.toFixed(3)} (new tensor each frame)`, inputShapes: [out], consts: {},
        op: (_c, [x]) => f(x, s)};
    }
    case 3:  // the same tensor twice
      return {label: `${kernel} x[${out}], x (the same tensor twice)`, inputShapes: [out], consts: {}, op: (_c, [x]) => f(x, x)};
    case 4: {  // a varying small tensor broadcast against a varying big one ([B,H,W,1] masks, [B,1,1,C] vectors)
      const b = out.length === 4 ? rng.pick([[out[0], out[1], out[2], 1], [out[0], 1, 1, out[3]], [1, 1, 1, out[3]]]) : broadcastable(rng, out);
      const first = rng.bool(0.5);
      return {label: `${kernel} ${first ? `x[${out}], v[${b}]` : `v[${b}], x[${out}]`} (both varying, v broadcast)`,
        inputShapes: [out, b], consts: {}, op: (_c, [x, v]) => (first ? f(x, v) : f(v, x))};
    }
    default: {  // two ops of the same kernel in a row (the second consumes the first one's update)
      const k1 = constOf(rng, [out.length ? out[out.length - 1] : 1], -1, 1);
      return {label: `${kernel} (${kernel} x[${out}], const[${k1.shape}]), y[${out}]`, inputShapes: [out, out], autoOk: false,
        consts: {k1}, op: (c, [x, y]) => f(f(x, out.length ? c.k1 : tf.reshape(c.k1, [])), y)};
    }
  }
}

function buildAddN(rng: Rng, maxSize: number): Built {
  const shape = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 1], [2, 1], [1, 1]]));
  const n = rng.int(2, 4);
  const roles = Array.from({length: n}, (_, i) => (i === 0 ? 'x' : rng.pick(['x', 'x', 'const', 'dup'])));
  const varying = roles.filter((r) => r === 'x').length;
  return {
    label: `AddN of ${roles.map((r) => `${r}[${shape}]`).join(', ')}`,
    inputShapes: Array.from({length: varying}, () => shape),
    consts: {k: constOf(rng, shape)},
    op: (c, xs) => {
      let v = 0;
      return tf.addN(roles.map((r) => (r === 'x' ? xs[v++] : r === 'const' ? c.k : xs[0])));
    },
  };
}

function buildResize(rng: Rng, maxSize: number, kernel: 'ResizeBilinear' | 'ResizeNearestNeighbor'): Built {
  const batch = batchOf(rng), h = rng.int(1, maxSize), w = rng.int(1, maxSize), C = rng.pick(CHANNELS);
  const size: [number, number] = [rng.int(1, 2 * maxSize), rng.int(1, 2 * maxSize)];
  const mode = rng.int(0, 2);
  const alignCorners = mode === 1, halfPixelCenters = mode === 2;
  const rank3 = batch === 1 && rng.bool(0.15);
  return {
    label: `${kernel} x[${batch},${h},${w},${C}] -> ${size.join('x')}${alignCorners ? ' alignCorners' : ''}${halfPixelCenters ? ' halfPixelCenters' : ''}${rank3 ? ' rank3' : ''}`,
    inputShapes: [rank3 ? [h, w, C] : [batch, h, w, C]],
    consts: {},
    op: (_c, [x]) => kernel === 'ResizeBilinear' ?
      tf.image.resizeBilinear(x as tf.Tensor4D, size, alignCorners, halfPixelCenters) :
      tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners, halfPixelCenters),
  };
}

function buildConcat(rng: Rng, maxSize: number): Built {
  const base = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 2], [2, 2], [1, 1]]));
  const rank = base.length;
  const axis = rng.int(-rank, rank - 1);
  const ax = axis < 0 ? axis + rank : axis;
  const n = rng.int(2, 4);
  const shapes = Array.from({length: n}, () => {
    const s = [...base];
    s[ax] = ax === rank - 1 ? rng.pick(CHANNELS) : rng.int(1, ax === 0 && rank === 4 ? 3 : maxSize);
    return s;
  });
  // Roles: a varying input, a constant, or a repeat of the first varying input.
  const roles = shapes.map((_, i) => (i === 0 ? 'x' : rng.pick(['x', 'x', 'const', 'dup'])));
  for (let i = 0; i < n; i++) if (roles[i] === 'dup') shapes[i] = shapes[0];
  const varyingShapes = shapes.filter((_, i) => roles[i] === 'x');
  const consts: Case['consts'] = {};
  shapes.forEach((s, i) => { if (roles[i] === 'const') consts[`k${i}`] = constOf(rng, s); });
  return {
    label: `Concat axis ${axis} of ${shapes.map((s, i) => `${roles[i]}[${s}]`).join(', ')}`,
    inputShapes: varyingShapes,
    consts,
    op: (c, xs) => {
      let v = 0;
      return tf.concat(roles.map((r, i) => (r === 'x' ? xs[v++] : r === 'const' ? c[`k${i}`] : xs[0])), axis);
    },
  };
}

function buildPad(rng: Rng, maxSize: number): Built {
  const shape = randomShape(rng, maxSize, pickWeighted(rng, [[4, 6], [3, 2], [2, 2], [1, 1]]));
  const paddings = shape.map((_, d) => (d === shape.length - 1 && rng.bool(0.6) ? [0, 0] : [rng.int(0, 3), rng.int(0, 3)]) as [number, number]);
  const constantValue = rng.bool(0.5) ? 0 : rng.uniform(-1, 1);
  return {
    label: `PadV2 x[${shape}] paddings ${JSON.stringify(paddings)} constant ${constantValue.toFixed(3)}`,
    inputShapes: [shape], consts: {},
    op: (_c, [x]) => tf.pad(x, paddings, constantValue),
  };
}

function buildMean(rng: Rng, maxSize: number): Built {
  const shape = randomShape(rng, maxSize, 4);
  const axes = rng.pick([[1, 2], [-3, -2], [2, 1], [1, -2], [-2, 1]]);
  const keepDims = rng.bool(0.5);
  return {
    label: `Mean x[${shape}] axis [${axes}] keepDims ${keepDims}`,
    inputShapes: [shape], consts: {},
    op: (_c, [x]) => tf.mean(x, axes, keepDims),
  };
}

function build(rng: Rng, maxSize: number, kernel: string): Built {
  switch (kernel) {
    case 'Conv2D': case 'FusedConv2D': return buildConv(rng, maxSize, kernel);
    case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2D': return buildDepthwise(rng, maxSize, kernel);
    case 'Conv2DBackpropInput': return buildTranspose(rng, maxSize);
    case 'MaxPool': case 'AvgPool': return buildPool(rng, maxSize, kernel);
    case 'Relu': case 'Relu6': case 'LeakyRelu': case 'Elu': case 'Sigmoid': case 'Tanh': return buildUnary(rng, maxSize, kernel);
    case 'Prelu': return buildPrelu(rng, maxSize);
    case 'FusedBatchNorm': return buildBatchNorm(rng, maxSize);
    case 'Add': case 'Sub': case 'Multiply': return buildBinary(rng, maxSize, kernel);
    case 'AddN': return buildAddN(rng, maxSize);
    case 'ResizeBilinear': case 'ResizeNearestNeighbor': return buildResize(rng, maxSize, kernel);
    case 'Concat': return buildConcat(rng, maxSize);
    case 'PadV2': return buildPad(rng, maxSize);
    case 'Mean': return buildMean(rng, maxSize);
    default: throw new Error(`fuzz: no generator for kernel ${kernel}`);
  }
}

// ---- wrapping: producer / consumer slots ----------------------------------------------------------

/** A producer in front of a varying input: a delta slot (its update is consumed) or a dense-only op. */
const PRE: Array<[string, string | null, (x: tf.Tensor, k: tf.Tensor) => tf.Tensor]> = [
  ['add const', 'Add', (x, k) => tf.add(x, k)],
  ['relu', 'Relu', (x) => tf.relu(x)],
  ['sigmoid', 'Sigmoid', (x) => tf.sigmoid(x)],
  ['square (dense-only)', null, (x) => tf.square(x)],
];
const POST: Array<[string, string | null, (y: tf.Tensor) => tf.Tensor]> = [
  ['relu', 'Relu', (y) => tf.relu(y)],
  ['mul 0.5', 'Multiply', (y) => tf.mul(y, 0.5)],
  ['tanh', 'Tanh', (y) => tf.tanh(y)],
];

/** The fuzz case of a seed. */
export function fuzzCase(seed: number, o: FuzzOptions = {maxSize: DEFAULT_MAX_SIZE}): FuzzCase {
  const rng = new Rng(seed);
  const kernels = o.kernels ?? FUZZ_KERNELS;
  const target = rng.pick(kernels);
  const b = build(rng, o.maxSize, target);
  const consts = {...b.consts};
  const asserted = new Set<string>([target]);
  let label = b.label;
  let chain = false;

  // A producer slot in front of the varying inputs (the op then consumes updates / re-sparsified tensors).
  let pre: ((x: tf.Tensor, c: Record<string, tf.Tensor>) => tf.Tensor) | null = null;
  let preKernel: string | undefined, postKernel: string | undefined;
  if (b.pre !== false && b.inputShapes.every((s) => s.length > 0) && rng.bool(0.3)) {
    const [name, kernel, fn] = rng.pick(PRE);
    const C = b.inputShapes[0][b.inputShapes[0].length - 1];
    if (name === 'add const') consts.preK = constOf(rng, [C], -0.5, 0.5);
    // A per-channel constant only fits inputs with the same channel count.
    const fits = name !== 'add const' || b.inputShapes.every((s) => s[s.length - 1] === C);
    if (fits) {
      pre = (x, c) => fn(x, c.preK);
      preKernel = kernel ?? 'Square';
      if (kernel) asserted.add(kernel);
      label = `[${name}] -> ${label}`;
      chain = true;
    }
  }
  let post: ((y: tf.Tensor) => tf.Tensor) | null = null;
  if (rng.bool(0.25)) {
    const [name, kernel, fn] = rng.pick(POST);
    post = fn;
    postKernel = kernel ?? undefined;
    if (kernel) asserted.add(kernel);
    label = `${label} -> [${name}]`;
    chain = true;
  }
  const op: Case['op'] = (c, xs) => {
    const ins = pre ? xs.map((x) => pre!(x, c)) : xs;
    const y = b.op(c, ins);
    return post ? post(y) : y;
  };

  // Thresholds of the threshold-mode run, frames and their kinds.
  const thresholds: Thresholds = {input: rng.pick([0.01, 0.05, 0.05, 0.2]), inner: rng.pick([0.005, 0.03, 0.03, 0.15])};
  const frames = rng.int(4, 8);
  // Now and then a keyframe every 2-3 frames (a dense re-seed in the middle of the sequence).
  const keyframeInterval = rng.bool(0.15) ? rng.int(2, 3) : undefined;
  const together = rng.bool(0.5);
  const schedules: FrameKind[][] = b.inputShapes.map(() => ['base']);
  for (let f = 1; f < frames; f++) {
    const shared = pickWeighted(rng, KINDS);
    for (const s of schedules) s.push(together ? shared : pickWeighted(rng, KINDS));
  }
  // Automatic frame detection (else delta.frame()); the README's rule: not when the frame's first
  // kernel comes round again inside the frame.
  const calls = [preKernel, target, postKernel].filter((k) => k !== undefined);
  const autoFrames = rng.bool(0.3) && b.autoOk !== false && calls.filter((k) => k === calls[0]).length === 1;
  return {
    label: `${label}${autoFrames ? ' frames:auto' : ''}${keyframeInterval ? ` keyframes/${keyframeInterval}` : ''} thr ${thresholds.input}/${thresholds.inner} ` +
      `frames ${schedules.map((s) => s.slice(1).join(',')).join(' | ')}`,
    seed, target, schedules, frames,
    kernels: [...asserted],
    inputShapes: b.inputShapes,
    range: b.range,
    consts,
    op,
    autoFrames,
    footprint: b.footprint,
    chain,
    thresholds,
    keyframeInterval,
    // Random geometries: a sparse change may legitimately reach the whole (small) output.
    macs: 'no-change',
  };
}

// ---- frame sequences ------------------------------------------------------------------------------

/**
 * The frames of each varying input for a mode. Exact and threshold mode see the same changes; threshold
 * mode adds sub-threshold noise (0.6 x inputThreshold on 30% of the pixels) to some changing frames.
 */
export function fuzzSequences(c: FuzzCase, mode: 'exact' | 'threshold'): Sequence[] {
  const rng = new Rng((c.seed * 7919 + 17) >>> 0);
  const [lo, hi] = c.range ?? [-1, 1];
  const noiseRng = new Rng((c.seed * 104729 + 3) >>> 0);
  const noiseAmp = 0.6 * (c.thresholds?.input ?? 0.05);
  return c.inputShapes.map((shape, i) => {
    const n = sizeOf(shape);
    const C = shape.length ? shape[shape.length - 1] : 1;
    const pixels = C === 0 ? 0 : n / C;
    const frames: Float32Array[] = [];
    const changed: number[] = [];
    const same: boolean[] = [];
    for (let f = 0; f < c.frames; f++) {
      const kind = c.schedules[i][f];
      if (kind === 'base') {
        frames.push(rng.array(n, lo, hi)); changed.push(1); same.push(false);
        continue;
      }
      const prev = frames[f - 1];
      let v: Float32Array = prev.slice();
      let ch = 0;
      switch (kind) {
        case 'same': frames.push(prev); changed.push(0); same.push(true); continue;
        case 'none': break;
        case 'full': v = rng.array(n, lo, hi); ch = 1; break;
        case 'blobs': ch = pixels ? addBlobs(rng, v, shape.length ? shape : [1], rng.pick([0.02, 0.05, 0.1, 0.3])) : 0; break;
        case 'pixel': {
          const k = rng.int(1, 3);
          const hit = new Set<number>();
          for (let j = 0; j < k && pixels > 0; j++) {
            const p = rng.int(0, pixels - 1);
            hit.add(p);
            // One channel or all of them.
            const c0 = rng.bool(0.5) ? rng.int(0, C - 1) : -1;
            for (let cc = 0; cc < C; cc++) if (c0 < 0 || cc === c0) v[p * C + cc] += rng.sign() * rng.uniform(0.1, 1);
          }
          ch = pixels ? hit.size / pixels : 0;
          break;
        }
        case 'tiny': {
          let hit = 0;
          for (let p = 0; p < pixels; p++) {
            if (!rng.bool(0.2)) continue;
            hit++;
            v[p * C + rng.int(0, C - 1)] += rng.sign() * 1e-6;
          }
          ch = pixels ? hit / pixels : 0;
          break;
        }
        case 'revert': v = (f >= 2 ? frames[f - 2] : frames[0]).slice(); ch = 1; break;
      }
      if (mode === 'threshold' && kind !== 'none' && noiseRng.bool(0.4)) {
        for (let p = 0; p < pixels; p++) {
          if (!noiseRng.bool(0.3)) continue;
          for (let cc = 0; cc < C; cc++) v[p * C + cc] += noiseRng.uniform(-noiseAmp, noiseAmp);
        }
        ch = Math.max(ch, 0.3);
      }
      frames.push(v); changed.push(ch); same.push(false);
    }
    return {shape, frames, changed, same};
  });
}
