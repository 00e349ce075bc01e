// Case builders of the GPU backends' kernel specs (test/webgpu/kernels.spec.ts,
// test/cuda/delta_kernels.spec.ts), for the harness of harness.ts: elementwise, conv, depthwise and a
// conv -> relu -> depthwise -> add chain, each a random case per index from a seeded Rng.
// What differs between the backends (seed prefix, cases per spec, channel counts drawn) is a CaseProfile;
// the specs keep their backend setup, tolerances and device checks.
import * as tf from '@tensorflow/tfjs-core';
import {Case, Geometry, geometryLabel, nCases, randomGeometry, Rng, seedOf} from './harness';

/** A spec's cases for its group name (the seeds derive from it): kernelSpecs(group, make(group)). */
export type CaseMaker = (group: string) => () => Case[];

/** What a backend's kernel spec draws: seeds, how many cases and which channel counts. */
export interface CaseProfile {
  /** Case i of group g has the seed seedOf(`${seedPrefix} ${g}`, i). */
  seedPrefix: string;
  /** Cases per spec (times DELTA_KERNEL_SCALE) of unary, convCase and depthwiseCase. */
  perSpec: number;
  /** Cases of chainCase. */
  chainCases: number;
  /** Channel counts of randomShape (the elementwise specs' inputs). */
  channels: number[];
  /** Input and output channel counts of convCase. */
  convIn: number[];
  convOut: number[];
  /** Input channel counts of depthwiseCase. */
  depthwiseIn: number[];
}

/** Filter values uniform in +-1.5/sqrt(fanIn). */
export function weights(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const s = 1.5 / Math.sqrt(fanIn);
  return rng.array(shape.reduce((a, b) => a * b, 1), -s, s);
}

/** Output pixels one changed input pixel can reach in a conv of geometry g (Case.footprint). */
export const footprint = (g: Geometry) => Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]);

