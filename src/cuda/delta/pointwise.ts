/**
 * Elementwise delta kernels on delta-cuda (kernels-cuda/delta_pointwise.cu): Relu, Relu6, LeakyRelu, Elu,
 * Sigmoid, Tanh, Prelu, Add, Sub, Multiply. An input is read the same shape as the output, as a scalar,
 * per channel, or per pixel ([..., 1]); a change of a scalar / per-channel input marks every output pixel.
 */
import {backend_util} from '@tensorflow/tfjs-core';
import type {CallView} from '../../core/op_table';
import type {Handle} from '../native';
import {ACTIVATION, DeltaAddon} from './addon';
import type {CountWord, CudaDeltaOp, StepBuffers} from './op';

const UNARY: Readonly<Record<string, number>> = {
  Relu: ACTIVATION.relu, Relu6: ACTIVATION.relu6, LeakyRelu: ACTIVATION.leakyrelu, Elu: ACTIVATION.elu,
  Sigmoid: ACTIVATION.sigmoid, Tanh: ACTIVATION.tanh,
};
/** kernels-cuda/delta_pointwise.cuh PointwiseOp. */
const OP = {unary: 0, add: 1, sub: 2, mul: 3, prelu: 4} as const;
const BINARY: Readonly<Record<string, number>> = {Add: OP.add, Sub: OP.sub, Multiply: OP.mul, Prelu: OP.prelu};
/** kernels-cuda/delta_pointwise.cuh IndexMode. */
const MODE = {same: 0, scalar: 1, channel: 2, pixel: 3} as const;

export const POINTWISE_KERNELS: readonly string[] = [...Object.keys(UNARY), ...Object.keys(BINARY)];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const channelsOf = (s: readonly number[]) => (s.length === 0 ? 1 : s[s.length - 1]);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function indexMode(shape: readonly number[], out: readonly number[]): number | null {
  if (same(shape, out)) return MODE.same;
  const n = size(shape);
  if (n === 1) return MODE.scalar;
  const C = channelsOf(out);
  if (n === C && channelsOf(shape) === C) return MODE.channel;
  if (shape.length === out.length && channelsOf(shape) === 1 && same(shape.slice(0, -1), out.slice(0, -1))) return MODE.pixel;
  return null;
}

/** [first, second] input indices of the call (a/b, x/alpha, or the unary x). */
function operands(call: CallView): [number, number] {
  const idx = (name: string) => call.inputs.findIndex((i) => i.name === name);
  if (call.kernel === 'Prelu') return [idx('x'), idx('alpha')];
  if (call.kernel in BINARY) return [idx('a'), idx('b')];
  return [0, -1];
}

function outShapeOf(call: CallView): number[] | null {
  try {
    return call.inputs.slice(1).reduce((s, i) => backend_util.assertAndGetBroadcastShape(s, i.info.shape), [...call.inputs[0].info.shape]);
  } catch {
    return null;
  }
}

/** Why delta-cuda cannot run this elementwise call sparsely, or null. */
export function pointwiseUnsupported(call: CallView): string | null {
  const out = outShapeOf(call);
  if (!out) return 'delta-cuda pointwise: incompatible shapes';
  const [a, b] = operands(call);
  if (a < 0 || (call.kernel in BINARY && b < 0) || call.inputs.length > 2) return 'delta-cuda pointwise: unexpected inputs';
  for (const i of [a, b]) {
    if (i < 0) continue;
    if (indexMode(call.inputs[i].info.shape, out) === null) {
      return `delta-cuda pointwise: broadcast of [${call.inputs[i].info.shape}] to [${out}] not implemented`;
    }
  }
  if (size(out) >= 2 ** 31) return 'delta-cuda pointwise: 2^31 or more elements';
  if (size(out) === 0) return 'delta-cuda pointwise: empty output';
  return null;
}

export class PointwiseOp implements CudaDeltaOp {
  readonly outShape: number[];
  readonly pixels: number;
  readonly channels: number;
  readonly denseMacs: number;
  readonly varying: readonly number[];
  readonly fusesTruncation = false;
  private readonly a: number;
  private readonly b: number;
  private readonly modes: number[];
  private readonly elems: number[];
  private readonly op: number;
  private readonly act: number;
  private readonly leaky: number;
  private readonly macsPerElement: number;

  constructor(call: CallView) {
    this.outShape = outShapeOf(call)!;
    this.channels = channelsOf(this.outShape);
    this.pixels = size(this.outShape) / this.channels;
    [this.a, this.b] = operands(call);
    this.modes = call.inputs.map((i) => indexMode(i.info.shape, this.outShape)!);
    this.elems = call.inputs.map((i) => size(i.info.shape));
    this.op = call.kernel in BINARY ? BINARY[call.kernel] : OP.unary;
    this.act = UNARY[call.kernel] ?? 0;
    this.leaky = Number(call.attrs['alpha'] ?? 0);
    this.macsPerElement = Math.max(1, call.inputs.length - 1);
    this.denseMacs = size(this.outShape) * this.macsPerElement;
    this.varying = call.inputs.map((_, i) => i);
  }

  private launch(k: DeltaAddon, inputs: readonly Handle[], cand: Handle, ctr: CountWord | null, e: Handle) {
    const b = this.b;
    k.deltaPointwise(this.op, this.act, this.leaky, inputs[this.a], this.elems[this.a], this.modes[this.a],
        b >= 0 ? inputs[b] : 0, b >= 0 ? this.elems[b] : 0, b >= 0 ? this.modes[b] : 0, cand, ctr ? ctr.handle : 0,
        ctr ? ctr.offset : 0, this.pixels, this.channels, e, this.macsPerElement);
  }

  dense(k: DeltaAddon, inputs: readonly Handle[], dst: Handle): void {
    this.launch(k, inputs, 0, null, dst);
  }

  mark(k: DeltaAddon, i: number, list: Handle, count: CountWord, b: StepBuffers): void {
    const all = this.modes[i] === MODE.scalar || this.modes[i] === MODE.channel ? 1 : 0;
    k.deltaPixelMark(all ? 0 : list, count.handle, count.offset, all, this.pixels, b.stamp, b.gen, b.cand, b.ctr.handle, b.ctr.offset);
  }

  compute(k: DeltaAddon, b: StepBuffers): void {
    this.launch(k, b.inputs, b.cand, b.ctr, b.e);
  }
}
