// Elementwise delta kernels vs the dense kernels: Relu, Relu6, LeakyRelu, Prelu, Elu, Sigmoid, Tanh,
// FusedBatchNorm (tf.batchNorm), Add, AddN, Sub, Multiply (by a constant, two varying inputs, and two
// tensors that both come from delta kernels: the nonlinear case). See harness.ts for the checks.
import * as tf from '@tensorflow/tfjs-core';
import {Case, kernelSpecs, ODD_CHANNELS, Rng, seedOf, nCases} from './harness';

function randomShape(rng: Rng, rank = 4): number[] {
  const c = rng.pick(ODD_CHANNELS);
  if (rank === 2) return [rng.int(9, 40), c];
  return [rng.bool(0.3) ? 3 : 1, rng.int(9, 24), rng.int(9, 24), c];
}

function cases(n: number, make: (i: number, rng: Rng, seed: number) => Case): (group: string) => () => Case[] {
  return (group) => () => Array.from({length: nCases(n)}, (_, i) => {
    const seed = seedOf(group, i);
    return make(i, new Rng(seed), seed);
  });
}

function unaryCase(kernel: string, op: (x: tf.Tensor, rng: Rng) => {f: (x: tf.Tensor) => tf.Tensor; attrs: string},
                   range: [number, number] = [-1, 1]) {
  return cases(8, (i, rng, seed) => {
    const shape = randomShape(rng, i % 4 === 3 ? 2 : 4);
    const {f, attrs} = op(null as unknown as tf.Tensor, rng);
    return {
      label: `${kernel} x[${shape}]${attrs}`, seed, kernels: [kernel], inputShapes: [shape], consts: {}, range,
      op: (_c, [x]) => f(x),
    };
  });
}

