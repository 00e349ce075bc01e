/**
 * The op table (DESIGN §3): which kernels have delta kernels, whether they are linear (propagate every
 * change) or nonlinear (truncate at the slot threshold), which input keys the slot (the weights),
 * which inputs are constants of the layer, when a call must fall back to the dense kernel, and the
 * dense cost of a call (for stats). Backend-independent: every data plane uses this table.
 */
import {backend_util, TensorInfo, util} from '@tensorflow/tfjs-core';

export type OpClass = 'linear' | 'nonlinear';

/** One input of a kernel call; array inputs (Concat, AddN) are named '0', '1', ... */
export interface NamedInput {
  readonly name: string;
  readonly info: TensorInfo;
}

export interface CallView {
  readonly kernel: string;
  readonly inputs: readonly NamedInput[];
  readonly attrs: Readonly<Record<string, unknown>>;
}

export interface OpSpec {
  readonly kernel: string;
  /** Linear: Δout = op(Δin), default output threshold 0. Nonlinear: truncated at the slot threshold. */
  opClass(call: CallView, derived: (info: TensorInfo) => boolean): OpClass;
  /** Input whose dataId keys the slot (conv filters): slot = (weights, occurrence in the frame). */
  readonly weightInput?: string;
  /** Inputs that are constants of the layer (weights, bias, BN statistics): part of the signature. */
  readonly constInputs: readonly string[];
  /** Why this call cannot take the delta path (it then runs the dense kernel), or null. */
  unsupported(call: CallView): string | null;
  /** Multiply-accumulates (or element operations) of one dense run, for stats. */
  denseMacs(call: CallView, outShape: readonly number[]): number;
}

export function input(call: CallView, name: string): TensorInfo | undefined {
  for (const i of call.inputs) if (i.name === name) return i.info;
  return undefined;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function nonConstFloat(call: CallView, spec: {constInputs: readonly string[]}): string | null {
  for (const i of call.inputs) {
    if (i.info.dtype !== 'float32') return `input '${i.name}' has dtype ${i.info.dtype} (delta kernels take float32)`;
  }
  return null;
}

function nhwc4(call: CallView, name: string): string | null {
  const t = input(call, name);
  if (!t) return `missing input '${name}'`;
  if (t.shape.length !== 4) return `input '${name}' has rank ${t.shape.length} (delta kernel needs NHWC rank 4)`;
  const fmt = call.attrs['dataFormat'];
  if (fmt != null && fmt !== 'NHWC') return `dataFormat ${String(fmt)} (delta kernels are NHWC; NCHW runs dense)`;
  return null;
}

const linear = (): OpClass => 'linear';
const nonlinear = (): OpClass => 'nonlinear';

/** Conv geometry with tfjs' own padding rules, shared by all data planes. */
export function convInfo(call: CallView): backend_util.Conv2DInfo {
  const x = input(call, 'x')!;
  const filter = input(call, 'filter')!;
  const a = call.attrs as Record<string, any>;
  const depthwise = call.kernel === 'DepthwiseConv2dNative' || call.kernel === 'FusedDepthwiseConv2D';
  return backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, depthwise, 'channelsLast');
}

/** Geometry of a transposed conv (Conv2DBackpropInput): the conv whose input gradient it is. */
export function convTransposeInfo(call: CallView): backend_util.Conv2DInfo {
  const filter = input(call, 'filter')!;
  const a = call.attrs as Record<string, any>;
  return backend_util.computeConv2DInfo(
      a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad,
      a.dimRoundingMode, false, 'channelsLast');
}

