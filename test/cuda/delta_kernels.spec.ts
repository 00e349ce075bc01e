// delta-cuda through the whole stack (tfjs ops -> delta engine -> CudaPlane -> kernels-cuda/delta_*.cu), with
// the shared harness of test/kernels (oracle: dense tfjs cpu on the same frames): every frame of each
// sequence (blobs changing 0..30% of the pixels, a frame without change, one passing the same tensor)
// equals cpu within EXACT_TOL in exact mode; in threshold mode the debug records keep DESIGN §3's
// invariant; the slots took the delta path after the first frame; sparse frames cost fewer MACs than
// dense and a frame without change (almost) none; older output tensors keep their values; no tensor leaks.
// Kernels: the ones delta-cuda has delta kernels for (src/cuda/plane.ts CUDA_DELTA_KERNELS).
// Without a GPU every spec is reported pending with the reason.
//
//   npm run build && node scripts/build-tests.mjs && node test/run-jasmine.cjs test/jasmine-cuda.json
import * as tf from '@tensorflow/tfjs-core';
import {Case, Geometry, geometryLabel, kernelSpecs, nCases, ODD_CHANNELS, randomGeometry, Rng, seedOf, configureHarness} from '../kernels/harness';
import {noGpuReason, useCuda} from './gpu';

const why = noGpuReason();

function cases(n: number, make: (i: number, rng: Rng, seed: number, group: string) => Case): (group: string) => () => Case[] {
  return (group) => () => Array.from({length: nCases(n)}, (_, i) => {
    const seed = seedOf(`cuda ${group}`, i);
    return make(i, new Rng(seed), seed, group);
  });
}

function randomShape(rng: Rng): number[] {
  return [rng.bool(0.3) ? 2 : 1, rng.int(9, 24), rng.int(9, 24), rng.pick([1, 3, 4, 7, 16, 40])];
}

function unary(kernel: string, f: (x: tf.Tensor) => tf.Tensor, range: [number, number] = [-1, 1]) {
  return cases(3, (_i, rng, seed) => {
    const shape = randomShape(rng);
    return {label: `${kernel} x[${shape}]`, seed, kernels: [kernel], inputShapes: [shape], consts: {}, range, op: (_c, [x]) => f(x)};
  });
}

function weights(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const s = 1.5 / Math.sqrt(fanIn);
  return rng.array(shape.reduce((a, b) => a * b, 1), -s, s);
}

const footprint = (g: Geometry) => Math.ceil(g.fh / g.strides[0]) * Math.ceil(g.fw / g.strides[1]);

function convCase(kernel: 'Conv2D' | 'FusedConv2D', activation: string, bias: boolean) {
  return cases(3, (i, rng, seed) => {
    const g = randomGeometry(rng);
    const cin = rng.pick([...ODD_CHANNELS, 33]), cout = rng.pick([1, 3, 8, 70, 130]);
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
          dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation: activation as never, leakyreluAlpha,
          preluActivationWeights: c.alpha}) :
        tf.conv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
    };
  });
}

function depthwiseCase(fused: boolean, activation: string) {
  return cases(3, (i, rng, seed) => {
    const g = randomGeometry(rng, {explicit: !fused});
    const cin = rng.pick([...ODD_CHANNELS, 40]), mult = i % 2 ? 2 : 1;
    const filterShape = [g.fh, g.fw, cin, mult];
    const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, g.fh * g.fw)}};
    if (fused) consts.bias = {shape: [cin * mult], values: rng.array(cin * mult, -0.5, 0.5)};
    const kernel = fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
    return {
      label: `${kernel}${fused ? ` ${activation} +bias` : ''} mult ${mult} ${geometryLabel(g)} cin ${cin}`,
      seed, kernels: [kernel], inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g),
      op: (c, [x]) => fused ?
        tf.fused.depthwiseConv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides,
          pad: g.pad as 'same' | 'valid' | number, dilations: g.dilations, dimRoundingMode: g.dimRoundingMode, bias: c.bias, activation: activation as never}) :
        tf.depthwiseConv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations, g.dimRoundingMode),
    };
  });
}

