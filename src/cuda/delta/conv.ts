/**
 * Conv2D / FusedConv2D / DepthwiseConv2dNative / FusedDepthwiseConv2D on delta-cuda
 * (kernels-cuda/delta_conv.cu): mark = receptive-field dilation of the changed input pixels, compute =
 * recompute of the candidates from the dense input with fused bias + activation. The filter stays in
 * tfjs' [fH, fW, inC, outC] layout, which is the kernels' layout (output channels innermost).
 */
import {convInfo, input} from '../../core/op_table';
import type {CallView} from '../../core/op_table';
import type {Handle} from '../native';
import {ACTIVATION, DeltaAddon} from './addon';
import type {CountWord, CudaDeltaOp, FusedTruncation, StepBuffers} from './op';

export const CONV_KERNELS: readonly string[] = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Why delta-cuda cannot run this conv call sparsely (it then runs dense), or null. */
export function convUnsupported(call: CallView): string | null {
  const act = String(call.attrs['activation'] ?? 'linear');
  if (!(act in ACTIVATION)) return `delta-cuda conv: fused activation '${act}' not implemented`;
  const info = convInfo(call);
  const bias = input(call, 'bias');
  if (bias && size(bias.shape) !== info.outChannels) return `delta-cuda conv: bias of shape [${bias.shape}] (per-channel only)`;
  const prelu = input(call, 'preluActivationWeights');
  if (act === 'prelu' && (!prelu || size(prelu.shape) !== info.outChannels)) {
    return `delta-cuda conv: prelu weights of shape [${prelu?.shape ?? []}] (per-channel only)`;
  }
  if (info.batchSize * info.inHeight * info.inWidth * info.inChannels >= 2 ** 31 ||
      info.batchSize * info.outHeight * info.outWidth * info.outChannels >= 2 ** 31) return 'delta-cuda conv: 2^31 or more elements';
  return null;
}

/** In-bounds taps of a dense run (delta-cpu counts MACs per in-bounds tap). */
function denseTaps(g: Int32Array): number {
  const [batch, inH, inW, , outH, outW, , fH, fW, sH, sW, dH, dW, padT, padL] = g;
  let th = 0, tw = 0;
  for (let oy = 0; oy < outH; oy++) for (let kh = 0; kh < fH; kh++) {
    const iy = oy * sH - padT + kh * dH;
    if (iy >= 0 && iy < inH) th++;
  }
  for (let ox = 0; ox < outW; ox++) for (let kw = 0; kw < fW; kw++) {
    const ix = ox * sW - padL + kw * dW;
    if (ix >= 0 && ix < inW) tw++;
  }
  return batch * th * tw;
}

export class ConvOp implements CudaDeltaOp {
  readonly outShape: number[];
  readonly pixels: number;
  readonly channels: number;
  readonly denseMacs: number;
  readonly varying: readonly number[];
  readonly fusesTruncation = true;
  readonly footprint: number;
  readonly depthwise: boolean;
  readonly markFree: boolean;
  /** kernels-cuda/delta_conv.cuh ConvGeom. */
  readonly geom: Int32Array;
  private readonly xi: number;
  private readonly wi: number;
  private readonly bi: number;
  private readonly ai: number;
  private readonly act: number;
  private readonly leaky: number;

  constructor(call: CallView) {
    const info = convInfo(call);
    const depthwise = call.kernel.includes('Depthwise');
    this.depthwise = depthwise;
    this.geom = Int32Array.from([
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
      info.padInfo.top, info.padInfo.left, depthwise ? 1 : 0,
    ]);
    this.outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    this.channels = info.outChannels;
    this.pixels = info.batchSize * info.outHeight * info.outWidth;
    const idx = (name: string) => call.inputs.findIndex((i) => i.name === name);
    this.xi = idx('x');
    this.wi = idx('filter');
    this.bi = idx('bias');
    const actName = String(call.attrs['activation'] ?? 'linear');
    this.act = ACTIVATION[actName];
    this.ai = actName === 'prelu' ? idx('preluActivationWeights') : -1;
    this.leaky = Number(call.attrs['leakyreluAlpha'] ?? 0);
    this.varying = [this.xi];
    this.markFree = info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 &&
        info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight === info.inHeight && info.outWidth === info.inWidth;
    // outputs along one axis whose window (f taps, dilation d, stride s) holds a given input position
    const reach = (f: number, d: number, s: number) => Math.min(f, Math.ceil(((f - 1) * d + 1) / s));
    this.footprint = reach(info.filterHeight, info.dilationHeight, info.strideHeight) *
        reach(info.filterWidth, info.dilationWidth, info.strideWidth);
    this.denseMacs = denseTaps(this.geom) * (depthwise ? info.outChannels : info.inChannels * info.outChannels);
  }

  private launch(k: DeltaAddon, inputs: readonly Handle[], cand: Handle, ctr: CountWord | null, e: Handle, t?: FusedTruncation,
                 b?: StepBuffers) {
    const args = [this.geom, inputs[this.xi], inputs[this.wi], this.bi >= 0 ? inputs[this.bi] : 0,
      this.ai >= 0 ? inputs[this.ai] : 0, this.act, this.leaky, cand, ctr ? ctr.handle : 0, ctr ? ctr.offset : 0, e] as const;
    if (!t) return k.deltaConvCompute(...args);
    // a mark-free step: the count of its candidates (the input's list) is in the input's word, and no stamps were written
    if (b?.candCount) return k.deltaConvCompute(...args, t.vals, t.thr, t.list, t.groups, 0, 0, b.candCount.handle, b.candCount.offset);
    // the step's stamps: a depthwise step may then recompute its candidates as row segments (kernels-cuda/delta_conv.cu)
    if (b && this.depthwise) return k.deltaConvCompute(...args, t.vals, t.thr, t.list, t.groups, b.stamp, b.gen);
    k.deltaConvCompute(...args, t.vals, t.thr, t.list, t.groups);
  }

  dense(k: DeltaAddon, inputs: readonly Handle[], dst: Handle): void {
    this.launch(k, inputs, 0, null, dst);
  }

  mark(k: DeltaAddon, _i: number, list: Handle, count: CountWord, b: StepBuffers): void {
    k.deltaConvMark(this.geom, list, count.handle, count.offset, b.stamp, b.gen, b.cand, b.ctr.handle, b.ctr.offset);
  }

  compute(k: DeltaAddon, b: StepBuffers, t?: FusedTruncation): void {
    this.launch(k, b.inputs, b.cand, b.ctr, b.e, t, b);
  }
}
