// The delta-cuda data plane (src/cuda/plane.ts + kernels-cuda/delta_*.cu) against the delta-cpu data plane
// (the oracle), driven the way the engine drives a data plane: seed on frame 0, then step with input states
// ('diff' for the video frame, 'update' for the output of an earlier op of the chain, 'const' for weights),
// on sequences of frames with random sparse changes (blobs of 0..30% of the pixels, a frame without change,
// a frame where everything changes). No tfjs backend is needed: a small host gives the plane device buffers
// for tensors (handleOf / makeOutput), as src/cuda/backend.ts does.
//
// Checks, per op, per frame:
//  - exact mode (all thresholds 0): the output equals delta-cpu's (= tfjs-cpu's dense result) within
//    EXACT_TOL relative; propagated pixels and MACs (settled device counts) equal delta-cpu's;
//  - threshold mode (input 0.05, nonlinear outputs 0.03): DESIGN §3's invariant on the debug record:
//    |output - dense(inputs as the slot saw them)| <= threshold + tol, |raw input - seen input| <= input
//    threshold; and the output agrees with delta-cpu's (same decisions: sparsify is bit-exact);
//  - a frame without change performs no MACs and propagates nothing; sparse frames perform fewer MACs
//    than a dense run; every device buffer is freed after release + dispose (addon.liveBuffers()).
// NaN/Inf: a frame with non-finite pixels gives the dense result's non-finite pattern, and the next
// finite frame gives the dense result again (recompute: nothing to poison).
// Without a GPU every spec is reported pending with the reason.
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import * as native from '../../../dist/cjs/cuda/native';
import {CudaPlane} from '../../../dist/cjs/cuda/plane';
import {ConvOp} from '../../../dist/cjs/cuda/delta/conv';
import {PointwiseOp} from '../../../dist/cjs/cuda/delta/pointwise';
import {CpuDataPlane} from '../../../dist/cjs/cpu/plane';
import {CPU_DELTA_KERNELS} from '../../../dist/cjs/cpu/kernels/index';
import {OP_TABLE} from '../../../dist/cjs/core/op_table';
import {Slot} from '../../../dist/cjs/core/slot';
import {prng} from '../util/prng';
import {EmulatedAddon} from './emulated_addon';

type Info = {dataId: object; shape: number[]; dtype: 'float32'};
type Addon = native.DeltaCudaAddon;

const EXACT_TOL = 1e-5;
const IN_THR = 0.05;
const THR = 0.03;
const SCALE = Number(process.env.DELTA_KERNEL_SCALE || 1);

function needGpu(): Addon {
  const info = native.deviceInfo();
  if (info.count === 0) pending(info.reason ?? 'no CUDA device');
  return native.cuda();
}

/** Tensors on device buffers for the plane (what src/cuda/backend.ts provides, aliases of plane buffers included). */
class DeviceHost {
  readonly handles = new Map<object, number>();
  /** Tensors reading a buffer the plane keeps (makeAlias, lend): disposing one tells the plane, frees nothing. */
  readonly borrowed = new Set<object>();
  plane: {noteRelease(dataId: object): void} | null = null;
  constructor(readonly addon: Addon) {}
  makeAlias(shape: number[], handle: number): Info {
    const dataId = {};
    this.handles.set(dataId, handle);
    this.borrowed.add(dataId);
    return {dataId, shape, dtype: 'float32'};
  }
  lend(dataId: object): number | null {
    const h = this.handles.get(dataId);
    if (h === undefined || this.borrowed.has(dataId)) return null;
    this.borrowed.add(dataId);
    return h;
  }
  refCount(dataId: object): number {
    return this.handles.has(dataId) ? 1 : 0;
  }
  disposeData(dataId: object): void {
    this.dispose({dataId, shape: [], dtype: 'float32'});
  }
  handleOf(dataId: object): number {
    const h = this.handles.get(dataId);
    if (h === undefined) throw new Error('test host: unknown dataId');
    return h;
  }
  makeOutput(shape: number[], dtype: 'float32', handle?: number): Info {
    const n = shape.reduce((a, b) => a * b, 1);
    const h = handle ?? this.addon.alloc(Math.max(4, n * 4));
    const dataId = {};
    this.handles.set(dataId, h);
    return {dataId, shape, dtype};
  }
  // runDense (optional, like the backend's): here the plane's own dense kernels, so that the plane's dense-step
  // path (cost model: backend dense + diff pass) is exercised without the backend; the backend's dense kernels
  // go through it in delta_kernels.spec.ts
  runDense?: (kernel: string, inputs: Record<string, Info>, attrs: Record<string, unknown>) => Info;
  withDense(): this {
    this.runDense = (kernel, inputs, attrs) => {
      const call = {kernel, inputs: Object.entries(inputs).map(([name, info]) => ({name, info})), attrs};
      const op = kernel.includes('Conv') ? new ConvOp(call as never) : new PointwiseOp(call as never);
      const out = this.makeOutput([...op.outShape], 'float32');
      op.dense(this.addon as never, call.inputs.map((i) => this.handleOf(i.info.dataId)), this.handleOf(out.dataId));
      return out;
    };
    return this;
  }
  upload(values: Float32Array, shape: number[]): Info {
    const t = this.makeOutput(shape, 'float32');
    this.addon.upload(this.handleOf(t.dataId), values);
    return t;
  }
  read(t: Info): Float32Array {
    return this.addon.download(this.handleOf(t.dataId), new Float32Array(t.shape.reduce((a, b) => a * b, 1)));
  }
  dispose(t: Info) {
    const h = this.handles.get(t.dataId);
    if (h === undefined) return;
    this.handles.delete(t.dataId);
    if (this.borrowed.delete(t.dataId)) this.plane!.noteRelease(t.dataId);
    else this.addon.free(h);
  }
}

