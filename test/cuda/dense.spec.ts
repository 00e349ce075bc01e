// delta-cuda's dense CUDA kernels (src/cuda/kernels, kernels-cuda/dense_*.cu) against tfjs' dense 'cpu'
// backend, op by op, on seeded random inputs: same shapes, dtypes and values (float32 sums in another
// order: relative difference <= 1e-5 for elementwise ops, <= 1e-4 for convolutions), no leaked tensor, and
// the op ran on the GPU (no CPU fallback for the kernels listed here). Skipped (pending, with the reason)
// without a CUDA device.
import * as tf from '@tensorflow/tfjs-core';
import {compareWithCpu, needGpu, relDiff, useCuda} from './gpu';
import {configureDeltaCuda, ConvPrecision, DEFAULT_CONV_PRECISION} from 'tfjs-backend-delta/cuda';
import {prng} from '../util/prng';

const EW_TOL = 1e-5;
const CONV_TOL = 1e-4;

function rnd(seed: number, shape: number[], lo = -1, hi = 1): tf.Tensor {
  const r = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r();
  return tf.tensor(v, shape);
}
function rndInt(seed: number, shape: number[], lo: number, hi: number): tf.Tensor {
  const r = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + Math.floor((hi - lo + 1) * r());
  return tf.tensor(v, shape, 'int32');
}

async function check(make: () => tf.Tensor | tf.Tensor[], tol: number, allowCpu: string[] = []) {
  const r = await compareWithCpu(make, tol);
  const cpu = r.cpuKernels.filter((k) => !allowCpu.includes(k));
  expect(r.problems).toEqual([]);
  expect(cpu).withContext('kernels that ran on the CPU instead of the GPU').toEqual([]);
}

