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
import {kernelSpecs, ODD_CHANNELS, configureHarness, harness, INV_TOL, Case, Geometry, geometryLabel} from '../kernels/harness';
import {caseBuilders, CaseMaker, footprint, weights} from '../kernels/cases';
import {noGpuReason, useCuda} from './gpu';
import {configureDeltaCuda, DEFAULT_CONV_PRECISION} from 'tfjs-backend-delta/cuda';

const why = noGpuReason();

const {cases, randomShape, convCase, depthwiseCase, chainCase, unarySpecs} = caseBuilders({
  seedPrefix: 'cuda', perSpec: 3, chainCases: 2, channels: [1, 3, 4, 7, 16, 40],
  convIn: [...ODD_CHANNELS, 33], convOut: [1, 3, 8, 70, 130], depthwiseIn: [...ODD_CHANNELS, 40],
});

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

// Channel counts that the tensor-core conv reads with 16-byte copies (kernels-cuda/conv_tc_gemm.cuh usable(): inC % 4 == 0;
// outC % 4 == 0 for 16-byte filter copies; 68 and 132 leave partial column tiles).
const tcBuilders = caseBuilders({
  seedPrefix: 'cuda-tc', perSpec: 3, chainCases: 1, channels: [4, 16, 40],
  convIn: [4, 8, 16, 32], convOut: [4, 8, 68, 132], depthwiseIn: [4, 16],
});
// Narrow outputs (outC % 4 != 0; odd; 67 and 99: two column tiles): their dense runs (seeds) take the pipelined kernel
// (4-byte filter copies, scalar stores for odd outC), their delta steps delta_conv.cu's SIMT kernels.
const tcNarrowBuilders = caseBuilders({
  seedPrefix: 'cuda-tc-narrow', perSpec: 3, chainCases: 1, channels: [4, 16, 40],
  convIn: [4, 16, 32], convOut: [17, 34, 67, 99], depthwiseIn: [4, 16],
});

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

  const specs: Array<[string, CaseMaker]> = [
    ...unarySpecs(),
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
    ['chain conv -> relu -> depthwise -> add', chainCase()],
  ];
  for (const [group, make] of specs) kernelSpecs(group, make(group), ['exact', 'threshold']);

  // Under a tensor-core conv precision the delta conv's candidates and its dense runs go through
  // kernels-cuda/conv_tc_gemm.cu (small tiles at these sizes): tf32x3 to float32 accuracy, tf32 and fp16 to their
  // 10-bit mantissas; one kernel and k order for the seed and every step, so exact mode sees no spurious change.
  for (const [precision, tol] of [['tf32x3', 1e-4], ['tf32', 5e-3], ['fp16', 5e-3]] as const) {
    describe(`conv precision ${precision} (tensor cores)`, () => {
      let outer = {exactTol: harness.exactTol, invTol: harness.invTol};
      beforeAll(() => {
        if (why) return;
        outer = {exactTol: harness.exactTol, invTol: harness.invTol};
        configureDeltaCuda({convPrecision: precision});
        configureHarness({exactTol: tol, invTol: Math.max(tol, INV_TOL)});
      });
      afterAll(() => {
        if (why) return;
        configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION});
        configureHarness(outer);
      });
      const tcSpecs: Array<[string, CaseMaker]> = [
        ['FusedConv2D relu6 +bias', tcBuilders.convCase('FusedConv2D', 'relu6', true)],
        ['FusedConv2D prelu +bias', tcBuilders.convCase('FusedConv2D', 'prelu', true)],
        ['Conv2D', tcBuilders.convCase('Conv2D', 'linear', false)],
        ['FusedConv2D relu6 +bias, narrow outC', tcNarrowBuilders.convCase('FusedConv2D', 'relu6', true)],
        ['Conv2D, narrow outC', tcNarrowBuilders.convCase('Conv2D', 'linear', false)],
      ];
      for (const [group, make] of tcSpecs) kernelSpecs(`${group} (${precision})`, make(`${group} (${precision})`), ['exact', 'threshold']);
    });
  }

  // Layers with few input channels (the RGB first layer: inC <= 4, small K) run kernels-cuda/conv_small_k.cu for
  // their dense runs and their delta steps alike, in float32 whatever the conv precision: under tf32 they must
  // match cpu to float32 rounding (EXACT tolerance), seed and every step (before, the seed ran the tf32 staged
  // kernel and the steps the SIMT one: tf32 error and spurious changes in exact mode).
  describe('conv precision tf32: layers with few input channels stay float32 (conv_small_k)', () => {
    beforeAll(() => { if (!why) configureDeltaCuda({convPrecision: 'tf32'}); });
    afterAll(() => { if (!why) configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION}); });
    const smallK = caseBuilders({
      seedPrefix: 'cuda-small-k', perSpec: 8, chainCases: 1, channels: [1, 3, 4],
      convIn: [1, 2, 3, 4], convOut: [3, 8, 24, 37, 70], depthwiseIn: [4],
    });
    // the kernel's reach (conv_small_k.cuh usable()): K = fH * fW * inC <= 64; bigger filters go to tensor cores
    const kernelTakes = (make: CaseMaker): CaseMaker => (group) => () => make(group)().filter((c) => {
      const f = c.consts.filter.shape;
      return f[0] * f[1] * f[2] <= 64;
    });
    for (const [group, make] of [
      ['FusedConv2D relu6 +bias (first layer, tf32)', smallK.convCase('FusedConv2D', 'relu6', true)],
      ['FusedConv2D prelu +bias (first layer, tf32)', smallK.convCase('FusedConv2D', 'prelu', true)],
    ] as Array<[string, CaseMaker]>) kernelSpecs(group, kernelTakes(make)(group), ['exact', 'threshold']);
  });

  // 3x3 depthwise steps at stride 1 with multiplier 1 and 4..128 channels (% 4) take their candidates as row segments
  // of 4 output pixels (kernels-cuda/delta_conv.cu depthwiseSegments: a segment's leader computes it like the dense
  // kernel, only candidate pixels are compared and written): odd widths (segments cut by the row's end), batch 2,
  // channel counts from one float4 to 128 (1..32 segments a block round), dilation 2, fused relu6 + bias and plain;
  // the stride-2 cases beside them run the per-candidate items (both took segments in run 35, when stride 2 did too).
  describe('depthwise 3x3 delta steps as row segments', () => {
    const seg = caseBuilders({seedPrefix: 'cuda-dw-seg', perSpec: 6, chainCases: 1, channels: [4], convIn: [4], convOut: [4],
      depthwiseIn: [4, 8, 40, 128]});
    const segmentCase = (fused: boolean): CaseMaker => seg.cases(6, (_i, rng, seed) => {
      const [s, d] = rng.pick<[number, number]>([[1, 1], [2, 1], [1, 2], [1, 1]]);
      const g: Geometry = {batch: rng.bool(0.5) ? 2 : 1, h: rng.int(9, 20), w: rng.int(9, 23), fh: 3, fw: 3, strides: [s, s],
        dilations: [d, d], pad: rng.pick<Geometry['pad']>(['same', 'valid', 1]), dimRoundingMode: undefined};
      const cin = rng.pick([4, 8, 40, 128]);
      const filterShape = [3, 3, cin, 1];
      const consts: Case['consts'] = {filter: {shape: filterShape, values: weights(rng, filterShape, 9)}};
      if (fused) consts.bias = {shape: [cin], values: rng.array(cin, -0.5, 0.5)};
      const kernel = fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
      return {
        label: `${kernel}${fused ? ' relu6 +bias' : ''} ${geometryLabel(g)} cin ${cin} (row segments)`, seed, kernels: [kernel],
        inputShapes: [[g.batch, g.h, g.w, cin]], consts, footprint: footprint(g),
        op: (c, [x]) => fused ?
          tf.fused.depthwiseConv2d({x: x as tf.Tensor4D, filter: c.filter as tf.Tensor4D, strides: g.strides, pad: g.pad as 'same' | 'valid' | number,
            dilations: g.dilations, bias: c.bias, activation: 'relu6'}) :
          tf.depthwiseConv2d(x as tf.Tensor4D, c.filter as tf.Tensor4D, g.strides, g.pad as 'same' | 'valid' | number, 'NHWC', g.dilations),
      };
    });
    for (const [group, make] of [['DepthwiseConv2dNative', segmentCase(false)], ['FusedDepthwiseConv2D relu6 +bias', segmentCase(true)]] as const)
      kernelSpecs(`${group} (row segments)`, make(`${group} (row segments)`), ['exact', 'threshold']);
  });

  // The cost model's dense path (the backend's dense kernel + a diff pass over the candidates) forced on every
  // conv step that can take it (inputs that are tensors: the chain's depthwise); MAC checks exempt (a dense
  // step performs the dense MACs by design).
  describe('conv steps dense + diff pass (denseCrossover 0)', () => {
    let before = 0;
    beforeAll(async () => {
      if (why) return;
      await useCuda();
      plane().denseCrossover = 0;
      before = plane().stats.denseSteps + plane().stats.unmeasuredSteps;
    });
    afterAll(() => { if (!why) plane().denseCrossover = SPARSE_ONLY; });
    const chain = specs.find(([g]) => g.startsWith('chain'))!;
    const g = `${chain[0]} (dense steps)`;
    const mk = chain[1](g);
    kernelSpecs(g, () => mk().map((c) => ({...c, macsExempt: c.kernels})), ['exact', 'threshold']);
    it('took the dense path', () => {
      // (dense steps with a diff pass, and full-update steps that skip it: measureEvery)
      expect(plane().stats.denseSteps + plane().stats.unmeasuredSteps - before).toBeGreaterThan(10);
    });
  });
});