// ---- cases --------------------------------------------------------------------------------------

interface InputDef {
  name: string;
  /** 'frame': the video frame (diffed); number: output of that earlier op (an update); else a constant. */
  src: 'frame' | number | Float32Array;
  shape: number[];
}
interface OpDef {
  kernel: string;
  attrs: Record<string, unknown>;
  inputs: InputDef[];
}
interface Case {
  label: string;
  frameShape: number[];
  ops: OpDef[];
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function randomValues(rand: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

function convOp(rand: () => number, kernel: string, x: 'frame' | number, xShape: number[],
                o: {f: number; outC: number; stride: number; dil?: number; pad: unknown; act?: string; bias?: boolean}): OpDef {
  const inC = xShape[3];
  const depthwise = kernel.includes('Depthwise');
  const wShape = depthwise ? [o.f, o.f, inC, o.outC / inC] : [o.f, o.f, inC, o.outC];
  const fused = kernel.startsWith('Fused');
  const inputs: InputDef[] = [
    {name: 'x', src: x, shape: xShape},
    {name: 'filter', src: randomValues(rand, size(wShape), 1 / Math.sqrt(o.f * o.f * (depthwise ? 1 : inC))), shape: wShape},
  ];
  const attrs: Record<string, unknown> = {strides: [o.stride, o.stride], pad: o.pad, dilations: [o.dil ?? 1, o.dil ?? 1],
    dataFormat: 'NHWC', dimRoundingMode: undefined};
  if (fused) {
    attrs.activation = o.act ?? 'linear';
    attrs.leakyreluAlpha = 0.2;
    if (o.bias !== false) inputs.push({name: 'bias', src: randomValues(rand, o.outC, 0.5), shape: [o.outC]});
    if (o.act === 'prelu') inputs.push({name: 'preluActivationWeights', src: randomValues(rand, o.outC, 0.5), shape: [o.outC]});
  }
  return {kernel, attrs, inputs};
}

/** Output shape of an op (from delta-cpu's seed on zeros would be heavier: computed here). */
function outShapeOf(op: OpDef, shapes: number[][]): number[] {
  const x = op.inputs[0].shape;
  if (op.kernel.includes('Conv')) {
    const w = op.inputs[1].shape;
    const s = (op.attrs.strides as number[])[0], d = (op.attrs.dilations as number[])[0];
    const eff = (w[0] - 1) * d + 1;
    const pad = op.attrs.pad;
    const outC = op.kernel.includes('Depthwise') ? x[3] * w[3] : w[3];
    const dim = (n: number, k: number) => {
      if (pad === 'same') return Math.ceil(n / s);
      if (pad === 'valid') return Math.ceil((n - eff + 1) / s);
      const p = pad as number[][];
      return Math.floor((n + p[k][0] + p[k][1] - eff) / s) + 1;
    };
    return [x[0], dim(x[1], 1), dim(x[2], 2), outC];
  }
  void shapes;
  // elementwise: broadcast of the inputs
  let out = [...op.inputs[0].shape];
  for (const i of op.inputs.slice(1)) {
    const r = Math.max(out.length, i.shape.length);
    const a = [...Array(r - out.length).fill(1), ...out], b = [...Array(r - i.shape.length).fill(1), ...i.shape];
    out = a.map((v, k) => Math.max(v, b[k]));
  }
  return out;
}

function makeCases(): Case[] {
  const rand = prng(20261125);
  const cases: Case[] = [];
  const geoms: Array<{h: number; w: number; c: number; f: number; outC: number; stride: number; dil?: number; pad: unknown; b?: number}> = [
    {h: 17, w: 23, c: 3, f: 3, outC: 8, stride: 2, pad: 'same'},
    {h: 12, w: 9, c: 33, f: 1, outC: 130, stride: 1, pad: 'valid'},
    {h: 15, w: 15, c: 5, f: 5, outC: 7, stride: 1, dil: 2, pad: 'same'},
    {h: 11, w: 14, c: 70, f: 3, outC: 64, stride: 2, pad: 'valid', b: 2},
    {h: 10, w: 13, c: 4, f: 3, outC: 6, stride: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]]},
    {h: 41, w: 37, c: 32, f: 1, outC: 257, stride: 1, pad: 'same'},
    // >= 2048 candidates on busy frames: the tiled GEMM kernel (convGemm) instead of the small-count one
    {h: 70, w: 60, c: 20, f: 3, outC: 70, stride: 1, pad: 'same'},
    {h: 64, w: 50, c: 40, f: 1, outC: 130, stride: 1, pad: 'valid'},
  ];
  for (const g of geoms) {
    const xs = [g.b ?? 1, g.h, g.w, g.c];
    cases.push({label: `Conv2D ${JSON.stringify(g)}`, frameShape: xs, ops: [convOp(rand, 'Conv2D', 'frame', xs, g)]});
  }
  const acts = ['relu6', 'relu', 'linear', 'leakyrelu', 'elu', 'sigmoid', 'prelu'];
  acts.forEach((act, k) => {
    const xs = [1, 13 + k, 16, 3 + 9 * k];
    cases.push({label: `FusedConv2D 3x3 ${act}`, frameShape: xs,
      ops: [convOp(rand, 'FusedConv2D', 'frame', xs, {f: 3, outC: 5 + 20 * k, stride: 1 + (k % 2), pad: 'same', act})]});
    cases.push({label: `FusedDepthwiseConv2D 3x3 ${act}`, frameShape: xs,
      ops: [convOp(rand, 'FusedDepthwiseConv2D', 'frame', xs, {f: 3, outC: xs[3] * (k % 3 === 0 ? 2 : 1), stride: 1 + (k % 2), pad: 'same', act})]});
  });
  {
    const xs = [1, 19, 21, 6];
    cases.push({label: 'DepthwiseConv2dNative 5x5 dilation 2 valid', frameShape: xs,
      ops: [convOp(rand, 'DepthwiseConv2dNative', 'frame', xs, {f: 5, outC: 12, stride: 1, dil: 2, pad: 'valid'})]});
  }
  // elementwise
  const px = [1, 9, 11, 7];
  for (const kernel of ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh']) {
    cases.push({label: kernel, frameShape: px, ops: [{kernel, attrs: {}, inputs: [{name: 'x', src: 'frame', shape: px}]}]});
  }
  cases.push({label: 'LeakyRelu', frameShape: px, ops: [{kernel: 'LeakyRelu', attrs: {alpha: 0.1}, inputs: [{name: 'x', src: 'frame', shape: px}]}]});
  cases.push({label: 'Prelu per channel', frameShape: px, ops: [{kernel: 'Prelu', attrs: {},
    inputs: [{name: 'x', src: 'frame', shape: px}, {name: 'alpha', src: randomValues(rand, 7, 0.5), shape: [7]}]}]});
  cases.push({label: 'Add per-channel constant', frameShape: px, ops: [{kernel: 'Add', attrs: {},
    inputs: [{name: 'a', src: 'frame', shape: px}, {name: 'b', src: randomValues(rand, 7), shape: [7]}]}]});
  cases.push({label: 'Sub scalar constant', frameShape: px, ops: [{kernel: 'Sub', attrs: {},
    inputs: [{name: 'a', src: 'frame', shape: px}, {name: 'b', src: randomValues(rand, 1), shape: []}]}]});
  // chains: updates flow from one slot to the next (the 'update' input state)
  {
    const xs = [1, 23, 19, 3];
    const c0 = convOp(rand, 'FusedConv2D', 'frame', xs, {f: 3, outC: 16, stride: 2, pad: 'same', act: 'relu6'});
    const s0 = outShapeOf(c0, []);
    const c1 = convOp(rand, 'FusedDepthwiseConv2D', 0, s0, {f: 3, outC: 16, stride: 1, pad: 'same', act: 'relu6'});
    const s1 = outShapeOf(c1, []);
    const c2 = convOp(rand, 'FusedConv2D', 1, s1, {f: 1, outC: 40, stride: 1, pad: 'same', act: 'relu6'});
    const s2 = outShapeOf(c2, []);
    const c3 = convOp(rand, 'FusedConv2D', 2, s2, {f: 1, outC: 17, stride: 1, pad: 'same', act: 'linear'});
    const s3 = outShapeOf(c3, []);
    const sig: OpDef = {kernel: 'Sigmoid', attrs: {}, inputs: [{name: 'x', src: 3, shape: s3}]};
    cases.push({label: 'posenet-like chain: conv relu6 > depthwise relu6 > 1x1 relu6 > 1x1 > sigmoid', frameShape: xs, ops: [c0, c1, c2, c3, sig]});
    const add: OpDef = {kernel: 'Add', attrs: {}, inputs: [{name: 'a', src: 0, shape: s0}, {name: 'b', src: 1, shape: s1}]};
    const mul: OpDef = {kernel: 'Multiply', attrs: {}, inputs: [{name: 'a', src: 2, shape: [1, s0[1], s0[2], 1]}, {name: 'b', src: 0, shape: s0}]};
    const c2b = convOp(rand, 'FusedConv2D', 1, s1, {f: 1, outC: 1, stride: 1, pad: 'same', act: 'sigmoid'});
    cases.push({label: 'residual chain: conv > depthwise > Add(both varying) ; 1x1 > Multiply(pixel broadcast, both varying)',
      frameShape: xs, ops: [c0, c1, c2b, add, mul]});
  }
  return cases;
}

