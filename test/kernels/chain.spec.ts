// Small chains of delta kernels: updates flow from slot to slot (inputs of kind 'update'), a slot fed
// by two slots (residual add, gating multiply), and a slot fed through an op without a delta kernel
// (re-sparsification of a dense tensor derived from the delta graph). Every slot is checked as in the
// single-op specs (harness.ts): exact mode against the dense cpu result of the whole chain, and the
// invariant at every slot in threshold mode.
import * as tf from '@tensorflow/tfjs-core';
import {Case, kernelSpecs, ODD_CHANNELS, Rng, seedOf, nCases} from './harness';

function w(rng: Rng, shape: number[], fanIn: number) {
  const s = 1.5 / Math.sqrt(fanIn);
  return {shape, values: rng.array(shape.reduce((a, b) => a * b, 1), -s, s)};
}

function x4(t: tf.Tensor) { return t as tf.Tensor4D; }

type Make = (rng: Rng, seed: number, i: number) => Case;

const CHAINS: Array<[string, Make]> = [
  ['chain conv -> relu -> maxpool', (rng, seed, i) => {
    const b = i === 1 ? 3 : 1, h = rng.int(12, 22), wd = rng.int(12, 22), cin = rng.pick(ODD_CHANNELS), cout = rng.pick([3, 5]);
    const k = rng.pick([3, 5]);
    return {
      label: `conv ${k}x${k} [${b},${h},${wd},${cin}]->${cout} -> relu -> maxPool 3x3 s2 same`, seed,
      kernels: ['Conv2D', 'Relu', 'MaxPool'], inputShapes: [[b, h, wd, cin]],
      consts: {f: w(rng, [k, k, cin, cout], k * k * cin)},
      op: (c, [x]) => tf.maxPool(tf.relu(tf.conv2d(x4(x), x4(c.f), 1, 'same')), 3, 2, 'same'),
    };
  }],
  ['chain mobilenet block', (rng, seed, i) => {
    // fused conv (bias) -> batchnorm -> relu6 -> depthwise s2 -> fused conv 1x1 (relu) -> avgpool -> mean
    const b = i === 1 ? 3 : 1, h = rng.int(14, 22), wd = rng.int(14, 22), cin = 3, c1 = 5;
    return {
      label: `fusedConv3x3+bias -> batchNorm -> relu6 -> depthwise 3x3 s2 -> fusedConv1x1 relu -> avgPool 2x2 -> mean [${b},${h},${wd},3]`,
      seed, kernels: ['FusedConv2D', 'FusedBatchNorm', 'Relu6', 'DepthwiseConv2dNative', 'AvgPool', 'Mean'],
      inputShapes: [[b, h, wd, cin]],
      consts: {
        f1: w(rng, [3, 3, cin, c1], 27), b1: {shape: [c1], values: rng.array(c1, -0.3, 0.3)},
        mean: {shape: [c1], values: rng.array(c1, -0.2, 0.2)}, variance: {shape: [c1], values: rng.array(c1, 0.3, 1.5)},
        offset: {shape: [c1], values: rng.array(c1, 0, 2)}, scale: {shape: [c1], values: rng.array(c1, 0.5, 3)},
        dw: w(rng, [3, 3, c1, 1], 9), f2: w(rng, [1, 1, c1, 7], c1),
      },
      op: (c, [x]) => {
        const a = tf.fused.conv2d({x: x4(x), filter: x4(c.f1), strides: 1, pad: 'same', bias: c.b1});
        const bn = tf.relu6(tf.batchNorm(a, c.mean, c.variance, c.offset, c.scale));
        const d = tf.depthwiseConv2d(x4(bn), x4(c.dw), 2, 'same');
        const p = tf.fused.conv2d({x: d, filter: x4(c.f2), strides: 1, pad: 'valid', activation: 'relu'});
        return tf.mean(tf.avgPool(p, 2, 2, 'valid'), [1, 2]);
      },
    };
  }],
  ['chain residual add', (rng, seed) => {
    // y = conv2(relu(conv1(x))) + conv1(x): Add of two slots' updates.
    const h = rng.int(10, 20), wd = rng.int(10, 20), C = 5;
    return {
      label: `conv1 -> relu -> conv2, + conv1 (residual) -> relu [1,${h},${wd},3]`, seed,
      kernels: ['Conv2D', 'Relu', 'Add'], inputShapes: [[1, h, wd, 3]],
      consts: {f1: w(rng, [3, 3, 3, C], 27), f2: w(rng, [3, 3, C, C], 9 * C)},
      op: (c, [x]) => {
        const a = tf.conv2d(x4(x), x4(c.f1), 1, 'same');
        return tf.relu(tf.add(tf.conv2d(x4(tf.relu(a)), x4(c.f2), 1, 'same'), a));
      },
    };
  }],
  ['chain gating multiply', (rng, seed) => {
    // relu(conv_a(x)) * sigmoid(conv_b(x)): a Multiply of two delta-graph tensors (nonlinear).
    const h = rng.int(10, 20), wd = rng.int(10, 20), C = 3;
    return {
      label: `relu(conv_a(x)) * sigmoid(conv_b(x)) [1,${h},${wd},3]`, seed,
      kernels: ['Conv2D', 'Relu', 'Sigmoid', 'Multiply'], inputShapes: [[1, h, wd, 3]], nonlinear: ['Multiply'],
      consts: {fa: w(rng, [3, 3, 3, C], 27), fb: w(rng, [5, 5, 3, C], 75)},
      op: (c, [x]) => tf.mul(tf.relu(tf.conv2d(x4(x), x4(c.fa), 1, 'same')), tf.sigmoid(tf.conv2d(x4(x), x4(c.fb), 1, 'same'))),
    };
  }],
  ['chain decoder', (rng, seed) => {
    // conv -> resizeBilinear x2 -> concat with a second conv (upsampled by nearest) -> pad -> conv2dTranspose s2
    const h = rng.int(8, 12), wd = rng.int(8, 12);
    return {
      label: `conv -> resizeBilinear x2 ++ resizeNearest(conv) -> pad -> conv2dTranspose s2 [1,${h},${wd},3]`, seed,
      kernels: ['Conv2D', 'ResizeBilinear', 'ResizeNearestNeighbor', 'Concat', 'PadV2', 'Conv2DBackpropInput'],
      inputShapes: [[1, h, wd, 3]],
      consts: {f1: w(rng, [3, 3, 3, 3], 27), f2: w(rng, [1, 1, 3, 2], 3), ft: w(rng, [3, 3, 4, 5], 45)},
      op: (c, [x]) => {
        const a = tf.image.resizeBilinear(x4(tf.conv2d(x4(x), x4(c.f1), 1, 'same')), [2 * h, 2 * wd], false, true);
        const b = tf.image.resizeNearestNeighbor(x4(tf.conv2d(x4(x), x4(c.f2), 1, 'same')), [2 * h, 2 * wd]);
        const p = tf.pad(tf.concat([a, b], -1), [[0, 0], [1, 1], [1, 1], [0, 0]]);
        return tf.conv2dTranspose(x4(p), x4(c.ft), [1, 4 * h + 4, 4 * wd + 4, 4], 2, 'same');
      },
    };
  }],
  ['chain shared weights', (rng, seed) => {
    // The same filter tensor used twice in a frame: two slots keyed by (filter, occurrence).
    const h = rng.int(10, 20), wd = rng.int(10, 20), C = rng.pick([3, 5]);
    return {
      label: `conv(relu(conv(x, f)), f) with one filter f [1,${h},${wd},${C}]`, seed, kernels: ['Conv2D', 'Relu'],
      inputShapes: [[1, h, wd, C]], consts: {f: w(rng, [3, 3, C, C], 9 * C)},
      op: (c, [x]) => tf.conv2d(x4(tf.relu(tf.conv2d(x4(x), x4(c.f), 1, 'same'))), x4(c.f), 1, 'same'),
    };
  }],
  ['chain through a dense-only op', (rng, seed) => {
    // conv -> square (no delta kernel: dense, its output is re-sparsified by the next slot) -> conv
    const h = rng.int(10, 20), wd = rng.int(10, 20);
    return {
      label: `conv -> square (dense fallback) -> conv [1,${h},${wd},3]`, seed,
      kernels: ['Conv2D'], inputShapes: [[1, h, wd, 3]],
      consts: {f1: w(rng, [3, 3, 3, 4], 27), f2: w(rng, [3, 3, 4, 3], 36)},
      op: (c, [x]) => tf.conv2d(x4(tf.square(tf.conv2d(x4(x), x4(c.f1), 1, 'same'))), x4(c.f2), 1, 'same'),
    };
  }],
];

describe('delta kernels: chains of slots (delta-cpu vs cpu)', () => {
  for (const [group, make] of CHAINS) {
    kernelSpecs(group, () => Array.from({length: nCases(3)}, (_, i) => {
      const seed = seedOf(group, i);
      return {...make(new Rng(seed), seed, i), chain: true};
    }));
  }
});