export function poolInfo(call: CallView): backend_util.Conv2DInfo {
  const x = input(call, 'x')!;
  const a = call.attrs as Record<string, any>;
  return backend_util.computePool2DInfo(
      x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
}

function convUnsupported(call: CallView): string | null {
  const r = nhwc4(call, 'x') ?? nonConstFloat(call, {constInputs: []});
  if (r) return r;
  const act = call.attrs['activation'];
  if (act != null && !['linear', 'relu', 'relu6', 'prelu', 'leakyrelu', 'elu', 'sigmoid'].includes(String(act))) {
    return `fused activation '${String(act)}'`;
  }
  return null;
}

function convOpClass(call: CallView): OpClass {
  const act = call.attrs['activation'];
  return act == null || act === 'linear' ? 'linear' : 'nonlinear';
}

const convSpec = (kernel: string, fused: boolean): OpSpec => ({
  kernel,
  opClass: convOpClass,
  weightInput: 'filter',
  constInputs: fused ? ['filter', 'bias', 'preluActivationWeights'] : ['filter'],
  unsupported: convUnsupported,
  denseMacs(call, out) {
    const f = input(call, 'filter')!.shape;
    const depthwise = kernel.includes('Depthwise');
    // depthwise: each output channel reads one input channel.
    return size(out) * f[0] * f[1] * (depthwise ? 1 : f[2]);
  },
});

const pointwise = (kernel: string, cls: OpClass, constInputs: string[] = []): OpSpec => ({
  kernel,
  opClass: cls === 'linear' ? linear : nonlinear,
  constInputs,
  unsupported: (call) => nonConstFloat(call, {constInputs}),
  denseMacs: (call, out) => size(out) * Math.max(1, call.inputs.length - 1),
});

const poolSpec = (kernel: string, cls: OpClass): OpSpec => ({
  kernel,
  opClass: cls === 'linear' ? linear : nonlinear,
  constInputs: [],
  unsupported: (call) => nhwc4(call, 'x') ?? nonConstFloat(call, {constInputs: []}),
  denseMacs(call, out) {
    const fs = call.attrs['filterSize'];
    const [fh, fw] = typeof fs === 'number' ? [fs, fs] : (fs as number[]);
    return size(out) * fh * fw;
  },
});

const resizeSpec = (kernel: string, taps: number): OpSpec => ({
  kernel,
  opClass: linear,
  constInputs: [],
  unsupported: (call) => nhwc4(call, 'images') ?? nonConstFloat(call, {constInputs: []}),
  denseMacs: (_call, out) => size(out) * taps,
});

/** Multiply by a constant is linear; multiplying two varying tensors is not. */
function mulClass(call: CallView, derived: (info: TensorInfo) => boolean): OpClass {
  return call.inputs.every((i) => derived(i.info)) ? 'nonlinear' : 'linear';
}

const SPECS: OpSpec[] = [
  convSpec('Conv2D', false),
  convSpec('FusedConv2D', true),
  convSpec('DepthwiseConv2dNative', false),
  convSpec('FusedDepthwiseConv2D', true),
  {
    kernel: 'Conv2DBackpropInput',
    opClass: linear,
    weightInput: 'filter',
    constInputs: ['filter'],
    unsupported(call) {
      const r = nhwc4(call, 'dy') ?? nonConstFloat(call, {constInputs: []});
      if (r) return r;
      // tfjs accepts a dy larger than inputShape implies (it reads a window of it): dense only.
      const info = convTransposeInfo(call);
      const dy = input(call, 'dy')!.shape;
      if (dy[0] !== info.batchSize || dy[1] !== info.outHeight || dy[2] !== info.outWidth || dy[3] !== info.outChannels) {
        return `dy shape [${dy}] does not match the conv geometry [${info.batchSize},${info.outHeight},${info.outWidth},${info.outChannels}]`;
      }
      return null;
    },
    denseMacs(call) {
      const dy = input(call, 'dy')!.shape;
      const f = input(call, 'filter')!.shape;
      return size(dy) * f[0] * f[1] * f[2];
    },
  },
  poolSpec('MaxPool', 'nonlinear'),
  poolSpec('AvgPool', 'linear'),
  pointwise('Relu', 'nonlinear'),
  pointwise('Relu6', 'nonlinear'),
  pointwise('LeakyRelu', 'nonlinear'),
  pointwise('Prelu', 'nonlinear', ['alpha']),
  pointwise('Elu', 'nonlinear'),
  pointwise('Sigmoid', 'nonlinear'),
  pointwise('Tanh', 'nonlinear'),
  pointwise('FusedBatchNorm', 'linear', ['mean', 'variance', 'offset', 'scale']),
  pointwise('Add', 'linear'),
  pointwise('AddN', 'linear'),
  pointwise('Sub', 'linear'),
  {...pointwise('Multiply', 'nonlinear'), opClass: mulClass},
  resizeSpec('ResizeBilinear', 4),
  resizeSpec('ResizeNearestNeighbor', 1),
  {
    kernel: 'Concat',
    opClass: linear,
    constInputs: [],
    unsupported(call) {
      if (call.inputs.length === 0) return 'no inputs';
      const rank = call.inputs[0].info.shape.length;
      if (rank === 0) return 'scalar concat';
      return nonConstFloat(call, {constInputs: []});
    },
    denseMacs: (_call, out) => size(out),
  },
  {
    kernel: 'PadV2',
    opClass: linear,
    constInputs: [],
    unsupported(call) {
      const x = input(call, 'x');
      if (!x || x.shape.length === 0) return 'scalar pad';
      return nonConstFloat(call, {constInputs: []});
    },
    denseMacs: (_call, out) => size(out),
  },
  {
    kernel: 'Mean',
    opClass: linear,
    constInputs: [],
    unsupported(call) {
      const x = input(call, 'x');
      if (!x || x.shape.length !== 4) return 'Mean delta kernel is global average pooling over H,W of NHWC';
      const axes = util.parseAxisParam(call.attrs['axis'] as number | number[], x.shape).sort();
      if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) return `Mean over axes [${axes}] (delta kernel: H,W only)`;
      return nonConstFloat(call, {constInputs: []});
    },
    denseMacs: (call) => size(input(call, 'x')!.shape),
  },
];

export const OP_TABLE: ReadonlyMap<string, OpSpec> = new Map(SPECS.map((s) => [s.kernel, s]));

/** Kernels with a delta kernel in the op table (a data plane may implement a subset). */
export const DELTA_KERNELS: readonly string[] = SPECS.map((s) => s.kernel);