// ---- frames -------------------------------------------------------------------------------------

/** Changed-pixel fraction per frame after the base frame; 'same' = no change (new tensor, same values). */
const SCHEDULE: Array<number | 'same'> = [0.02, 'same', 0.1, 0.3, 0.05, 1, 0.01];

function nextFrame(rand: () => number, prev: Float32Array, shape: number[], frac: number | 'same', noise: boolean): Float32Array {
  const x = prev.slice();
  if (frac === 'same') return x;
  const [B, H, W, C] = shape;
  const target = Math.round(frac * B * H * W);
  let changed = 0;
  while (changed < target) {
    const b = Math.floor(rand() * B), h = 1 + Math.floor(rand() * Math.max(1, H / 3)), w = 1 + Math.floor(rand() * Math.max(1, W / 3));
    const y0 = Math.floor(rand() * H), x0 = Math.floor(rand() * W);
    for (let y = y0; y < Math.min(H, y0 + h); y++) {
      for (let xx = x0; xx < Math.min(W, x0 + w); xx++) {
        const p = (b * H + y) * W + xx;
        for (let c = 0; c < C; c++) if (rand() < 0.7) x[p * C + c] += (rand() < 0.5 ? -1 : 1) * (0.1 + rand());
        changed++;
      }
    }
  }
  if (noise) for (let i = 0; i < x.length; i++) if (rand() < 0.3) x[i] += (rand() * 2 - 1) * 0.02;
  return x;
}