function binary(kernel: 'Add' | 'Sub' | 'Multiply', f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) {
  return cases(3, (i, rng, seed) => {
    const shape = randomShape(rng);
    const C = shape[3];
    if (i % 3 === 0) return {label: `${kernel} x[${shape}], y[${shape}]`, seed, kernels: [kernel], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => f(x, y)};
    if (i % 3 === 1) return {label: `${kernel} x[${shape}], const[${C}]`, seed, kernels: [kernel], inputShapes: [shape],
      consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => f(x, c.b)};
    return {label: `${kernel} const scalar, x[${shape}]`, seed, kernels: [kernel], inputShapes: [shape],
      consts: {s: {shape: [], values: rng.array(1)}}, op: (c, [x]) => f(c.s, x)};
  });
}

type PlaneKnobs = {denseCrossover: number; stats: {denseSteps: number}};
const plane = () => (tf.backend() as unknown as {plane: PlaneKnobs}).plane;
/** denseCrossover of the sparse-path specs: never dense (the harness' MAC checks expect sparse work on every
 *  sparse frame; with the cost model, a frame right after a 30% frame runs dense: one-frame lag). */
const SPARSE_ONLY = 2;

describe('delta-cuda kernels through the engine (harness vs cpu, GPU)', () => {
  let defaultCrossover = 0;
  beforeAll(async () => {
    if (why) return;
    configureHarness({backend: 'delta-cuda', exactTol: 1e-5});
    await useCuda();
    defaultCrossover = plane().denseCrossover;
    plane().denseCrossover = SPARSE_ONLY;
  });
  afterAll(() => {
    configureHarness({backend: 'delta-cpu'});
    if (!why) plane().denseCrossover = defaultCrossover;
  });
  beforeEach(() => { if (why) pending(`delta-cuda GPU spec skipped: ${why}`); });

  const specs: Array<[string, (group: string) => () => Case[]]> = [
    ['Relu', unary('Relu', (x) => tf.relu(x))],
    ['Relu6', unary('Relu6', (x) => tf.relu6(x), [-3, 9])],
    ['LeakyRelu', unary('LeakyRelu', (x) => tf.leakyRelu(x, 0.17))],
    ['Elu', unary('Elu', (x) => tf.elu(x), [-3, 2])],
    ['Sigmoid', unary('Sigmoid', (x) => tf.sigmoid(x), [-4, 4])],
    ['Tanh', unary('Tanh', (x) => tf.tanh(x), [-2, 2])],
    ['Add', binary('Add', (a, b) => tf.add(a, b))],
    ['Sub', binary('Sub', (a, b) => tf.sub(a, b))],
    ['Multiply', binary('Multiply', (a, b) => tf.mul(a, b))],
    ['Conv2D', convCase('Conv2D', 'linear', false)],
    ['FusedConv2D linear +bias', convCase('FusedConv2D', 'linear', true)],
    ['FusedConv2D relu6 +bias', convCase('FusedConv2D', 'relu6', true)],
    ['FusedConv2D relu', convCase('FusedConv2D', 'relu', false)],
    ['FusedConv2D prelu +bias', convCase('FusedConv2D', 'prelu', true)],
    ['DepthwiseConv2dNative', depthwiseCase(false, 'linear')],
    ['FusedDepthwiseConv2D relu6 +bias', depthwiseCase(true, 'relu6')],
    ['chain conv -> relu -> depthwise -> add', cases(2, (_i, rng, seed) => {
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
  for (const [group, make] of specs) kernelSpecs(group, make(group), ['exact', 'threshold']);

  // The cost model's dense path (the backend's dense kernel + a diff pass over the candidates) forced on every
  // conv step that can take it (inputs that are tensors: the chain's depthwise); MAC checks exempt (a dense
  // step performs the dense MACs by design).
  describe('conv steps dense + diff pass (denseCrossover 0)', () => {
    let before = 0;
    beforeAll(async () => {
      if (why) return;
      await useCuda();
      plane().denseCrossover = 0;
      before = plane().stats.denseSteps;
    });
    afterAll(() => { if (!why) plane().denseCrossover = SPARSE_ONLY; });
    const chain = specs.find(([g]) => g.startsWith('chain'))!;
    const g = `${chain[0]} (dense steps)`;
    const mk = chain[1](g);
    kernelSpecs(g, () => mk().map((c) => ({...c, macsExempt: c.kernels})), ['exact', 'threshold']);
    it('took the dense path', () => {
      expect(plane().stats.denseSteps - before).toBeGreaterThan(10);
    });
  });
});