export function caseBuilders(p: CaseProfile) {
  /** n cases (times DELTA_KERNEL_SCALE) from make(i, rng, seed, group), one seeded Rng per case. */
  function cases(n: number, make: (i: number, rng: Rng, seed: number, group: string) => Case): CaseMaker {
    return (group) => () => Array.from({length: nCases(n)}, (_, i) => {
      const seed = seedOf(`${p.seedPrefix} ${group}`, i);
      return make(i, new Rng(seed), seed, group);
    });
  }

  function randomShape(rng: Rng): number[] {
    return [rng.bool(0.3) ? 2 : 1, rng.int(9, 24), rng.int(9, 24), rng.pick(p.channels)];
  }

  /** f gets the input and an Rng of its own (seed + 1), made once per case. */
  function unary(kernel: string, f: (x: tf.Tensor, rng: Rng) => tf.Tensor, range: [number, number] = [-1, 1]): CaseMaker {
    return cases(p.perSpec, (_i, rng, seed) => {
      const shape = randomShape(rng);
      const r = new Rng(seed + 1);
      return {label: `${kernel} x[${shape}]`, seed, kernels: [kernel], inputShapes: [shape], consts: {}, range,
        op: (_c, [x]) => f(x, r)};
    });
  }

  /** Every third case marks no frames (autoFrames). 'prelu' draws per-channel alphas. */
  function convCase(kernel: 'Conv2D' | 'FusedConv2D', activation: tf.fused.Activation, bias: boolean): CaseMaker {
    return cases(p.perSpec, (i, rng, seed) => {
      const g = randomGeometry(rng);
      const cin = rng.pick(p.convIn), cout = rng.pick(p.convOut);
      const filterShape = [g.fh, g.fw, cin, cout];
      const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw * cin)}};
      const fused = kernel === 'FusedConv2D';
      if (fused && bias) consts.bias = {shape: [cout], values: rng.array(cout, -0.5, 0.5)};
      if (activation === 'prelu') consts.alpha = {shape: [cout], values: rng.array(cout, 0.05, 0.3)};
      const leakyreluAlpha = rng.uniform(0.05, 0.3);
      return {
        label: `${kernel}${fused ? ` ${activation}${bias ? ' +bias' : ''}` : ''} ${geometryLabel(g)} cin ${cin} cout ${cout}${i % 3 === 2 ? ' frames:auto' : ''}`,
        seed, kernels: [kernel], inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g), autoFrames: i % 3 === 2,
        op: (c, [x]) => fused ?
          tf.fused.conv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides, pad: g.pad,
            dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation, leakyreluAlpha,
            preluActivationWeights: c.alpha}) :
          tf.conv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
      };
    });
  }

  /** Depthwise (channel multiplier 2 on odd cases); fused: with bias, no explicit padding. */
  function depthwiseCase(fused: boolean, activation: tf.fused.Activation): CaseMaker {
    return cases(p.perSpec, (i, rng, seed) => {
      const g = randomGeometry(rng, {explicit: !fused});
      const cin = rng.pick(p.depthwiseIn), mult = i % 2 ? 2 : 1;
      const filterShape = [g.fh, g.fw, cin, mult];
      const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw)}};
      if (fused) consts.bias = {shape: [cin * mult], values: rng.array(cin * mult, -0.5, 0.5)};
      const kernel = fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
      return {
        label: `${kernel}${fused ? ` ${activation} +bias` : ''} mult ${mult} ${geometryLabel(g)} cin ${cin}`,
        seed, kernels: [kernel], inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g),
        op: (c, [x]) => fused ?
          tf.fused.depthwiseConv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides,
            pad: g.pad as 'same' | 'valid' | number, dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation}) :
          tf.depthwiseConv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
      };
    });
  }

  /** The chain conv -> relu -> depthwise (relu6, bias) -> add (a residual of the relu). */
  function chainCase(): CaseMaker {
    return cases(p.chainCases, (_i, rng, seed) => {
      const shape = [1, rng.int(12, 24), rng.int(12, 24), 3];
      const c1 = 8;
      const f1 = {shape: [3, 3, 3, c1], values: weights(rng, [3, 3, 3, c1], 27)};
      const dw = {shape: [3, 3, c1, 1], values: weights(rng, [3, 3, c1, 1], 9)};
      const b1 = {shape: [c1], values: rng.array(c1, -0.3, 0.3)};
      return {
        label: `chain x[${shape}]`, seed, chain: true, inputShapes: [shape], consts: {f1, dw, b1},
        kernels: ['Conv2D', 'Relu', 'FusedDepthwiseConv2D', 'Add'],
        op: (c, [x]) => {
          const a = tf.relu(tf.conv2d(x as tf.Tensor4D, c.f1 as tf.Tensor4D, 1, 'same'));
          const d = tf.fused.depthwiseConv2d({x: a as tf.Tensor4D, filter: c.dw as tf.Tensor4D, strides: 1, pad: 'same', bias: c.b1, activation: 'relu6'});
          return tf.add(a, d);
        },
      };
    });
  }

  /** The activation specs (group name, cases), each on an input range that covers its nonlinear part. */
  function unarySpecs(): Array<[string, CaseMaker]> {
    return [
      ['Relu', unary('Relu', (x) => tf.relu(x))],
      ['Relu6', unary('Relu6', (x) => tf.relu6(x), [-3, 9])],
      ['LeakyRelu', unary('LeakyRelu', (x) => tf.leakyRelu(x, 0.17))],
      ['Elu', unary('Elu', (x) => tf.elu(x), [-3, 2])],
      ['Sigmoid', unary('Sigmoid', (x) => tf.sigmoid(x), [-4, 4])],
      ['Tanh', unary('Tanh', (x) => tf.tanh(x), [-2, 2])],
    ];
  }

  return {cases, randomShape, unary, convCase, depthwiseCase, chainCase, unarySpecs};
}
