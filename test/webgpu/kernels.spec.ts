// delta-webgpu kernels vs the dense cpu backend (the harness of test/kernels, driven on delta-webgpu):
// every frame of each sequence (10 frames, random blobs changing 0..30% of the pixels, a frame without
// change, one passing the same tensor) equals tfjs cpu within 1e-4 relative (exact mode); the slots took
// the delta path after the first frame; a frame without change performs <= 1% of the dense MACs; sparse
// frames fewer MACs than dense; an older output tensor keeps its values (copy-on-write); no tensor leaks;
// no device validation/internal/OOM error in any frame (error scopes). Threshold mode is not run here:
// delta-webgpu keeps no debug records (they would need a synchronous readback).
//
//   npm run build && node scripts/build-tests.mjs && node test/run-jasmine.cjs test/jasmine-webgpu.json
//   DELTA_WEBGPU_ADAPTER=swiftshader ... (default lavapipe)
import * as tf from '@tensorflow/tfjs-core';
import * as delta from 'tfjs-backend-delta';
import {Case, Geometry, geometryLabel, kernelSpecs, nCases, ODD_CHANNELS, randomGeometry, Rng, runCase, seedOf} from '../kernels/harness';
import {GpuBackendLike, useDeltaWebGPU} from './gpu';

let backend: GpuBackendLike;

function cases(n: number, make: (i: number, rng: Rng, seed: number, group: string) => Case): (group: string) => () => Case[] {
  return (group) => () => Array.from({length: nCases(n)}, (_, i) => {
    const seed = seedOf(`webgpu ${group}`, i);
    return make(i, new Rng(seed), seed, group);
  });
}

function randomShape(rng: Rng): number[] {
  return [rng.bool(0.3) ? 2 : 1, rng.int(9, 24), rng.int(9, 24), rng.pick([1, 3, 4, 7, 16])];
}

function unary(kernel: string, f: (x: tf.Tensor, rng: Rng) => tf.Tensor, range: [number, number] = [-1, 1]) {
  return cases(4, (_i, rng, seed) => {
    const shape = randomShape(rng);
    const r = new Rng(seed + 1);
    return {label: `${kernel} x[${shape}]`, seed, kernels: [kernel], inputShapes: [shape], consts: {}, range,
      op: (_c, [x]) => f(x, r)};
  });
}

function weights(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const s = 1.5 / Math.sqrt(fanIn);
  return rng.array(shape.reduce((a, b) => a * b, 1), -s, s);
}

const footprint = (g: Geometry) => Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]);

function convCase(kernel: 'Conv2D' | 'FusedConv2D', activation: string, bias: boolean) {
  return cases(4, (i, rng, seed) => {
    const g = randomGeometry(rng);
    const cin = rng.pick(ODD_CHANNELS), cout = rng.pick([1, 3, 4, 8, 70]);
    const filterShape = [g.fh, g.fw, cin, cout];
    const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw * cin)}};
    const fused = kernel === 'FusedConv2D';
    if (fused && bias) consts.bias = {shape: [cout], values: rng.array(cout, -0.5, 0.5)};
    const leakyreluAlpha = rng.uniform(0.05, 0.3);
    return {
      label: `${kernel}${fused ? ` ${activation}${bias ? ' +bias' : ''}` : ''} ${geometryLabel(g)} cin ${cin} cout ${cout}${i % 3 === 2 ? ' frames:auto' : ''}`,
      seed, kernels: [kernel], inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g), autoFrames: i % 3 === 2,
      op: (c, [x]) => fused ?
        tf.fused.conv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides, pad: g.pad,
          dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation: activation as any, leakyreluAlpha}) :
        tf.conv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
    };
  });
}

function depthwiseCase(fused: boolean, activation: string) {
  return cases(4, (i, rng, seed) => {
    const g = randomGeometry(rng, {explicit: !fused});
    const cin = rng.pick(ODD_CHANNELS), mult = i % 2 ? 2 : 1;
    const filterShape = [g.fh, g.fw, cin, mult];
    const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw)}};
    if (fused) consts.bias = {shape: [cin * mult], values: rng.array(cin * mult, -0.5, 0.5)};
    const kernel = fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
    return {
      label: `${kernel}${fused ? ` ${activation} +bias` : ''} mult ${mult} ${geometryLabel(g)} cin ${cin}`,
      seed, kernels: [kernel], inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g),
      op: (c, [x]) => fused ?
        tf.fused.depthwiseConv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides,
          pad: g.pad as 'same' | 'valid' | number, dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation: activation as any}) :
        tf.depthwiseConv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
    };
  });
}