// ---- running a case on one plane ------------------------------------------------------------------

interface Side {
  readonly plane: {seed: Function; step: Function; release: Function; debugRecord: Function};
  tensor(values: Float32Array, shape: number[]): Info;
  read(t: Info): Float32Array;
  dispose(t: Info): void;
  readonly backend: unknown;
}

interface OpRun {
  out: Info;
  values: Float32Array;
  update: unknown;
  macs: number;
  active: number;
  counts?: Promise<{activePixels: number; macs: number}>;
}

class CaseRun {
  readonly slots: Slot[];
  consts: Array<Array<Info | null>>;
  prevOut: Info[] = [];
  prevUpdates: unknown[] = [];
  constructor(readonly side: Side, readonly c: Case, readonly exact: boolean) {
    this.slots = c.ops.map((op, j) => new Slot(`s${j}`, `s${j}`, op.kernel));
    this.consts = c.ops.map((op) => op.inputs.map((i) => (i.src instanceof Float32Array ? side.tensor(i.src, i.shape) : null)));
  }

  call(j: number, inputs: Array<{name: string; info: Info}>) {
    const op = this.c.ops[j];
    const spec = OP_TABLE.get(op.kernel)!;
    const view = {kernel: op.kernel, inputs, attrs: op.attrs};
    const cls = spec.opClass(view, () => true);
    return {
      kernel: op.kernel, spec, inputs, attrs: op.attrs, backend: this.side.backend,
      outputThreshold: this.exact || cls === 'linear' ? 0 : THR,
      inputThresholds: op.inputs.map((i) => (this.exact ? 0 : i.src === 'frame' ? IN_THR : THR)),
      debug: !this.exact,
    };
  }

  /** Runs one frame through every op; returns each op's output. */
  frame(f: number, frameInfo: Info): OpRun[] {
    const runs: OpRun[] = [];
    this.c.ops.forEach((op, j) => {
      const inputs = op.inputs.map((i, k) => ({
        name: i.name,
        info: i.src === 'frame' ? frameInfo : typeof i.src === 'number' ? runs[i.src].out : this.consts[j][k]!,
      }));
      const call = this.call(j, inputs);
      let r;
      if (f === 0) {
        r = this.side.plane.seed(this.slots[j], call, op.inputs.map((i) => i.src === 'frame'));
      } else {
        const states = op.inputs.map((i) => (i.src === 'frame' ? {kind: 'diff'} : typeof i.src === 'number' ?
            {kind: 'update', update: runs[i.src].update} : {kind: 'const'}));
        r = this.side.plane.step(this.slots[j], call, states);
        if (!r) throw new Error(`${op.kernel}: step returned null on frame ${f}`);
      }
      runs.push({out: r.out, values: this.side.read(r.out), update: r.update, macs: r.macs, active: r.activePixels, counts: r.deferredCounts});
    });
    return runs;
  }

  dispose() {
    for (const s of this.slots) this.side.plane.release(s);
    for (const row of this.consts) for (const t of row) if (t) this.side.dispose(t);
  }
}

let sharedCpu: MathBackendCPU | null = null;

function cpuSide(): Side {
  const cpu = sharedCpu ??= new MathBackendCPU();  // one instance (its constructor prints a notice in Node)
  const plane = new CpuDataPlane(cpu, CPU_DELTA_KERNELS);
  return {
    plane, backend: cpu,
    tensor: (v, shape) => cpu.makeTensorInfo(shape, 'float32', v.slice()) as Info,
    read: (t) => Float32Array.from(cpu.readSync(t.dataId) as Float32Array),
    dispose: (t) => cpu.disposeData(t.dataId),
  };
}

