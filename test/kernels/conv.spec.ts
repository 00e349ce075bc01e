// Conv-family delta kernels vs the dense kernels: FusedConv2D (every fused activation, with and
// without bias), Conv2D, DepthwiseConv2dNative (channel multiplier 1 and 2), FusedDepthwiseConv2D,
// Conv2DBackpropInput (tf.conv2dTranspose). See harness.ts for what is checked.
import * as tf from '@tensorflow/tfjs-core';
import {backend_util} from '@tensorflow/tfjs-core';
import {Case, Geometry, geometryLabel, kernelSpecs, ODD_CHANNELS, Pad, padLabel, randomGeometry, Rng, seedOf, nCases} from './harness';

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'prelu', 'leakyrelu', 'elu', 'sigmoid'] as const;
type Activation = typeof ACTIVATIONS[number];

function weights(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const s = 1.5 / Math.sqrt(fanIn);
  return rng.array(shape.reduce((a, b) => a * b, 1), -s, s);
}

interface ConvOpts { kernel: 'Conv2D' | 'FusedConv2D'; activation?: Activation; bias?: boolean }

/**
 * Output pixels one changed input pixel can reach: the conv kernels recompute every touched output
 * pixel over its whole receptive field (bit-exact with cpu), so, like pools, a sparse change on a
 * small map with a large kernel may legitimately cost a dense run.
 */
function convFootprint(g: Geometry): number {
  return Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]);
}

function convCase(group: string, i: number, o: ConvOpts): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  const g: Geometry = randomGeometry(rng);
  const cin = rng.pick(ODD_CHANNELS), cout = rng.pick([1, 3, 5, 7, 4]);
  const filterShape = [g.fh, g.fw, cin, cout];
  const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw * cin)}};
  const fused = o.kernel === 'FusedConv2D';
  const activation = o.activation ?? 'linear';
  const biasShape = rng.bool(0.8) ? [cout] : [1];
  if (fused && o.bias) consts.bias = {shape: biasShape, values: rng.array(biasShape[0], -0.5, 0.5)};
  if (fused && activation === 'prelu') consts.alpha = {shape: [cout], values: rng.array(cout, 0.05, 0.5)};
  const leakyreluAlpha = rng.uniform(0.05, 0.3);
  const auto = i % 3 === 2;
  return {
    label: `${o.kernel}${fused ? ` ${activation}${o.bias ? ` +bias[${biasShape}]` : ''}` : ''} ${geometryLabel(g)} cin ${cin} cout ${cout}` +
      (auto ? ' frames:auto' : ''),
    seed,
    kernels: [o.kernel],
    inputShapes: [[g.batch, g.h, g.w, cin]],
    consts,
    autoFrames: auto,
    footprint: convFootprint(g),
    op: (c, [x]) => fused ?
      tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides, pad: g.pad, dilations: g.dilations,
        dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation, preluActivationWeights: c.alpha, leakyreluAlpha,
      }) :
      tf.conv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
  };
}

function depthwiseCase(group: string, i: number, o: {fused: boolean; mult: number; activation?: Activation; bias?: boolean}): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  // tf.fused.depthwiseConv2d takes no explicit padding.
  const g = randomGeometry(rng, {explicit: !o.fused});
  const cin = rng.pick(ODD_CHANNELS);
  const filterShape = [g.fh, g.fw, cin, o.mult];
  const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw)}};
  const activation = o.activation ?? 'linear';
  const cout = cin * o.mult;
  if (o.fused && o.bias) consts.bias = {shape: [cout], values: rng.array(cout, -0.5, 0.5)};
  if (o.fused && activation === 'prelu') consts.alpha = {shape: [cout], values: rng.array(cout, 0.05, 0.5)};
  const leakyreluAlpha = rng.uniform(0.05, 0.3);
  const kernel = o.fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
  return {
    label: `${kernel}${o.fused ? ` ${activation}${o.bias ? ' +bias' : ''}` : ''} mult ${o.mult} ${geometryLabel(g)} cin ${cin}`,
    seed,
    kernels: [kernel],
    footprint: convFootprint(g),
    inputShapes: [[g.batch, g.h, g.w, cin]],
    consts,
    op: (c, [x]) => o.fused ?
      tf.fused.depthwiseConv2d({
        x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides, pad: g.pad as 'same' | 'valid' | number,
        dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation,
        preluActivationWeights: c.alpha, leakyreluAlpha,
      }) :
      tf.depthwiseConv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
  };
}