describe('delta-webgpu kernels (vs cpu, exact mode)', () => {
  beforeAll(async () => { backend = await useDeltaWebGPU(); });

  const specs: Array<[string, (group: string) => () => Case[]]> = [
    ['Relu', unary('Relu', (x) => tf.relu(x))],
    ['Relu6', unary('Relu6', (x) => tf.relu6(x), [-3, 9])],
    ['LeakyRelu', unary('LeakyRelu', (x) => tf.leakyRelu(x, 0.17))],
    ['Elu', unary('Elu', (x) => tf.elu(x), [-3, 2])],
    ['Sigmoid', unary('Sigmoid', (x) => tf.sigmoid(x), [-4, 4])],
    ['Tanh', unary('Tanh', (x) => tf.tanh(x), [-2, 2])],
    ['Add', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 2 === 0) return {label: `Add x[${shape}] + y[${shape}]`, seed, kernels: ['Add'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.add(x, y)};
      return {label: `Add x[${shape}] + const[${C}]`, seed, kernels: ['Add'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.add(x, c.b)};
    })],
    ['Sub', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 2 === 0) return {label: `Sub x[${shape}] - y[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.sub(x, y)};
      return {label: `Sub const[${C}] - x[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.sub(c.b, x)};
    })],
    ['Multiply', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 3 === 0) return {label: `Multiply x[${shape}] * y[${shape}]`, seed, kernels: ['Multiply'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.mul(x, y)};
      if (i % 3 === 1) return {label: `Multiply x[${shape}] * const[${C}]`, seed, kernels: ['Multiply'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.mul(x, c.b)};
      return {label: `Multiply x[${shape}] * scalar 1.5 (a new scalar tensor every frame)`, seed, kernels: ['Multiply'], inputShapes: [shape],
        consts: {}, op: (_c, [x]) => tf.mul(x, 1.5)};
    })],
    ['Conv2D', convCase('Conv2D', 'linear', false)],
    ['FusedConv2D linear +bias', convCase('FusedConv2D', 'linear', true)],
    ['FusedConv2D relu +bias', convCase('FusedConv2D', 'relu', true)],
    ['FusedConv2D relu6', convCase('FusedConv2D', 'relu6', false)],
    ['FusedConv2D relu6 +bias', convCase('FusedConv2D', 'relu6', true)],
    ['DepthwiseConv2dNative', depthwiseCase(false, 'linear')],
    ['FusedDepthwiseConv2D relu6 +bias', depthwiseCase(true, 'relu6')],
    ['FusedDepthwiseConv2D relu +bias', depthwiseCase(true, 'relu')],
    ['chain conv -> relu -> depthwise -> add', cases(3, (_i, rng, seed) => {
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
    })],
  ];
  for (const [group, make] of specs) kernelSpecs(group, make(group), ['exact']);

  it('a kernel without a delta kernel on delta-webgpu runs dense and is reported as fallback', async () => {
    const seed = 4242;
    const rng = new Rng(seed);
    const c: Case = {
      label: 'FusedConv2D prelu (fallback) -> Relu', seed, kernels: ['Relu'], inputShapes: [[1, 12, 13, 3]], chain: true,
      consts: {filter: {shape: [3, 3, 3, 4], values: weights(rng, [3, 3, 3, 4], 27)}, alpha: {shape: [4], values: rng.array(4, 0.1, 0.3)}},
      op: (k, [x]) => tf.relu(tf.fused.conv2d({x: x as tf.Tensor4D, filter: k.filter as tf.Tensor4D, strides: 1, pad: 'same',
        activation: 'prelu', preluActivationWeights: k.alpha})),
    };
    const r = await runCase(c, 'exact', 'fallback');
    expect(r.failures).toEqual([]);
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const x = tf.randomUniform([1, 12, 13, 3]);
    const out = delta.frame(() => c.op({filter: tf.tensor(c.consts.filter.values, c.consts.filter.shape), alpha: tf.tensor(c.consts.alpha.values, [4])}, [x]));
    await out.data();
    const layers = delta.stats().layers;
    const conv = layers.find((l) => l.kernel === 'FusedConv2D');
    expect(conv?.mode).toBe('fallback');
    expect(conv?.fallbackReason ?? '').toContain('prelu');
    tf.dispose([x, out]);
    delta.reset();
  });

  it('a frame without change records no dispatch (one clear per slot)', async () => {
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const f = tf.tensor(weights(new Rng(7), [3, 3, 3, 8], 27), [3, 3, 3, 8]);
    const x = tf.randomUniform([1, 20, 20, 3]);
    const run = () => delta.frame(() => tf.tidy(() => tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))));
    const a = run(); await a.data(); a.dispose();
    const before = {...backend.plane.counters};
    const b = run(); await b.data(); b.dispose();
    const after = backend.plane.counters;
    expect(after.dispatches - before.dispatches).toBe(0);
    expect(after.emptySteps - before.emptySteps).toBe(2);
    await delta.settleStats();
    expect(delta.stats().totals.performedMacs).toBe(0);
    tf.dispose([f, x]);
    delta.reset();
  });
});