/** Dense result of op j on given inputs, by delta-cpu's seed (= tfjs-cpu's arithmetic). */
function denseCpu(c: Case, j: number, inputs: Array<{name: string; values: Float32Array; shape: number[]}>): Float32Array {
  const side = cpuSide();
  const infos = inputs.map((i) => ({name: i.name, info: side.tensor(i.values, i.shape)}));
  const op = c.ops[j];
  const spec = OP_TABLE.get(op.kernel)!;
  const slot = new Slot('d', 'd', op.kernel);
  const r = (side.plane as CpuDataPlane).seed(slot, {kernel: op.kernel, spec, inputs: infos, attrs: op.attrs, backend: side.backend,
    outputThreshold: 0, inputThresholds: inputs.map(() => 0), debug: false} as never, inputs.map(() => false));
  return side.read(r.out as Info);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Bit-identical (NaN patterns included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function scaleOf(a: Float32Array): number {
  let m = 1;
  for (const v of a) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/**
 * denseSteps: 'mark' = dense steps with the mark (diff over candidates), 'all' = without it (diff over every
 * pixel), 'full' = without it and handing out full updates (consumers run the dense kernel alone: pass-through).
 */
async function runCase(addon: Addon, c: Case, exact: boolean, seed: number, denseSteps: false | 'mark' | 'all' | 'full' = false,
                       probeDiffs = true): Promise<string[]> {
  const problems: string[] = [];
  const live0 = addon.liveBuffers();
  const host = denseSteps ? new DeviceHost(addon).withDense() : new DeviceHost(addon);
  const cudaPlane = new CudaPlane(host as never);
  host.plane = cudaPlane;
  if (denseSteps) cudaPlane.denseCrossover = 0;  // every conv step that can runs dense + diff pass
  cudaPlane.probeDiffs = probeDiffs;
  const probes0 = (addon as unknown as {launches?: Record<string, number>}).launches?.sparsifyProbe ?? 0;
  if (denseSteps) cudaPlane.denseWithoutMarkAbove = denseSteps === 'mark' ? 2 : -1;
  if (denseSteps) cudaPlane.fullUpdateAbove = denseSteps === 'full' ? -1 : 2;
  // full updates: measured steps (diff pass) and unmeasured ones (dense output as is) alternate
  if (denseSteps === 'full') cudaPlane.measureEvery = 2;
  const gpuSide: Side = {plane: cudaPlane, backend: host, tensor: (v, s) => host.upload(v, s), read: (t) => host.read(t), dispose: (t) => host.dispose(t)};
  const cpu = cpuSide();
  const g = new CaseRun(gpuSide, c, exact);
  const o = new CaseRun(cpu, c, exact);
  const rand = prng(seed);
  let frame = randomValues(rand, size(c.frameShape));
  let prevG: OpRun[] = [], prevO: OpRun[] = [];
  let prevFg: Info | null = null, prevFo: Info | null = null;
  try {
    for (let f = 0; f <= SCHEDULE.length; f++) {
      const sched = f === 0 ? 1 : SCHEDULE[f - 1];
      if (f > 0) frame = nextFrame(rand, frame, c.frameShape, sched, !exact);
      const fg = host.upload(frame, c.frameShape), fo = cpu.tensor(frame, c.frameShape);
      // outputs are aliases of the slots' values: on even frames the previous frame's outputs are gone before the
      // step (values updated in place), on odd frames they stay alive through it (copy-on-write) and must not change
      const keepOld = f % 2 === 1;
      if (!keepOld) {
        for (const r of prevG) host.dispose(r.out);
        prevG = [];
      }
      const rg = g.frame(f, fg), ro = o.frame(f, fo);
      for (const [j, r] of prevG.entries()) {
        if (!sameBits(host.read(r.out), r.values)) problems.push(`${c.ops[j].kernel}#${j} frame ${f}: the previous frame's output tensor changed`);
      }
      await cudaPlane.settle();
      for (let j = 0; j < c.ops.length; j++) {
        const where = `${c.ops[j].kernel}#${j} frame ${f} (${sched})`;
        const a = rg[j], b = ro[j];
        if (a.values.length !== b.values.length) {
          problems.push(`${where}: output size ${a.values.length} vs ${b.values.length}`);
          continue;
        }
        const counts = a.counts ? await a.counts : {activePixels: a.active, macs: a.macs};
        const scale = scaleOf(b.values);
        const err = maxAbsDiff(a.values, b.values) / scale;
        if (exact) {
          if (!(err <= EXACT_TOL)) problems.push(`${where}: exact mode: rel err ${err.toExponential(2)} vs delta-cpu`);
          if (f > 0 && !denseSteps && counts.macs !== b.macs && c.ops.length === 1) problems.push(`${where}: MACs ${counts.macs} vs delta-cpu ${b.macs}`);
          if (f > 0 && c.ops.length === 1 && counts.activePixels !== b.active) {
            problems.push(`${where}: propagated pixels ${counts.activePixels} vs delta-cpu ${b.active}`);
          }
        } else {
          // invariant on what the slot saw
          const rec = cudaPlane.debugRecord(g.slots[j]);
          if (!rec) { problems.push(`${where}: no debug record`); continue; }
          const dense = denseCpu(c, j, rec.inputs.map((i: {name: string; values: Float32Array; shape: number[]}) => i));
          const inv = maxAbsDiff(rec.output, dense);
          const thr = rec.outputThreshold;
          if (!(inv <= thr + 1e-5 * scaleOf(dense))) problems.push(`${where}: invariant: |out - dense(seen)| = ${inv} > ${thr}`);
          if (maxAbsDiff(rec.output, a.values) !== 0) problems.push(`${where}: debug output differs from the output tensor`);
          rec.rawInputs.forEach((raw: Float32Array | null, k: number) => {
            if (!raw) return;
            const d = maxAbsDiff(raw, rec.inputs[k].values);
            if (!(d <= rec.inputThresholds[k] + 1e-6)) problems.push(`${where}: input ${k}: |raw - seen| = ${d} > ${rec.inputThresholds[k]}`);
          });
          // same decisions as delta-cpu (bit-exact sparsify, recompute): outputs agree, up to rare decisions
          // flipped by float rounding at the threshold (each bounded by the invariant above)
          let off = 0;
          for (let i = 0; i < a.values.length; i++) if (!(Math.abs(a.values[i] - b.values[i]) <= 1e-4 * scale)) off++;
          // (not with full updates: the layers below a busy slot output exact values where delta-cpu keeps residuals;
          // the invariant above still bounds them)
          if (denseSteps !== 'full' && off > 0.01 * a.values.length) problems.push(`${where}: threshold mode: ${off} of ${a.values.length} values differ from delta-cpu (max rel ${err.toExponential(2)})`);
        }
        // (a dense step runs the dense kernel whatever changed: the host decides without the count; only the
        // propagated pixels must be none then)
        // (full updates over-approximate: below a busy slot, a frame without change is recomputed)
        // (also with dense steps and full updates: the first op's diffed input is read back and found unchanged)
        if (f > 0 && sched === 'same' && (counts.macs !== 0 || counts.activePixels !== 0)) {
          problems.push(`${where}: frame without change: ${counts.macs} MACs, ${counts.activePixels} pixels propagated`);
        }
      }
      // the previous frame's outputs are disposed now (the plane never mutates a handed-out tensor)
      for (const r of prevG) host.dispose(r.out);
      for (const r of prevO) cpu.dispose(r.out);
      if (prevFg) host.dispose(prevFg);
      if (prevFo) cpu.dispose(prevFo);
      prevG = rg; prevO = ro; prevFg = fg; prevFo = fo;
      if (problems.length > 8) break;
    }
  } finally {
    for (const r of prevG) host.dispose(r.out);
    if (prevFg) host.dispose(prevFg);
    g.dispose();
    o.dispose();
    await cudaPlane.settle();
    cudaPlane.dispose();
  }
  if (cudaPlane.bufferCount() !== 0) problems.push(`bufferCount ${cudaPlane.bufferCount()} after release`);
  if (denseSteps && cudaPlane.stats.denseSteps === 0) problems.push('no step took the dense path');
  if (denseSteps === 'full' && cudaPlane.stats.unmeasuredSteps === 0) problems.push('no full-update step skipped its diff pass');
  if (denseSteps === 'all' && cudaPlane.stats.unmarkedDenseSteps !== cudaPlane.stats.denseSteps) problems.push('a dense step ran the mark');
  if (denseSteps !== 'full' && cudaPlane.stats.fullUpdates !== 0) problems.push('a step handed out a full update');
  if (denseSteps === 'full' && c.ops.length > 2 && cudaPlane.stats.passThroughSteps === 0) problems.push('no pass-through step');
  if (denseSteps === 'mark' && cudaPlane.stats.unmarkedDenseSteps !== 0) problems.push('a dense step skipped the mark');
  const live = addon.liveBuffers();
  if (live !== live0) problems.push(`device buffers: ${live - live0} leaked`);
  // (the emulated addon counts launches: the first layer's count came by the probe, or never by it)
  const probes = (addon as unknown as {launches?: Record<string, number>}).launches?.sparsifyProbe;
  if (probes !== undefined && !probeDiffs && probes !== probes0) problems.push('probeDiffs off, but sparsifyProbe ran');
  if (probes !== undefined && probeDiffs && probes === probes0 && cudaPlane.stats.diffCountReads > 0) {
    problems.push('counts were read back, none by sparsifyProbe');
  }
  return problems;
}

function planeSpecs(title: string, getAddon: () => Addon) {
describe(title, () => {
  const needGpu = getAddon;
  const cases = makeCases();
  for (const mode of ['exact', 'threshold'] as const) {
    cases.forEach((c, i) => {
      it(`${mode}: ${c.label}`, async () => {
        const addon = needGpu();
        const rounds = Math.max(1, Math.round(SCALE));
        for (let r = 0; r < rounds; r++) {
          const seed = 1000 * i + 17 * r + (mode === 'exact' ? 0 : 500000);
          const problems = await runCase(addon, c, mode === 'exact', seed);
          expect(problems).withContext(`seed ${seed}`).toEqual([]);
        }
      });
    });
  }

  it('sparse steps do fewer MACs than a dense run, and a frame without change none (posenet-like conv)', async () => {
    const addon = needGpu();
    const host = new DeviceHost(addon);
    const plane = new CudaPlane(host as never);
    const rand = prng(7);
    const xs = [1, 64, 48, 32];
    const op = convOp(rand, 'FusedConv2D', 'frame', xs, {f: 1, outC: 64, stride: 1, pad: 'same', act: 'relu6'});
    const c: Case = {label: 'macs', frameShape: xs, ops: [op]};
    const run = new CaseRun({plane, backend: host, tensor: (v, s) => host.upload(v, s), read: (t) => host.read(t), dispose: (t) => host.dispose(t)}, c, true);
    let x = randomValues(rand, size(xs));
    const seedRun = run.frame(0, host.upload(x, xs))[0];
    const denseMacs = seedRun.macs;
    expect(denseMacs).toBe(64 * 48 * 32 * 64);
    x = nextFrame(rand, x, xs, 0.02, false);
    const sparse = run.frame(1, host.upload(x, xs))[0];
    const none = run.frame(2, host.upload(x, xs))[0];
    await plane.settle();
    const sc = await sparse.counts!;
    expect(sc.macs).toBeGreaterThan(0);
    expect(sc.macs).toBeLessThan(0.1 * denseMacs);
    // the same values as a new tensor: the host cannot know, the device finds no change; the step reads that count
    // back (its only change is a diffed input) and is an empty step, counted on the host
    expect(none.counts).toBeUndefined();
    const nc = {macs: none.macs, activePixels: none.active};
    expect(nc.macs).toBe(0);
    expect(nc.activePixels).toBe(0);
    run.dispose();
    plane.dispose();
  });

  it('probeInput: a frame without change is found without a step; a changed one is diffed once (kept for its step); a step for another tensor seeds again', async () => {
    const addon = needGpu();
    const host = new DeviceHost(addon);
    const plane = new CudaPlane(host as never);
    const host2 = new DeviceHost(addon);
    const fresh = new CudaPlane(host2 as never);  // dense reference: a seed on the frame alone
    host.plane = plane;
    host2.plane = fresh;
    const rand = prng(11);
    const xs = [1, 24, 20, 8];
    const op = convOp(rand, 'FusedConv2D', 'frame', xs, {f: 3, outC: 16, stride: 1, pad: 'same', act: 'relu'});
    const c: Case = {label: 'probe', frameShape: xs, ops: [op]};
    const run = new CaseRun({plane, backend: host, tensor: (v, s) => host.upload(v, s), read: (t) => host.read(t), dispose: (t) => host.dispose(t)}, c, true);
    const ref = new CaseRun({plane: fresh, backend: host2, tensor: (v, s) => host2.upload(v, s), read: (t) => host2.read(t), dispose: (t) => host2.dispose(t)}, c, true);
    const slot = run.slots[0];
    const states = op.inputs.map((i) => ({kind: i.src === 'frame' ? 'diff' : 'const'})) as never;
    const callOn = (r: CaseRun, t: Info) => r.call(0, op.inputs.map((i, k) => ({name: i.name, info: i.src === 'frame' ? t : r.consts[0][k]!})));
    const dense = (t: Info) => {
      const copy = host2.upload(host.read(t), xs);
      const out = fresh.seed(ref.slots[0], callOn(ref, copy), [true]).out;
      const v = host2.read(out);
      host2.dispose(out);
      host2.dispose(copy);
      return v;
    };
    let x = randomValues(rand, size(xs));
    const t0 = host.upload(x, xs);
    host.dispose(run.frame(0, t0)[0].out);
    // the same values as a new tensor: no change, no step
    const same = host.upload(x, xs);
    expect(plane.probeInput(slot, 0, same, 0)).toBe(false);
    expect(plane.stats.quietProbes).toBe(1);
    // a changed frame: diffed by the probe, and not again by its step (one count read for both)
    x = nextFrame(rand, x, xs, 0.05, false);
    const t1 = host.upload(x, xs);
    const reads = plane.stats.diffCountReads;
    expect(plane.probeInput(slot, 0, t1, 0)).toBe(true);
    const r1 = run.frame(1, t1)[0];
    expect(plane.stats.diffCountReads).toBe(reads + 1);
    expect(maxAbsDiff(r1.values, dense(t1))).toBeLessThanOrEqual(1e-5 * scaleOf(r1.values));
    host.dispose(r1.out);
    // a probe whose step comes for another tensor: the baseline moved without its step, the step gives up (seed again)
    x = nextFrame(rand, x, xs, 0.05, false);
    const t2 = host.upload(x, xs);
    const t3 = host.upload(nextFrame(rand, x, xs, 0.05, false), xs);
    expect(plane.probeInput(slot, 0, t2, 0)).toBe(true);
    expect(plane.step(slot, callOn(run, t3), states)).toBeNull();
    expect(plane.stats.abandonedProbes).toBe(1);
    // the engine seeds again: then steps as before
    host.dispose(plane.seed(slot, callOn(run, t3), op.inputs.map((i) => i.src === 'frame')).out);
    const r4 = run.frame(2, t2)[0];
    expect(maxAbsDiff(r4.values, dense(t2))).toBeLessThanOrEqual(1e-5 * scaleOf(r4.values));
    host.dispose(r4.out);
    // a kept probe, then another probe before its step (the step never came): no second diff; the step seeds again
    const t5 = host.upload(nextFrame(rand, x, xs, 0.05, false), xs);
    expect(plane.probeInput(slot, 0, t3, 0)).toBe(true);
    const reads5 = plane.stats.diffCountReads;
    expect(plane.probeInput(slot, 0, t5, 0)).toBe(true);
    expect(plane.stats.diffCountReads).toBe(reads5);
    expect(plane.step(slot, callOn(run, t5), states)).toBeNull();
    expect(plane.stats.abandonedProbes).toBe(2);
    for (const t of [t0, same, t1, t2, t3, t5]) host.dispose(t);
    await plane.settle();
    run.dispose();
    ref.dispose();
    plane.dispose();
    fresh.dispose();
  });

  it('NaN/Inf frames give the dense non-finite pattern, and the next finite frame the dense result', async () => {
    const addon = needGpu();
    const host = new DeviceHost(addon);
    const plane = new CudaPlane(host as never);
    const rand = prng(11);
    const xs = [1, 12, 10, 4];
    const c: Case = {label: 'nan', frameShape: xs,
      ops: [convOp(rand, 'FusedConv2D', 'frame', xs, {f: 3, outC: 6, stride: 1, pad: 'same', act: 'relu'})]};
    const run = new CaseRun({plane, backend: host, tensor: (v, s) => host.upload(v, s), read: (t) => host.read(t), dispose: (t) => host.dispose(t)}, c, true);
    const inputsOf = (x: Float32Array) => c.ops[0].inputs.map((i) => ({name: i.name, shape: i.shape, values: i.src === 'frame' ? x : i.src as Float32Array}));
    let x = randomValues(rand, size(xs));
    run.frame(0, host.upload(x, xs));
    const bad = x.slice();
    bad[5 * 4 + 1] = NaN;
    bad[77 * 4 + 2] = Infinity;
    const r1 = run.frame(1, host.upload(bad, xs))[0];
    const d1 = denseCpu(c, 0, inputsOf(bad));
    for (let i = 0; i < d1.length; i++) {
      if (Number.isNaN(d1[i]) !== Number.isNaN(r1.values[i]) || (Number.isFinite(d1[i]) && Math.abs(d1[i] - r1.values[i]) > 1e-5)) {
        fail(`frame with NaN/Inf: element ${i}: ${r1.values[i]} vs dense ${d1[i]}`);
        break;
      }
    }
    x = nextFrame(rand, x, xs, 0.05, false);
    const r2 = run.frame(2, host.upload(x, xs))[0];
    const d2 = denseCpu(c, 0, inputsOf(x));
    expect(maxAbsDiff(r2.values, d2)).toBeLessThanOrEqual(1e-5 * scaleOf(d2));
    await plane.settle();
    expect(plane.stats.nonFiniteSteps).toBe(1);
    run.dispose();
    plane.dispose();
  });

  // the cost model's dense path (backend dense kernel + diff pass over the candidates, or over every pixel
  // without the mark), forced on every conv step that can take it (inputs that are tensors: the chains' later layers)
  for (const [mode, dense] of [['exact', 'mark'], ['threshold', 'mark'], ['exact', 'all'], ['threshold', 'all'], ['exact', 'full'], ['threshold', 'full']] as const) {
    cases.forEach((c, i) => {
      if (!c.label.includes('chain')) return;
      const how = {mark: '', all: ' over every pixel (no mark)', full: ' over every pixel, full updates (pass-through consumers)'}[dense];
      it(`${mode}, conv steps dense + diff pass${how}: ${c.label}`, async () => {
        const addon = needGpu();
        const seed = 1000 * i + 7 + (mode === 'exact' ? 0 : 500000) + {mark: 0, all: 31, full: 62}[dense];
        const problems = await runCase(addon, c, mode === 'exact', seed, dense);
        expect(problems).withContext(`seed ${seed}`).toEqual([]);
      });
    });
  }

  // the first layer's count by a read-back with the launch (plane.probeDiffs off: the bench's A/B) gives the same
  for (const mode of ['exact', 'threshold'] as const) {
    cases.forEach((c, i) => {
      if (i % 3 !== 0) return;
      it(`${mode}, the first layer's count read back instead of probed: ${c.label}`, async () => {
        const seed = 1000 * i + 3 + (mode === 'exact' ? 0 : 500000);
        const problems = await runCase(needGpu(), c, mode === 'exact', seed, false, false);
        expect(problems).withContext(`seed ${seed}`).toEqual([]);
      });
    });
  }

  if (title.includes('emulated')) return;
  it('kernel arguments out of bounds throw a clear error instead of touching memory', () => {
    const addon = needGpu() as Addon & Record<string, Function>;
    const small = addon.alloc(16);
    const geom = Int32Array.from([1, 8, 8, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0]);
    try {
      expect(() => addon.deltaConvCompute(geom, small, small, 0, 0, 0, 0, 0, 0, 0, small))
          .toThrowError(/^delta-cuda: access \[0, \+\d+\) outside buffer/);
      expect(() => addon.deltaConvCompute(geom.subarray(0, 15), small, small, 0, 0, 0, 0, 0, 0, 0, small))
          .toThrowError(/^delta-cuda: conv geometry must have 16 elements/);
      expect(() => addon.deltaTruncate(small, small, small, small, 4, 1, 1, 0, small)).toThrowError(/^delta-cuda: counter entry offset 4/);
    } finally {
      addon.free(small);
    }
  });
});
}

planeSpecs('delta-cuda data plane vs delta-cpu (GPU)', needGpu);
// The plane's logic on every machine (CI has no GPU): kernels emulated in JS (emulated_addon.ts).
planeSpecs('delta-cuda data plane logic vs delta-cpu, emulated addon (no GPU)', () => new EmulatedAddon() as unknown as Addon);