/** tf.conv2dTranspose: picks an output shape whose forward conv gives back dy's shape. */
function transposeCase(group: string, i: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  for (;;) {
    const [fh, fw] = rng.pick<[number, number]>([[1, 1], [3, 3], [5, 5], [7, 7], [3, 5], [2, 2], [4, 4]]);
    const strides = rng.pick<[number, number]>([[1, 1], [2, 2], [1, 2], [2, 1]]);
    const pad: Pad = rng.pick<Pad>(['same', 'valid', rng.int(0, 2),
      [[0, 0], [rng.int(0, 2), rng.int(0, 2)], [rng.int(0, 2), rng.int(0, 2)], [0, 0]]]);
    const batch = rng.bool(0.3) ? 3 : 1;
    const h = rng.int(5, 12), w = rng.int(5, 12);
    const cinT = rng.pick(ODD_CHANNELS), outC = rng.pick([1, 3, 5, 7]);
    const filterShape: [number, number, number, number] = [fh, fw, outC, cinT];
    const fits = (n: number, dim: 0 | 1) => {
      const out: number[] = [];
      for (let H = 1; H <= n * 2 + 8; H++) {
        const shape: [number, number, number, number] = dim === 0 ? [batch, H, 9, outC] : [batch, 9, H, outC];
        try {
          const info = backend_util.computeConv2DInfo(shape, filterShape, strides, 1, pad);
          if ((dim === 0 ? info.outHeight : info.outWidth) === n) out.push(H);
        } catch { /* invalid */ }
      }
      return out;
    };
    const hs = fits(h, 0), ws = fits(w, 1);
    if (hs.length === 0 || ws.length === 0) continue;
    const H = rng.pick(hs), W = rng.pick(ws);
    const outputShape: [number, number, number, number] = [batch, H, W, outC];
    const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, fh * fw * cinT / (strides[0] * strides[1]))}};
    return {
      label: `Conv2DBackpropInput dy[${batch},${h},${w},${cinT}] -> [${outputShape}] k${fh}x${fw} s${strides.join('x')} pad ${padLabel(pad)}`,
      seed,
      kernels: ['Conv2DBackpropInput'],
      footprint: fh * fw,
      inputShapes: [[batch, h, w, cinT]],
      consts,
      op: (c, [x]) => tf.conv2dTranspose(x as tf.Tensor4D, c.filter as tf.Tensor4D, outputShape, strides, pad),
    };
  }
}

function cases(n: number, make: (i: number) => Case): () => Case[] {
  return () => Array.from({length: nCases(n)}, (_, i) => make(i));
}

describe('delta kernels: conv family (delta-cpu vs cpu)', () => {
  for (const activation of ACTIVATIONS) {
    for (const bias of [true, false]) {
      const group = `FusedConv2D ${activation}${bias ? ' +bias' : ''}`;
      kernelSpecs(group, cases(5, (i) => convCase(group, i, {kernel: 'FusedConv2D', activation, bias})));
    }
  }
  kernelSpecs('Conv2D', cases(16, (i) => convCase('Conv2D', i, {kernel: 'Conv2D'})));
  for (const mult of [1, 2]) {
    const group = `DepthwiseConv2dNative mult ${mult}`;
    kernelSpecs(group, cases(8, (i) => depthwiseCase(group, i, {fused: false, mult})));
  }
  for (const activation of ACTIVATIONS) {
    const group = `FusedDepthwiseConv2D ${activation}`;
    kernelSpecs(group, cases(4, (i) => depthwiseCase(group, i, {fused: true, mult: 1 + (i % 2), activation, bias: i % 2 === 0})));
  }
  kernelSpecs('Conv2DBackpropInput', cases(12, (i) => transposeCase('Conv2DBackpropInput', i)));
});