describe('delta-cuda dense kernels vs tfjs cpu', () => {
  beforeEach(() => needGpu());
  afterAll(async () => { await tf.setBackend('cpu'); });

  const convCases: Array<{x: number[]; f: number[]; s: number; pad: 'same' | 'valid'; d?: number}> = [
    {x: [1, 17, 17, 24], f: [3, 3, 24, 32], s: 1, pad: 'same'},
    {x: [1, 33, 31, 3], f: [3, 3, 3, 24], s: 2, pad: 'same'},
    {x: [1, 258, 258, 3], f: [3, 3, 3, 24], s: 2, pad: 'valid'},
    {x: [2, 64, 48, 32], f: [1, 1, 32, 96], s: 1, pad: 'same'},         // plain GEMM, 128x64 tiles
    {x: [1, 9, 9, 384], f: [1, 1, 384, 17], s: 1, pad: 'valid'},         // posenet head: odd Cout
    {x: [1, 20, 20, 8], f: [3, 3, 8, 5], s: 1, pad: 'same', d: 2},       // dilation
    {x: [1, 1, 1, 32], f: [1, 1, 32, 128], s: 1, pad: 'same'},           // squeeze-excite
    {x: [3, 12, 10, 7], f: [5, 3, 7, 9], s: 2, pad: 'valid'},
    // the pipelined tensor-core kernel's shapes (conv_tc_gemm.cuh): >= 4096 rows with Cout >= 256 (128 x 128
    // tiles), K = 180 (not a multiple of 16), dilation; a strided 1x1 with a partial column tile (Cout 44)
    {x: [2, 40, 60, 20], f: [3, 3, 20, 256], s: 1, pad: 'same', d: 2},
    {x: [1, 70, 66, 36], f: [1, 1, 36, 44], s: 2, pad: 'valid'},
    // narrow heads on the pipelined kernel (outC % 4 != 0: 4-byte filter copies; odd outC: scalar stores): posenet's 17
    // and 34 channels over >= 4096 rows, and 67 (two column tiles, the second partial and odd)
    {x: [2, 48, 48, 32], f: [1, 1, 32, 17], s: 1, pad: 'same'},
    {x: [2, 48, 48, 64], f: [1, 1, 64, 34], s: 1, pad: 'same'},
    {x: [1, 66, 64, 16], f: [3, 3, 16, 67], s: 1, pad: 'same'},
    // small tiles with deep slices (K >= 256 below 4096 rows): K = 324, not a multiple of the 32-slice; a partial
    // second column tile
    {x: [1, 21, 23, 36], f: [3, 3, 36, 72], s: 1, pad: 'same'},
    // few input channels (kernels-cuda/conv_small_k.cu, float32 under every precision): outC 37 = two passes of 32
    // output channels, the last partial; inC 4; a dilated 1-channel filter
    {x: [2, 23, 29, 1], f: [5, 5, 1, 37], s: 1, pad: 'same'},
    {x: [1, 40, 36, 4], f: [3, 3, 4, 16], s: 2, pad: 'same'},
    {x: [1, 31, 17, 2], f: [3, 3, 2, 70], s: 1, pad: 'same', d: 2},
  ];
  // fp32: the SIMT kernel (the default; below sm_80 every precision runs this kernel)
  describe('conv precision fp32', () => {
    beforeEach(() => configureDeltaCuda({convPrecision: 'fp32'}));
    afterEach(() => configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION}));
    for (const [i, c] of convCases.entries()) {
      it(`Conv2D x[${c.x}] f[${c.f}] stride ${c.s} ${c.pad}${c.d ? ` dilation ${c.d}` : ''}`, async () => {
        await check(() => tf.conv2d(rnd(i, c.x) as tf.Tensor4D, rnd(100 + i, c.f) as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1), CONV_TOL);
      });
    }
  });

  // The tensor-core conv (kernels-cuda/dense_conv_tc.cu, conv_tc_gemm.cu) on the same cases: tf32x3 to float32
  // accuracy, tf32 and fp16 to their 10-bit mantissas. The precision is process-wide: every spec sets it back to the
  // default.
  const TC_TOL: Record<Exclude<ConvPrecision, 'fp32'>, number> = {tf32x3: CONV_TOL, tf32: 5e-3, fp16: 5e-3};
  for (const p of ['tf32x3', 'tf32', 'fp16'] as const) {
    describe(`conv precision ${p}`, () => {
      beforeEach(() => configureDeltaCuda({convPrecision: p}));
      afterEach(() => configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION}));
      for (const [i, c] of convCases.entries()) {
        it(`Conv2D x[${c.x}] f[${c.f}] stride ${c.s} ${c.pad}${c.d ? ` dilation ${c.d}` : ''}`, async () => {
          await check(() => tf.conv2d(rnd(i, c.x) as tf.Tensor4D, rnd(100 + i, c.f) as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1), TC_TOL[p]);
        });
      }
      for (const act of ['relu6', 'prelu', 'sigmoid'] as const) {
        it(`FusedConv2D bias + ${act}`, async () => {
          await check(() => tf.fused.conv2d({
            x: rnd(1, [2, 19, 21, 16]) as tf.Tensor4D, filter: rnd(2, [3, 3, 16, 24]) as tf.Tensor4D, strides: 1, pad: 'same',
            bias: rnd(3, [24]), activation: act, preluActivationWeights: act === 'prelu' ? rnd(4, [24]) : undefined,
          }), TC_TOL[p]);
        });
      }
    });
  }
  it('conv precision: tf32 differs from fp32 by TF32 rounding, tf32x3 is as close to cpu as fp32 (the settings reach the kernel)', async () => {
    const x = rnd(90, [1, 40, 40, 64]) as tf.Tensor4D, f = rnd(91, [1, 1, 64, 128]) as tf.Tensor4D;
    await tf.setBackend('cpu');
    const ref = tf.conv2d(tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D, tf.tensor(f.dataSync(), f.shape) as tf.Tensor4D, 1, 'same');
    const refV = ref.dataSync();
    const xv = x.dataSync(), fv = f.dataSync();
    tf.dispose([ref, x, f]);
    await useCuda();
    const err: Record<string, number> = {};
    for (const p of ['fp32', 'tf32x3', 'tf32'] as const) {
      configureDeltaCuda({convPrecision: p});
      const y = tf.tidy(() => tf.conv2d(tf.tensor(xv, [1, 40, 40, 64]) as tf.Tensor4D, tf.tensor(fv, [1, 1, 64, 128]) as tf.Tensor4D, 1, 'same'));
      err[p] = relDiff(await y.data(), refV);
      y.dispose();
    }
    configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION});
    expect(err.fp32).toBeLessThan(1e-5);
    expect(err.tf32x3).toBeLessThan(1e-5);
    expect(err.tf32).toBeGreaterThan(1e-5);   // TF32 products: the tensor cores ran
    expect(err.tf32).toBeLessThan(5e-3);
  });
  it('conv precision fp16: fp16 operands reach the kernel (a value beyond 65504 turns Inf, under tf32 it stays finite), the rest matches cpu', async () => {
    // 1x1 conv, 16 -> 16 channels, positive weights: pixel 0 holds 1e5 in channel 0 (fp16's largest finite value is 65504)
    const xv = new Float32Array(2 * 9 * 7 * 16).map((_, i) => ((i * 37) % 23) / 23 - 0.5);
    xv[0] = 1e5;
    const fv = new Float32Array(16 * 16).map((_, i) => 0.01 + ((i * 13) % 17) / 17);
    await tf.setBackend('cpu');
    const ref = tf.tidy(() => tf.conv2d(tf.tensor(xv, [2, 9, 7, 16]) as tf.Tensor4D, tf.tensor(fv, [1, 1, 16, 16]) as tf.Tensor4D, 1, 'same').dataSync());
    await useCuda();
    const out: Record<string, Float32Array> = {};
    for (const p of ['tf32', 'fp16'] as const) {
      configureDeltaCuda({convPrecision: p});
      const y = tf.tidy(() => tf.conv2d(tf.tensor(xv, [2, 9, 7, 16]) as tf.Tensor4D, tf.tensor(fv, [1, 1, 16, 16]) as tf.Tensor4D, 1, 'same'));
      out[p] = await y.data() as Float32Array;
      y.dispose();
    }
    configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION});
    expect(Array.from(out.fp16.subarray(0, 16)).every((v) => v === Infinity)).toBe(true);
    expect(Array.from(out.tf32.subarray(0, 16)).every((v) => Number.isFinite(v))).toBe(true);
    expect(relDiff(out.fp16.subarray(16), ref.subarray(16))).toBeLessThan(5e-3);
    expect(relDiff(out.tf32.subarray(16), ref.subarray(16))).toBeLessThan(5e-3);
  });
  it('conv precision tf32: a layer with few input channels (RGB first layer) stays float32 (conv_small_k.cu)', async () => {
    for (const p of ['tf32', 'tf32x3', 'fp32', 'fp16'] as const) {
      configureDeltaCuda({convPrecision: p});
      await check(() => tf.fused.conv2d({
        x: rnd(95, [2, 57, 49, 3]) as tf.Tensor4D, filter: rnd(96, [3, 3, 3, 24]) as tf.Tensor4D, strides: 2, pad: 'same',
        bias: rnd(97, [24]), activation: 'relu6',
      }), CONV_TOL);
    }
    configureDeltaCuda({convPrecision: DEFAULT_CONV_PRECISION});
  });

  it('configureDeltaCuda rejects an unknown conv precision', () => {
    expect(() => configureDeltaCuda({convPrecision: 'fp8' as ConvPrecision})).toThrowError(/unknown conv precision "fp8"/);
  });

  for (const act of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
    it(`FusedConv2D bias + ${act}`, async () => {
      await check(() => tf.fused.conv2d({
        x: rnd(1, [1, 19, 21, 16]) as tf.Tensor4D, filter: rnd(2, [3, 3, 16, 24]) as tf.Tensor4D, strides: 1, pad: 'same',
        bias: rnd(3, [24]), activation: act, preluActivationWeights: act === 'prelu' ? rnd(4, [24]) : undefined,
        leakyreluAlpha: 0.1,
      }), CONV_TOL);
    });
    it(`FusedDepthwiseConv2D bias + ${act}`, async () => {
      await check(() => tf.fused.depthwiseConv2d({
        x: rnd(5, [1, 23, 17, 24]) as tf.Tensor4D, filter: rnd(6, [3, 3, 24, 1]) as tf.Tensor4D, strides: 2, pad: 'same',
        bias: rnd(7, [24]), activation: act, preluActivationWeights: act === 'prelu' ? rnd(8, [24]) : undefined,
        leakyreluAlpha: 0.1,
      }), CONV_TOL);
    });
  }

  it('FusedConv2D with a scalar bias (unfused epilogue)', async () => {
    await check(() => tf.fused.conv2d({x: rnd(9, [1, 8, 8, 4]) as tf.Tensor4D, filter: rnd(10, [1, 1, 4, 6]) as tf.Tensor4D,
      strides: 1, pad: 'valid', bias: tf.scalar(0.5), activation: 'relu'}), CONV_TOL);
  });

  const dwCases: Array<{x: number[]; f: number[]; s: number; pad: 'same' | 'valid'}> = [
    {x: [1, 129, 129, 24], f: [3, 3, 24, 1], s: 1, pad: 'same'},
    {x: [1, 130, 130, 32], f: [3, 3, 32, 1], s: 2, pad: 'valid'},
    {x: [2, 15, 13, 6], f: [5, 5, 6, 2], s: 1, pad: 'same'},              // channel multiplier 2
  ];
  for (const [i, c] of dwCases.entries()) {
    it(`DepthwiseConv2dNative x[${c.x}] f[${c.f}] stride ${c.s} ${c.pad}`, async () => {
      await check(() => tf.depthwiseConv2d(rnd(20 + i, c.x) as tf.Tensor4D, rnd(30 + i, c.f) as tf.Tensor4D, c.s, c.pad), CONV_TOL);
    });
  }

  it('Conv2DBackpropInput (conv2dTranspose 2x2 stride 2, selfie head)', async () => {
    await check(() => tf.conv2dTranspose(rnd(40, [1, 16, 16, 16]) as tf.Tensor4D, rnd(41, [2, 2, 1, 16]) as tf.Tensor4D,
        [1, 32, 32, 1], 2, 'same'), CONV_TOL);
  });
  it('Conv2DBackpropInput (3x3 stride 2, valid)', async () => {
    await check(() => tf.conv2dTranspose(rnd(42, [2, 7, 6, 5]) as tf.Tensor4D, rnd(43, [3, 3, 4, 5]) as tf.Tensor4D,
        [2, 15, 13, 4], 2, 'valid'), CONV_TOL);
  });

  it('MaxPool / AvgPool (2x2 s2 valid, 3x3 s1 same, 3x3 s2 same, global)', async () => {
    await check(() => {
      const x = rnd(50, [2, 17, 15, 8]) as tf.Tensor4D;
      return [tf.maxPool(x, 2, 2, 'valid'), tf.maxPool(x, 3, 1, 'same'), tf.avgPool(x, 3, 2, 'same'),
        tf.avgPool(x, [17, 15], [17, 15], 'valid'), tf.avgPool(x, 2, 2, 'valid')];
    }, EW_TOL);
  });

  it('ResizeBilinear / ResizeNearestNeighbor (alignCorners, halfPixelCenters, up and down)', async () => {
    await check(() => {
      const x = rnd(60, [2, 9, 7, 5]) as tf.Tensor4D;
      const outs: tf.Tensor[] = [];
      for (const size of [[18, 14], [4, 5], [9, 7], [1, 1]] as Array<[number, number]>) {
        for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
          outs.push(tf.image.resizeBilinear(x, size, ac, hp), tf.image.resizeNearestNeighbor(x, size, ac, hp));
        }
      }
      return outs;
    }, EW_TOL);
  });

  it('unary ops on float32 (and int32 where tfjs keeps the dtype)', async () => {
    await check(() => {
      const x = rnd(70, [3, 5, 7], -3, 3);
      const pos = rnd(71, [3, 5, 7], 0.1, 4);
      const xi = rndInt(72, [4, 9], -8, 8);
      return [tf.relu(x), tf.relu6(tf.mul(x, 3)), tf.sigmoid(x), tf.tanh(x), tf.exp(x), tf.log(pos), tf.sqrt(pos), tf.rsqrt(pos),
        tf.neg(x), tf.abs(x), tf.square(x), tf.elu(x), tf.leakyRelu(x, 0.3), tf.step(x, 0.5), tf.floor(x), tf.ceil(x),
        tf.round(tf.mul(x, 2)), tf.sin(x), tf.cos(x), tf.softplus(x), tf.sign(x), tf.reciprocal(pos), tf.log1p(pos), tf.expm1(x),
        tf.erf(x), tf.selu(x), tf.clipByValue(x, -0.5, 0.7), tf.neg(xi), tf.abs(xi), tf.square(xi), tf.relu(xi), tf.sign(xi),
        tf.logicalNot(tf.greater(x, 0)), tf.isNaN(tf.div(x, tf.sub(tf.abs(x), tf.abs(x))))];
    }, EW_TOL);
  });

  it('Cast float32 / int32 / bool in every direction', async () => {
    await check(() => {
      const x = rnd(80, [6, 7], -5, 5);
      const xi = rndInt(81, [6, 7], -3, 3);
      return [tf.cast(x, 'int32'), tf.cast(x, 'bool'), tf.cast(xi, 'float32'), tf.cast(xi, 'bool'),
        tf.cast(tf.cast(xi, 'bool'), 'float32'), tf.cast(tf.cast(x, 'bool'), 'int32'), tf.cast(x, 'float32')];
    }, EW_TOL);
  });

  it('binary ops with broadcasting (float32)', async () => {
    await check(() => {
      const a = rnd(90, [2, 1, 5, 3], -2, 2), b = rnd(91, [4, 1, 3], -2, 2), s = tf.scalar(1.5), c = rnd(92, [3], 0.5, 2);
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.floorDiv(a, c), tf.mod(a, c), tf.mod(a, tf.neg(c)), tf.squaredDifference(a, b),
        tf.maximum(a, b), tf.minimum(a, b), tf.pow(c, a), tf.equal(a, tf.mul(a, 1)), tf.notEqual(a, b), tf.less(a, b), tf.lessEqual(a, b),
        tf.greater(a, b), tf.greaterEqual(a, b), tf.atan2(a, b), tf.mul(a, s), tf.sub(s, a), tf.prelu(a, c),
        tf.logicalAnd(tf.greater(a, 0), tf.less(b, 0)), tf.logicalOr(tf.greater(a, 0), tf.less(b, 0)), tf.divNoNan(a, tf.relu(b))];
    }, EW_TOL, ['Select']);  // divNoNan's op uses where() (Select: on the CPU)
  });

  it('binary ops on int32 (FloorDiv and Mod with negatives, comparisons)', async () => {
    await check(() => {
      const a = rndInt(93, [5, 6], -20, 20), b = tf.mul(rndInt(94, [6], 1, 7), tf.pow(tf.scalar(-1, 'int32'), rndInt(95, [6], 0, 1)));
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.floorDiv(a, b), tf.mod(a, b), tf.maximum(a, b), tf.minimum(a, b), tf.equal(a, b),
        tf.less(a, b), tf.squaredDifference(a, b), tf.div(a, b)];
    }, EW_TOL);
  });

  it('AddN', async () => {
    await check(() => tf.addN([rnd(96, [4, 5]), rnd(97, [4, 5]), rnd(98, [4, 5])]), EW_TOL);
  });

  it('reductions over every axis combination (keepDims too), ArgMax / ArgMin, All / Any', async () => {
    await check(() => {
      const x = rnd(100, [3, 4, 5, 6], -2, 2);
      const xi = rndInt(101, [3, 4, 5], -5, 5);
      const outs: tf.Tensor[] = [];
      for (const axis of [0, 1, 2, 3, [1, 2], [0, 3], [0, 1, 2, 3], -1]) {
        outs.push(tf.sum(x, axis), tf.mean(x, axis, true), tf.max(x, axis), tf.min(x, axis, true), tf.prod(tf.add(tf.mul(x, 0.5), 1), axis));
      }
      for (const axis of [0, 1, 2, 3]) outs.push(tf.argMax(x, axis), tf.argMin(x, axis));
      outs.push(tf.sum(xi, 1), tf.max(xi, [0, 2]), tf.argMax(xi, 2), tf.all(tf.greater(x, -1.5), 2), tf.any(tf.greater(x, 1.9), [1, 3]));
      return outs;
    }, 1e-5);
  });

  it('Softmax over the last axis', async () => {
    await check(() => [tf.softmax(rnd(110, [7, 33], -5, 5)), tf.softmax(rnd(111, [2, 3, 1000], -10, 10))], EW_TOL);
  });

  it('Transpose, Slice, StridedSlice (masks, negative strides), Reshape, ExpandDims, Squeeze', async () => {
    await check(() => {
      const x = rnd(120, [2, 3, 4, 5]);
      const y = rnd(121, [1, 100, 4]);
      return [tf.transpose(x, [3, 1, 0, 2]), tf.transpose(x), tf.slice(x, [1, 0, 1, 2], [1, 2, 3, -1]),
        tf.stridedSlice(x, [0, 0, 3, 1], [2, 3, 0, 5], [1, 2, -1, 2]),
        tf.stridedSlice(y, [0, 0, 2], [0, 0, 3], [1, 1, 1], 3, 3),
        tf.stridedSlice(x, [1, 0], [2, 2], [1, 1], 0, 0, 0, 0, 1),
        tf.reshape(x, [6, 20]), tf.expandDims(x, 2), tf.squeeze(tf.expandDims(x, 0)), tf.reverse(x, 1)];
    }, EW_TOL, ['Reverse']);
  });

  it('PadV2, Concat (every axis, int32 too), Pack, Unpack, GatherV2, GatherNd, Fill, ZerosLike, OnesLike', async () => {
    await check(() => {
      const a = rnd(130, [2, 3, 4, 2]), b = rnd(131, [2, 3, 4, 2]);
      const outs: tf.Tensor[] = [tf.pad(a, [[0, 0], [1, 2], [2, 1], [0, 0]], 0.5), tf.pad(rndInt(132, [3, 2], 0, 9), [[1, 1], [0, 2]], 7)];
      for (const axis of [0, 1, 2, 3, -1]) outs.push(tf.concat([a, b, a], axis));
      outs.push(tf.concat([rndInt(133, [17, 3], 0, 5), rndInt(134, [17, 1], 0, 5)], 1));
      outs.push(tf.stack([a, b], 1), ...tf.unstack(a, 2));
      outs.push(tf.gather(rnd(135, [16, 4]), tf.tensor1d([3, 0, 15, 7, 7], 'int32')), tf.gather(a, tf.tensor1d([2, 0], 'int32'), 2));
      outs.push(tf.fill([3, 4], 2.5), tf.fill([2, 2], 3, 'int32'), tf.zerosLike(a), tf.onesLike(rndInt(136, [5], 0, 1)));
      outs.push(tf.gatherND(rnd(137, [1, 6, 5, 4]), tf.tensor2d([[0, 2, 3], [0, 5, 0], [0, 0, 4]], [3, 3], 'int32')),
          tf.gatherND(rnd(138, [4, 3]), tf.tensor1d([2], 'int32')));
      return outs;
    }, EW_TOL);
  });

  it('CPU fallback for a kernel without a CUDA implementation (TopK) gives cpu results and is counted', async () => {
    const r = await compareWithCpu(() => tf.topk(rnd(140, [2, 50]), 5).values, EW_TOL);
    expect(r.problems).toEqual([]);
    expect(r.cpuKernels).toContain('TopK');
  });
});
