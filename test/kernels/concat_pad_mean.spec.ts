// Concat (channel axis, spatial axes, batch axis, negative axes), PadV2 (tf.pad) and Mean over H,W
// (global average pooling) delta kernels vs the dense kernels. See harness.ts for the checks.
import * as tf from '@tensorflow/tfjs-core';
import {Case, kernelSpecs, ODD_CHANNELS, Rng, seedOf, sizeOf, nCases} from './harness';

function concatCase(group: string, i: number, axis: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  const base = [rng.bool(0.3) ? 3 : 1, rng.int(9, 18), rng.int(9, 18), rng.pick(ODD_CHANNELS)];
  const ax = axis < 0 ? axis + 4 : axis;
  const n = 2 + (i % 2);
  const shapes = Array.from({length: n}, () => {
    const s = [...base];
    s[ax] = ax === 3 ? rng.pick(ODD_CHANNELS) : ax === 0 ? rng.int(1, 2) : rng.int(3, 12);
    return s;
  });
  if (i % 3 === 2) {
    // The same tensor twice (and once more a second tensor).
    return {
      label: `Concat axis ${axis} of x[${shapes[0]}], x, y[${shapes[1]}]`, seed, kernels: ['Concat'], inputShapes: [shapes[0], shapes[1]],
      consts: {}, op: (_c, [x, y]) => tf.concat([x, x, y], axis),
    };
  }
  // One input is a constant in every other case (a concat with a fixed feature map).
  const constAt = i % 2 === 1 ? rng.int(0, n - 1) : -1;
  const varying = shapes.filter((_, k) => k !== constAt);
  return {
    label: `Concat axis ${axis} of ${shapes.map((s, k) => `${k === constAt ? 'const' : 'x'}[${s}]`).join(', ')}`,
    seed,
    kernels: ['Concat'],
    inputShapes: varying,
    consts: constAt >= 0 ? {k: {shape: shapes[constAt], values: rng.array(sizeOf(shapes[constAt]))}} : {},
    op: (c, xs) => {
      const all = [...xs];
      if (constAt >= 0) all.splice(constAt, 0, c.k);
      return tf.concat(all, axis);
    },
  };
}

function padCase(group: string, i: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  const shape = [rng.bool(0.3) ? 3 : 1, rng.int(9, 18), rng.int(9, 18), rng.pick(ODD_CHANNELS)];
  const paddings: Array<[number, number]> = [
    i % 5 === 3 ? [1, 0] : [0, 0],
    [rng.int(0, 4), rng.int(0, 4)], [rng.int(0, 4), rng.int(0, 4)],
    i % 5 >= 2 ? [rng.int(0, 2), rng.int(0, 2)] : [0, 0],
  ];
  const constantValue = i % 2 === 0 ? 0 : rng.uniform(-1, 1);
  return {
    label: `PadV2 x[${shape}] paddings ${JSON.stringify(paddings)} constant ${constantValue.toFixed(3)}`,
    seed,
    kernels: ['PadV2'],
    inputShapes: [shape],
    consts: {},
    op: (_c, [x]) => tf.pad(x, paddings, constantValue),
  };
}

function meanCase(group: string, i: number): Case {
  const seed = seedOf(group, i);
  const rng = new Rng(seed);
  const shape = [rng.bool(0.3) ? 3 : 1, rng.int(9, 24), rng.int(9, 24), rng.pick(ODD_CHANNELS)];
  const axes = [[1, 2], [-3, -2], [2, 1], [1, -2]][i % 4];
  const keepDims = i % 2 === 1;
  return {
    label: `Mean x[${shape}] axis [${axes}] keepDims ${keepDims}`,
    seed,
    kernels: ['Mean'],
    inputShapes: [shape],
    consts: {},
    op: (_c, [x]) => tf.mean(x, axes, keepDims),
  };
}

function cases(n: number, make: (i: number) => Case): () => Case[] {
  return () => Array.from({length: nCases(n)}, (_, i) => make(i));
}

describe('delta kernels: concat, pad, mean (delta-cpu vs cpu)', () => {
  for (const axis of [3, -1, 1, 2, -3, 0]) {
    const group = `Concat axis ${axis}`;
    kernelSpecs(group, cases(6, (i) => concatCase(group, i, axis)));
  }
  kernelSpecs('PadV2', cases(10, (i) => padCase('PadV2', i)));
  kernelSpecs('Mean H,W', cases(8, (i) => meanCase('Mean H,W', i)));
});