describe('delta kernels: elementwise (delta-cpu vs cpu)', () => {
  const specs: Array<[string, (group: string) => () => Case[]]> = [
    ['Relu', unaryCase('Relu', () => ({f: (x) => tf.relu(x), attrs: ''}))],
    ['Relu6', unaryCase('Relu6', () => ({f: (x) => tf.relu6(x), attrs: ''}), [-3, 9])],
    ['LeakyRelu', unaryCase('LeakyRelu', (_x, rng) => {
      const alpha = rng.uniform(0.05, 0.4);
      return {f: (x) => tf.leakyRelu(x, alpha), attrs: ` alpha ${alpha.toFixed(3)}`};
    })],
    ['Elu', unaryCase('Elu', () => ({f: (x) => tf.elu(x), attrs: ''}), [-3, 2])],
    ['Sigmoid', unaryCase('Sigmoid', () => ({f: (x) => tf.sigmoid(x), attrs: ''}), [-4, 4])],
    ['Tanh', unaryCase('Tanh', () => ({f: (x) => tf.tanh(x), attrs: ''}), [-2, 2])],
    ['Prelu', cases(8, (i, rng, seed) => {
      const shape = randomShape(rng, i % 4 === 3 ? 2 : 4);
      const C = shape[shape.length - 1];
      // alpha per channel, or per channel as a rank-3 [1, 1, C] tensor.
      const aShape = i % 4 === 1 ? [1, 1, C] : [C];
      return {
        label: `Prelu x[${shape}] alpha[${aShape}]`, seed, kernels: ['Prelu'], inputShapes: [shape],
        consts: {alpha: {shape: aShape, values: rng.array(C, 0.05, 0.5)}},
        op: (c, [x]) => tf.prelu(x, c.alpha),
      };
    })],
    ['FusedBatchNorm', cases(8, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      const withOffset = i % 4 !== 1, withScale = i % 4 !== 2;
      const eps = rng.pick([0.001, 1e-5, 0.1]);
      return {
        label: `FusedBatchNorm x[${shape}]${withOffset ? ' offset' : ''}${withScale ? ' scale' : ''} eps ${eps}`, seed,
        kernels: ['FusedBatchNorm'], inputShapes: [shape],
        consts: {
          mean: {shape: [C], values: rng.array(C, -0.5, 0.5)}, variance: {shape: [C], values: rng.array(C, 0.1, 2)},
          offset: {shape: [C], values: rng.array(C, -1, 1)}, scale: {shape: [C], values: rng.array(C, 0.2, 3)},
        },
        op: (c, [x]) => tf.batchNorm(x, c.mean, c.variance, withOffset ? c.offset : undefined, withScale ? c.scale : undefined, eps),
      };
    })],
    ['Add', cases(14, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      const variants: Array<() => Case> = [
        () => ({label: `Add x[${shape}] + y[${shape}] (both varying)`, seed, kernels: ['Add'], inputShapes: [shape, shape], consts: {},
          op: (_c, [x, y]) => tf.add(x, y)}),
        () => ({label: `Add x[${shape}] + const[${C}]`, seed, kernels: ['Add'], inputShapes: [shape],
          consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.add(x, c.b)}),
        () => ({label: `Add const[1,${shape[1]},${shape[2]},${C}] + x[${shape}]`, seed, kernels: ['Add'], inputShapes: [shape],
          consts: {b: {shape: [1, shape[1], shape[2], C], values: rng.array(shape[1] * shape[2] * C)}}, op: (c, [x]) => tf.add(c.b, x)}),
        () => ({label: `Add x[${shape}] + scalar 0.25 (a new scalar tensor every frame)`, seed, kernels: ['Add'], inputShapes: [shape],
          consts: {}, op: (_c, [x]) => tf.add(x, 0.25)}),
        // Two Adds in a row (the second one's input carries an update from the first).
        () => ({label: `Add (x[${shape}] + const[${C}]) + const[1,1,1,${C}]`, seed, kernels: ['Add'], inputShapes: [shape],
          consts: {b: {shape: [C], values: rng.array(C)}, d: {shape: [1, 1, 1, C], values: rng.array(C)}},
          op: (c, [x]) => tf.add(tf.add(x, c.b), c.d)}),
        // A varying per-image vector [B,1,1,C]: when it changes, every pixel of that image changes
        // (so a sparse frame of the vector is a dense frame of the output: no MAC check).
        () => ({label: `Add x[${shape}] + v[${shape[0]},1,1,${C}] (varying, broadcast over H,W)`, seed, kernels: ['Add'],
          inputShapes: [shape, [shape[0], 1, 1, C]], consts: {}, macsExempt: ['Add'], op: (_c, [x, v]) => tf.add(x, v)}),
        // The same tensor as both inputs.
        () => ({label: `Add x[${shape}] + x (the same tensor twice)`, seed, kernels: ['Add'], inputShapes: [shape], consts: {},
          op: (_c, [x]) => tf.add(x, x)}),
      ];
      return variants[i % variants.length]();
    })],
    // A varying [B,H,W,1] plane broadcast over the channels of a varying [B,H,W,C] tensor (masks,
    // spatial attention): the plane's pixels are the output's pixels, so a sparse change of the plane
    // is a sparse change of the output.
    ['Add/Sub/Multiply broadcast over channels', cases(6, (i, rng, seed) => {
      const shape = randomShape(rng);
      shape[3] = rng.pick([3, 5, 7]);  // more than one channel, so that y really broadcasts
      const plane = [...shape.slice(0, 3), 1];
      const [name, f] = ([['Add', tf.add], ['Multiply', tf.mul], ['Sub', tf.sub]] as const)[i % 3];
      return {label: `${name} x[${shape}] and y[${plane}] (both varying, y broadcast over channels)`, seed, kernels: [name],
        inputShapes: [shape, plane], consts: {}, op: (_c, [x, y]) => (i % 2 ? f(y, x) : f(x, y))};
    })],
    ['AddN', cases(6, (i, rng, seed) => {
      const shape = randomShape(rng);
      const n = 2 + (i % 2);
      const withConst = i % 3 === 2;
      return {
        label: `AddN ${n} varying x[${shape}]${withConst ? ' + const' : ''}`, seed, kernels: ['AddN'],
        inputShapes: Array.from({length: n}, () => shape),
        consts: (withConst ? {k: {shape, values: rng.array(shape.reduce((a, b) => a * b, 1))}} : {}) as Case['consts'],
        op: (c, xs) => tf.addN(withConst ? [...xs, c.k] : xs),
      };
    })],
    ['Sub', cases(8, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      const variants: Array<() => Case> = [
        () => ({label: `Sub x[${shape}] - y[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape, shape], consts: {},
          op: (_c, [x, y]) => tf.sub(x, y)}),
        () => ({label: `Sub const[${C}] - x[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape],
          consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.sub(c.b, x)}),
        () => ({label: `Sub x[${shape}] - const[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape],
          consts: {b: {shape, values: rng.array(shape.reduce((a, b) => a * b, 1))}}, op: (c, [x]) => tf.sub(x, c.b)}),
        () => ({label: `Sub x[${shape}] - 1.5 (scalar)`, seed, kernels: ['Sub'], inputShapes: [shape], consts: {},
          op: (_c, [x]) => tf.sub(x, 1.5)}),
      ];
      return variants[i % variants.length]();
    })],
    ['Multiply const', cases(6, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      const variants: Array<() => Case> = [
        () => ({label: `Multiply x[${shape}] * const[${C}]`, seed, kernels: ['Multiply'], inputShapes: [shape],
          consts: {b: {shape: [C], values: rng.array(C, -2, 2)}}, op: (c, [x]) => tf.mul(x, c.b)}),
        () => ({label: `Multiply const[${shape}] * x[${shape}]`, seed, kernels: ['Multiply'], inputShapes: [shape],
          consts: {b: {shape, values: rng.array(shape.reduce((a, b) => a * b, 1), -2, 2)}}, op: (c, [x]) => tf.mul(c.b, x)}),
        () => ({label: `Multiply x[${shape}] * 0.7 (scalar)`, seed, kernels: ['Multiply'], inputShapes: [shape], consts: {},
          op: (_c, [x]) => tf.mul(x, 0.7)}),
      ];
      return variants[i % variants.length]();
    })],
    ['Multiply two varying', cases(9, (i, rng, seed) => {
      const shape = randomShape(rng);
      if (i % 3 === 2) {
        return {label: `Multiply x[${shape}] * x (the same tensor twice)`, seed, kernels: ['Multiply'],
          inputShapes: [shape], consts: {}, op: (_c, [x]) => tf.mul(x, x)};
      }
      if (i % 3 === 0) {
        return {label: `Multiply x[${shape}] * y[${shape}] (two frame inputs)`, seed, kernels: ['Multiply'],
          inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.mul(x, y)};
      }
      // Both factors come from delta kernels: the nonlinear class (truncated at the threshold).
      return {label: `Multiply relu(x[${shape}]) * sigmoid(y[${shape}]) (two delta-graph tensors)`, seed,
        kernels: ['Relu', 'Sigmoid', 'Multiply'], inputShapes: [shape, shape], consts: {}, chain: true, nonlinear: ['Multiply'],
        op: (_c, [x, y]) => tf.mul(tf.relu(x), tf.sigmoid(y))};
    })],
  ];
  for (const [group, make] of specs) kernelSpecs(group, make(group));
});
