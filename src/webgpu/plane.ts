/// <reference types="@webgpu/types" />
/**
 * The delta-webgpu data plane. Everything a slot keeps lives on the device, in our own GPUBuffers
 * (never tfjs tensors): the propagated values (what the output tensor holds, updated in place at
 * changed pixels; copy-on-write while an older output tensor still aliases it), baselines of inputs
 * that come without an update, generation stamps (the per-pixel mask of this step's candidates),
 * the candidate list, the output update's list, and a small `meta` buffer with device-side counts
 * and the indirect dispatch arguments derived from them (kernels-wgsl/common.wgsl).
 *
 * A delta step is recorded into tfjs-webgpu's own open compute pass, between its dense kernels
 * (dispatches of one pass run in order for storage buffers, so no pass boundary is needed): `begin`
 * (clears the step's counts, GEN++, copies the producers' change counts: no clearBuffer or copy on
 * the encoder, which would end the pass); sparsify the 'diff' inputs; [args]; mark candidates from each
 * changed input; [args]; recompute candidates + bias/activation + truncation + in-place update +
 * output list ([args]: indirect dispatches on CPU adapters only; see directDispatch).
 * A conv step whose slot was mostly active on its last known step records instead tfjs-webgpu's dense
 * conv + one diff pass (the cost model, decided on the host: only the chosen branch is recorded).
 * A step without any changed input records nothing; a diffed input whose values are still on the
 * CPU (not uploaded yet) and equal, bit for bit, what the slot diffed last time is unchanged (host check).
 *
 * Reading an output back (read/readSync of an alias of a slot's value buffer): the plane keeps a host copy of
 * what the last read-back returned with the buffer's write generation (bumped by every write recorded into it:
 * seeds, steps with a change, pass-throughs, copy-on-write targets; dropped when the buffer leaves the plane);
 * a frame whose steps were all empty reads its outputs from that copy (a fresh array each time), no GPU copy.
 *
 * Counts (active pixels, MACs) stay on the device; they are copied into a mappable counter page
 * (all of a command buffer's copies at its end, before the submit) and read back asynchronously
 * after it (PlaneResult.deferredCounts; settle()). They also feed the cost model (lastFraction).
 */
import {backend_util, getKernel, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {CallView, convInfo, input} from '../core/op_table';
import {DataPlane, DebugRecord, InputState, PlaneCall, PlaneResult} from '../core/plane';
import type {Slot} from '../core/slot';
import {
  ACTIVATIONS, ArgsProgram, BeginProgram, CAP, CONV_MAX_C, ConvGeometry, CopyProgram, DenseDiffProgram, ConvMarkProgram, ConvProgram, GATHER_MAX_C,
  GatherProgram, INDEX_MODES, MeanRowsProgram, META, PointwiseMarkProgram, PointwiseProgram, POINTWISE_OPS, RangesMarkProgram,
  SparsifyProgram, WG,
} from './programs';
import {GatherPlan} from './gather';
import {GATHER_KERNELS} from './kernels';
import {BATCH_NORM_PACKED} from './kernels/elementwise';

/** The tfjs-webgpu internals we share (plain fields in its JS; some private in its .d.ts). */
export interface BackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: {has(id: object): boolean; get(id: object): {resource: unknown; external?: boolean; shape: number[]; dtype: string; values: unknown}};
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  tensorDataPendingDisposal: object[];
  dispatchCountInPass: number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The update a delta step hands to the next slots: changed pixels, on the device. */
export interface GpuUpdate {
  readonly list: GPUBuffer;
  /** Producer's meta buffer; its OUT word is the count. */
  readonly meta: GPUBuffer;
  readonly owner: GpuSlotState;
  /** owner.seq when this update was made: a later step of the owner overwrites the list. */
  readonly seq: number;
  /** Known on the host to be empty (the producer's inputs did not change): consumers skip it. */
  readonly empty: boolean;
  /**
   * Every pixel (list: the plane's identity list, meta: OUT = pixels): a busy producer. A conv consumer then
   * runs tfjs-webgpu's dense conv alone (pass-through: no begin, no diff, no counters), and hands on a full update.
   */
  readonly full: boolean;
}

const STORAGE = 0x0080, COPY_SRC = 0x0004, COPY_DST = 0x0008, INDIRECT = 0x0100, UNIFORM = 0x0040,
  MAP_READ = 0x0001;

const UNARY: Readonly<Record<string, number>> = {
  Relu: ACTIVATIONS.relu, Relu6: ACTIVATIONS.relu6, LeakyRelu: ACTIVATIONS.leakyrelu, Elu: ACTIVATIONS.elu,
  Sigmoid: ACTIVATIONS.sigmoid, Tanh: ACTIVATIONS.tanh,
};
const BINARY: Readonly<Record<string, number>> = {Add: POINTWISE_OPS.add, Sub: POINTWISE_OPS.sub, Multiply: POINTWISE_OPS.mul};
const CONV = new Set(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);
/** Fused activations the conv shader has (prelu: per output channel or scalar weights). */
const CONV_ACTS = new Set(['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid', 'prelu']);

export const WEBGPU_DELTA_KERNELS: readonly string[] = [...Object.keys(UNARY), ...Object.keys(BINARY), ...CONV, ...Object.keys(GATHER_KERNELS)];

function thresholdsKey(call: PlaneCall): string {
  return `${call.outputThreshold}|${call.inputThresholds.join(',')}`;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
function channelsOf(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1];
}
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Index mode of a pointwise input against the output shape, or null (broadcast we do not have). */
function indexMode(shape: readonly number[], out: readonly number[]): number | null {
  if (sameShape(shape, out)) return INDEX_MODES.same;
  const n = sizeOf(shape);
  if (n === 1) return INDEX_MODES.scalar;
  // (the shapes broadcast to `out`: checked by the caller) leading 1s aside, the same layout
  const trim = (s: readonly number[]) => { let k = 0; while (k < s.length - 1 && s[k] === 1) k++; return s.slice(k); };
  const C = channelsOf(out);
  if (sameShape(trim(shape), trim(out))) return INDEX_MODES.same;
  if (n === C && channelsOf(shape) === C) return INDEX_MODES.channel;
  if (channelsOf(shape) === 1 && sameShape(trim(shape.slice(0, -1)), trim(out.slice(0, -1)))) return INDEX_MODES.pixel;
  return null;
}

interface CounterEntry {
  resolve(c: {activePixels: number; macs: number; nonFinite?: boolean}): void;
  reject(e: unknown): void;
  /** words: CAND, args x3, OUT, TAPS, GEN, NONFINITE of the step. */
  convert(words: Uint32Array): {activePixels: number; macs: number; nonFinite?: boolean};
}

/** A mappable page of per-step counter copies (32 bytes each). */
class CounterPage {
  static readonly ENTRY = 32;
  static readonly ENTRIES = 128;
  readonly entries: CounterEntry[] = [];
  constructor(readonly buffer: GPUBuffer) {}
}

export class GpuSlotState {
  kind: 'pointwise' | 'conv' | 'gather' = 'pointwise';
  /** Gather kernels: the plan (./kernels/), its mark tables per input, constant aux data (or Mean's row sums). */
  plan: GatherPlan | null = null;
  tables: Array<GPUBuffer | null> = [];
  aux: GPUBuffer | null = null;
  gatherProgram: GatherProgram | null = null;
  /** config.debug: the record of the last run (filled when its readback maps; settle() waits for it). */
  debug: DebugRecord | null = null;
  out!: GPUBuffer;
  outBytes = 0;
  /** Output tensors whose resource is `out` (it may be updated in place only when none is alive). */
  outDataIds: object[] = [];
  /**
   * The slot's thresholds as baked into its uniforms at seed time (output, then each input). A delta step
   * with other thresholds (delta.configure after the slot was seeded) returns null, so the core re-seeds the
   * slot with the new ones: one dense step of that slot, never a step that silently uses stale thresholds.
   */
  thresholds = '';
  outShape: number[] = [];
  pixels = 0;
  channels = 1;
  meta!: GPUBuffer;
  /** Indirect dispatch args (same word offsets as meta; see common.wgsl). */
  args!: GPUBuffer;
  stamp!: GPUBuffer;
  cand!: GPUBuffer;
  outList!: GPUBuffer;
  baselines: Array<GPUBuffer | null> = [];
  inLists: Array<GPUBuffer | null> = [];
  inPixels: number[] = [];
  /** Per input: a change of it marks every output pixel (broadcast input). */
  bcast: boolean[] = [];
  /** Static uniform buffers of this slot's dispatches. */
  u: Record<string, GPUBuffer> = {};
  /** Every buffer of the slot but `out` and its uniforms (destroyed or pooled on release). */
  owned: GPUBuffer[] = [];
  /** Keys of the plane's shared uniform buffers this slot uses (one reference each). */
  uniformKeys: string[] = [];
  seq = 0;
  released = false;
  computeProgram!: PointwiseProgram | ConvProgram | GatherProgram;
  markProgram!: PointwiseMarkProgram | ConvMarkProgram | RangesMarkProgram;
  /** Dense MACs of a seed. */
  seedMacs = 0;
  /** MACs of one candidate (pointwise) or of one in-bounds tap (conv). */
  unitMacs = 0;
  weightIds: object[] = [];
  /** Delta steps of this slot that the device ran dense (conv + diff pass), as settled. */
  denseSteps = 0;
  /**
   * Cost model input: share of the output pixels touched on the slot's latest step whose counts reached
   * the host (candidates of a sparse step, propagated pixels of a dense one; usually last frame's). -1: none.
   */
  lastFraction = -1;
  /** lastFraction was measured (a step's counts), not assumed (a pass-through step sets 1): only measured shares hand full updates. */
  fractionMeasured = false;
  /** seq of the step lastFraction comes from (older counts arriving late do not overwrite a newer share). */
  fractionSeq = 0;
  /** Per diffed input: the raw values it was last diffed against, when they were on the CPU (host no-change check). */
  lastRaw: Array<Uint8Array | null> = [];
  /** The slot's meta has a counter copy recorded for the end of the command buffer (not yet submitted). */
  countsPending = false;
}

/**
 * Fraction of touched output pixels (on the slot's last known step) above which a conv delta step runs
 * dense (measured on lavapipe, docs/delta-webgpu.md).
 */
export const DEFAULT_DENSE_CROSSOVER = 0.12;
/** Options of new and current delta-webgpu planes (configureDeltaWebGPU in register.ts). */
/** Idle shared uniform buffers kept for re-seeds; bytes of released buffers kept in the plane's pool. */
const IDLE_UNIFORMS = 4096, POOL_BYTES = 256 * 1024 * 1024;
/** Workgroups of a direct dispatch over a device-side count (grid-stride loops cover more). */
const DIRECT_WGS = 8192;

export const webgpuOptions: {denseCrossover: number; seedWithTfjs: boolean; directDispatch: boolean | null; fullUpdateAbove: number} = {denseCrossover: DEFAULT_DENSE_CROSSOVER,
  // a dense conv step of a slot whose last known share is above this hands its consumers a full update (< 0: every
  // dense step; > 1: never); DELTA_WEBGPU_FULL_ABOVE sets the default
  fullUpdateAbove: ((e) => (e !== undefined && e !== '' && Number.isFinite(Number(e)) ? Number(e) : 0))((globalThis as {process?: {env?: Record<string, string | undefined>}}).process?.env?.DELTA_WEBGPU_FULL_ABOVE),
  // null: direct dispatches on real GPUs, indirect on CPU adapters (DELTA_WEBGPU_DIRECT=0|1 forces)
  directDispatch: ((e) => (e === '1' ? true : e === '0' ? false : null))((globalThis as {process?: {env?: Record<string, string | undefined>}}).process?.env?.DELTA_WEBGPU_DIRECT),
  // conv seeds through tfjs-webgpu's kernel (fast keyframes); NaN/Inf inputs then follow tfjs-webgpu's
  // semantics on that frame, not tfjs-cpu's: DELTA_WEBGPU_SEED_WITH_TFJS=0 (or configureDeltaWebGPU) for our shader
  seedWithTfjs: (globalThis as {process?: {env?: Record<string, string | undefined>}}).process?.env?.DELTA_WEBGPU_SEED_WITH_TFJS !== '0'};
/** Planes alive (so that configureDeltaWebGPU reaches the current backend's). */
export const livePlanes = new Set<{denseCrossover: number; seedWithTfjs: boolean; directDispatch: boolean; fullUpdateAbove: number}>();

export class WebGpuDataPlane implements DataPlane {
  /** GPU buffers made by buffer() and not destroyed yet (bufferCount()). */
  private gpuBuffers = 0;
  /** Output aliases: tensor dataId -> the value buffer it reads. */
  private readonly aliases = new Map<object, GPUBuffer>();
  /** Users of a value buffer: alive alias tensors, +1 while a slot owns it. */
  private readonly users = new Map<GPUBuffer, number>();
  /** Buffers to destroy after the next submit (recorded commands may still use them). */
  private pendingDestroy: GPUBuffer[] = [];
  private readonly freePages: CounterPage[] = [];
  private openPage: CounterPage | null = null;
  private closedPages: CounterPage[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly args = new ArgsProgram();
  private readonly sparsifyProgram = new SparsifyProgram();
  private readonly pointwise = new PointwiseProgram();
  private readonly pointwiseMark = new PointwiseMarkProgram();
  private readonly convMark = new ConvMarkProgram();
  private readonly denseDiff = new DenseDiffProgram();
  private readonly beginProgram = new BeginProgram();
  private readonly copyProgram = new CopyProgram();
  /** Counter copies (a step's meta -> its counter page entry) recorded at the end of the command buffer. */
  private pendingCounts: Array<{st: GpuSlotState | null; meta: GPUBuffer; page: CounterPage; k: number}> = [];
  /** A read-only stand-in for unused source bindings of `begin` (never written). */
  private spareBuffer: GPUBuffer | null = null;
  private readonly rangesMark = new RangesMarkProgram();
  private readonly meanRows = new MeanRowsProgram();
  private readonly gatherPrograms = new Map<string, GatherProgram>();
  /** Debug readbacks recorded since the last submit (mapped after it). */
  private debugCopies: Array<{buffer: GPUBuffer; fill(words: ArrayBuffer): void}> = [];
  private disposed = false;
  /** Steps and dispatches recorded (for tests and benchmarks). denseSteps: conv delta steps computed dense. */
  readonly counters = {steps: 0, emptySteps: 0, seeds: 0, dispatches: 0, copiesOnWrite: 0, denseSteps: 0,
    /** conv steps the host decided to run dense (tfjs' conv + diff pass); diffed inputs found unchanged on the host */
    hostDenseSteps: 0, hostUnchanged: 0,
    /** conv steps given a full update that ran tfjs' conv alone; full updates handed out */
    passThroughSteps: 0, fullUpdates: 0,
    /** Settled delta steps: MACs performed, and MACs of the touched pixels only (a dense-run conv step: its
     *  candidates' share of the dense MACs): the arithmetic ceiling of a perfect sparse kernel. */
    performedMacs: 0, touchedMacs: 0,
    /** Reads of output values (alias tensors): read back from the GPU, or served from the host copy of the last
     *  read-back because nothing was written into the buffer since (readValuesCached) */
    readbacks: 0, readCacheHits: 0};
  /**
   * Cost model of conv delta steps, decided on the host: when the slot's latest touched share known on the
   * host (GpuSlotState.lastFraction: the counts of its last settled step, usually the previous frame's;
   * this step's are on the device) is above this fraction, the step records tfjs-webgpu's dense conv over
   * the whole output + one diff pass (same update as the sparse path), else only the sparse path; without
   * a known share, sparse. 0: always dense; > 1: never (test hook; `configureDeltaWebGPU`).
   */
  denseCrossover = webgpuOptions.denseCrossover;
  /**
   * Direct dispatches with a fixed grid (the shaders grid-stride over the device-side counts and exit when
   * there is nothing) instead of indirect ones: Dawn validates every indirect dispatch, which was ~75% of
   * a frame on an H100 (benchmarks/results/webgpu-h100.md). Default: on real GPUs; on CPU adapters
   * (lavapipe, SwiftShader) indirect, where empty workgroups cost.
   */
  directDispatch: boolean;
  /**
   * Busy chains (as delta-cuda's fullUpdateAbove): a dense conv step of a slot whose last known touched share is
   * above this hands its consumers a full update; a conv given one runs tfjs-webgpu's conv alone (its output is
   * the step's output; one copy dispatch into the value buffer) and hands on a full update, so a busy chain
   * below one measuring slot records about what tfjs-webgpu records. A frame without change still records
   * nothing (empty updates). < 0: every dense step; > 1: never. Default 0 (dense steps of slots with a known share).
   */
  fullUpdateAbove = webgpuOptions.fullUpdateAbove;
  /** Conv seeds (dense runs) through tfjs-webgpu's kernel (default) or our conv shader (bit-identical to later steps). */
  seedWithTfjs = webgpuOptions.seedWithTfjs;
  /**
   * Test hook: called when the counts of a conv delta step with a change settle: whether it was recorded
   * dense (the host's decision) and whether its dense compute ran (any input change on the device), and the
   * touched share it measured (the next step's cost model input).
   */
  traceConvStep: ((kernel: string, outShape: readonly number[], dense: boolean, ran: boolean, fraction: number) => void) | null = null;

  constructor(private readonly backend: WebGPUBackend) {
    livePlanes.add(this);
    const info = (backend as unknown as {adapterInfo?: {vendor?: string; architecture?: string}}).adapterInfo;
    const cpuAdapter = /llvmpipe|lavapipe|swiftshader|software/i.test(`${info?.vendor ?? ''} ${info?.architecture ?? ''}`);
    this.directDispatch = webgpuOptions.directDispatch ?? !cpuAdapter;
  }

  private get b(): BackendInternals {
    return this.backend as unknown as BackendInternals;
  }
  private get device(): GPUDevice {
    return this.b.device;
  }

  hasDeltaKernel(kernel: string): boolean {
    return kernel in UNARY || kernel in BINARY || CONV.has(kernel) || kernel in GATHER_KERNELS;
  }

  private gatherPlan(call: CallView): GatherPlan | string {
    const plan = GATHER_KERNELS[call.kernel](call);
    if (typeof plan === 'string') return plan;
    const C = plan.outShape.length ? plan.outShape[plan.outShape.length - 1] : 1;
    if (C > GATHER_MAX_C) return `delta-webgpu ${call.kernel}: ${C} output channels > ${GATHER_MAX_C}`;
    if (plan.outShape.some((d) => d === 0)) return `delta-webgpu ${call.kernel}: empty output`;
    return plan;
  }

  unsupported(call: CallView): string | null {
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    for (const i of call.inputs) {
      // Cast int32 -> float32 on tfjs-webgpu keeps the int32 buffer (same data, the dtype changes)
      const stored = this.b.tensorMap.get(i.info.dataId)?.dtype;
      if (stored !== undefined && stored !== 'float32') return `input '${i.name}' is stored as ${stored} on the GPU (a cast without conversion)`;
      if (sizeOf(i.info.shape) * 4 > maxBinding) return `input '${i.name}' exceeds maxStorageBufferBindingSize (bindings are not split yet)`;
      if (sizeOf(i.info.shape) === 0) return `input '${i.name}' is empty`;
    }
    if (CONV.has(call.kernel)) {
      const act = String(call.attrs['activation'] ?? 'linear');
      if (!CONV_ACTS.has(act)) return `delta-webgpu conv: fused activation '${act}' not implemented`;
      const info = convInfo(call);
      // more output channels than the sparse shader's workgroup array: every step dense + diff (convMode)
      if (info.outChannels > CONV_MAX_C && this.denseCrossover > 1) return `delta-webgpu conv: ${info.outChannels} output channels > ${CONV_MAX_C} (sparse shader only)`;
      if (info.batchSize * info.outHeight * info.outWidth * info.outChannels * 4 > maxBinding) return 'output exceeds maxStorageBufferBindingSize';
      const bias = input(call, 'bias');
      if (bias && sizeOf(bias.shape) !== info.outChannels && sizeOf(bias.shape) !== 1) {
        return `delta-webgpu conv: bias of shape [${bias.shape}] (per channel or one value only)`;
      }
      const prelu = input(call, 'preluActivationWeights');
      if (act === 'prelu' && (!prelu || (sizeOf(prelu.shape) !== info.outChannels && sizeOf(prelu.shape) !== 1))) {
        return `delta-webgpu conv: prelu weights of shape [${prelu?.shape}] (per output channel or one value only)`;
      }
      return null;
    }
    if (call.kernel in GATHER_KERNELS) {
      const plan = this.gatherPlan(call);
      if (typeof plan === 'string') return plan;
      if (sizeOf(plan.outShape) * 4 > maxBinding) return 'output exceeds maxStorageBufferBindingSize';
      return null;
    }
    const out = this.pointwiseOutShape(call);
    if (!out) return 'delta-webgpu pointwise: incompatible shapes';
    if (call.inputs.length > 2) return 'delta-webgpu pointwise: more than 2 inputs';
    for (const i of call.inputs) {
      if (indexMode(i.info.shape, out) === null) return `delta-webgpu pointwise: broadcast of [${i.info.shape}] to [${out}] not implemented`;
    }
    if (sizeOf(out) * 4 > maxBinding) return 'output exceeds maxStorageBufferBindingSize';
    return null;
  }

  private pointwiseOutShape(call: CallView): number[] | null {
    try {
      return call.inputs.slice(1).reduce((s, i) => backend_util.assertAndGetBroadcastShape(s, i.info.shape), [...call.inputs[0].info.shape]);
    } catch {
      return null;
    }
  }

  hasBaseline(slot: Slot, i: number): boolean {
    const st = slot.plane as GpuSlotState | null;
    return st != null && st.baselines[i] != null;
  }

  /** GPU buffers the plane holds for slots (state and value buffers; not the counter-page pool): flat over a long run. */
  bufferCount(): number {
    return this.gpuBuffers;
  }

  /** The slot's record of its last run (config.debug); its arrays are filled once the readback maps: await settleStats() first. */
  debugRecord(slot: Slot): DebugRecord | null {
    return (slot.plane as GpuSlotState | null)?.debug ?? null;
  }

  /**
   * config.debug: copies what the slot saw (dense inputs as it used them, raw values of diffed inputs)
   * and its propagated output into one mappable buffer, read back after the next submit (no stall).
   */
  private recordDebug(st: GpuSlotState, call: PlaneCall, dense: readonly GPUBuffer[], raw: ReadonlyArray<GPUBuffer | null>) {
    const enc = this.encoder();
    const parts: Array<{buf: GPUBuffer; target: Float32Array}> = [];
    const inputs = call.inputs.map((ni, i) => {
      const values = new Float32Array(sizeOf(ni.info.shape));
      parts.push({buf: dense[i], target: values});
      return {name: ni.name, shape: [...ni.info.shape], dtype: ni.info.dtype, values};
    });
    const rawInputs = call.inputs.map((ni, i) => {
      const b = raw[i];
      if (!b) return null;
      const values = new Float32Array(sizeOf(ni.info.shape));
      parts.push({buf: b, target: values});
      return values;
    });
    const output = new Float32Array(sizeOf(st.outShape));
    parts.push({buf: st.out, target: output});
    const total = parts.reduce((a, p) => a + p.target.length * 4, 0);
    const staging = this.device.createBuffer({size: Math.max(16, total), usage: MAP_READ | COPY_DST, label: 'delta:debug'});
    let off = 0;
    for (const p of parts) {
      if (p.target.length) enc.copyBufferToBuffer(p.buf, 0, staging, off, p.target.length * 4);
      off += p.target.length * 4;
    }
    this.debugCopies.push({buffer: staging, fill: (ab) => {
      let o = 0;
      for (const p of parts) {
        p.target.set(new Float32Array(ab, o, p.target.length));
        o += p.target.length * 4;
      }
    }});
    st.debug = {
      kernel: call.kernel, attrs: call.attrs, inputs, output, outputShape: [...st.outShape],
      outputThreshold: call.outputThreshold, inputThresholds: call.inputThresholds, rawInputs,
    };
  }

  release(slot: Slot): void {
    const st = slot.plane as GpuSlotState | null;
    if (!st) return;
    slot.plane = null;
    st.released = true;
    this.retire(st.owned);
    this.dropUser(st.out);
    for (const key of st.uniformKeys) {
      const e = this.uniforms.get(key);
      if (e && --e.refs === 0) this.idleUniforms.add(key);
    }
    st.uniformKeys = [];
    // idle uniforms kept for re-seeds, within bounds (the oldest go after the next submit)
    for (const key of this.idleUniforms) {
      if (this.idleUniforms.size <= IDLE_UNIFORMS) break;
      this.idleUniforms.delete(key);
      this.pendingDestroy.push(this.uniforms.get(key)!.buf);
      this.uniforms.delete(key);
    }
  }

  // ---- buffers ------------------------------------------------------------------------------

  /**
   * pooled: a buffer whose contents a new slot never reads before writing them (values, lists, baselines,
   * args): taken from the pool of released ones when one of its size and usage is there (a re-seed, a
   * keyframe, delta.reset() then costs no buffer creation), and returned to it on release.
   */
  private buffer(bytes: number, usage: number, label: string, owner?: GpuSlotState, exact = false, counted = true, pooled = false): GPUBuffer {
    // value buffers are exactly the tensor's size (tfjs reads a tensor's whole buffer); others >= 16 bytes
    const size = Math.max(exact ? 4 : 16, Math.ceil(bytes / 4) * 4);
    let buf: GPUBuffer | undefined;
    const key = `${size}:${usage}`;
    if (pooled) {
      buf = this.pool.get(key)?.pop();
      if (buf) this.pooledBytes -= size;
    }
    if (!buf) {
      buf = this.device.createBuffer({size, usage, label: `delta:${label}`});
      if (pooled) this.poolKeys.set(buf, key);
    }
    if (counted) this.gpuBuffers++;
    owner?.owned.push(buf);
    return buf;
  }

  /**
   * A uniform buffer with these contents (written once, never changed): shared by every slot that needs
   * the same words and kept (reference-counted, idle ones bounded) across re-seeds, so a seed mostly
   * creates and writes none.
   */
  private uniform(data: ArrayBuffer, label: string, owner: GpuSlotState): GPUBuffer {
    const key = new Uint32Array(data).join(',');
    let e = this.uniforms.get(key);
    if (!e) {
      const buf = this.device.createBuffer({size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: UNIFORM | COPY_DST, label: `delta:${label}`});
      this.device.queue.writeBuffer(buf, 0, data);
      this.uniforms.set(key, e = {buf, refs: 0});
    }
    if (e.refs++ === 0) this.idleUniforms.delete(key);
    owner.uniformKeys.push(key);
    return e.buf;
  }
  private readonly uniforms = new Map<string, {buf: GPUBuffer; refs: number}>();
  /** Uniforms no slot uses now (insertion order: the oldest first). */
  private readonly idleUniforms = new Set<string>();
  /** Released poolable buffers by `size:usage` (usable once the submit after their release is done). */
  private readonly pool = new Map<string, GPUBuffer[]>();
  private readonly poolKeys = new WeakMap<GPUBuffer, string>();
  private pendingPool: GPUBuffer[] = [];
  private pooledBytes = 0;

  /** A slot buffer leaves the plane now; after the next submit (recorded commands may use it) it is destroyed or pooled. */
  private retire(bufs: GPUBuffer[]) {
    for (const b of bufs) {
      // a pooled buffer may come back as another slot's buffer: no read copy or generation survives it
      this.writeGens.delete(b);
      this.readCopies.delete(b);
      (this.poolKeys.has(b) ? this.pendingPool : this.pendingDestroy).push(b);
    }
    this.gpuBuffers -= bufs.length;
  }

  private dropUser(buf: GPUBuffer) {
    const n = (this.users.get(buf) ?? 1) - 1;
    if (n <= 0) {
      this.users.delete(buf);
      this.retire([buf]);
    } else {
      this.users.set(buf, n);
    }
  }

  /** Backend hook: a tensor's data is being freed. */
  noteRelease(dataId: object): void {
    const buf = this.aliases.get(dataId);
    if (!buf) return;
    this.aliases.delete(dataId);
    this.dropUser(buf);
  }

  /** Backend hook: right before tfjs submits its command encoder (its compute pass is ended). */
  beforeSubmit(): void {
    if (this.pendingCounts.length) this.flushCounts();
    if (this.openPage && this.openPage.entries.length) {
      this.closedPages.push(this.openPage);
      this.openPage = null;
    }
  }

  /** Backend hook: tfjs submitted its command encoder (our recorded commands with it). */
  afterSubmit(): void {
    for (const buf of this.pendingDestroy) buf.destroy();
    this.pendingDestroy = [];
    for (const buf of this.pendingPool) {
      const key = this.poolKeys.get(buf)!;
      const size = Number(key.slice(0, key.indexOf(':')));
      if (this.disposed || this.pooledBytes + size > POOL_BYTES) {
        buf.destroy();
        continue;
      }
      let list = this.pool.get(key);
      if (!list) this.pool.set(key, list = []);
      list.push(buf);
      this.pooledBytes += size;
    }
    this.pendingPool = [];
    const copies = this.debugCopies;
    this.debugCopies = [];
    for (const c of copies) {
      const p = c.buffer.mapAsync(MAP_READ).then(() => {
        c.fill(c.buffer.getMappedRange().slice(0));
        c.buffer.unmap();
        c.buffer.destroy();
      }, () => c.buffer.destroy());
      this.inflight.add(p);
      p.finally(() => this.inflight.delete(p));
    }
    const pages = this.closedPages;
    this.closedPages = [];
    for (const page of pages) {
      const p = page.buffer.mapAsync(0x0001 /* GPUMapMode.READ */).then(() => {
        const words = new Uint32Array(page.buffer.getMappedRange().slice(0));
        page.buffer.unmap();
        page.entries.forEach((e, k) => e.resolve(e.convert(words.subarray(k * 8, k * 8 + 8))));
        page.entries.length = 0;
        if (!this.disposed) this.freePages.push(page);
        else page.buffer.destroy();
      }, (err) => {
        for (const e of page.entries) e.reject(err);
        page.entries.length = 0;
      });
      this.inflight.add(p);
      p.finally(() => this.inflight.delete(p));
    }
  }

  async settle(): Promise<void> {
    if ((this.openPage && this.openPage.entries.length) || this.closedPages.length || this.pendingCounts.length || this.debugCopies.length) {
      const b = this.b;
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue();  // beforeSubmit/afterSubmit close and map the page
    }
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  dispose(): void {
    this.disposed = true;
    livePlanes.delete(this);
    this.readCopies.clear();
    for (const list of this.readStaging.values()) for (const buf of list) buf.destroy();
    this.readStaging.clear();
    for (const p of this.freePages) p.buffer.destroy();
    this.freePages.length = 0;
    this.spareBuffer?.destroy();
    for (const u of this.copyUniforms.values()) u.destroy();
    this.copyUniforms.clear();
    for (const f of this.fullLists.values()) { f.list.destroy(); f.meta.destroy(); }
    this.fullLists.clear();
    for (const e of this.uniforms.values()) e.buf.destroy();
    this.uniforms.clear();
    this.idleUniforms.clear();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
  }

  /**
   * A copy of the step's counts (meta words 0..7) into the open counter page, recorded at the end of the
   * command buffer (beforeSubmit: one run of copies after the last pass, none between a frame's dispatches;
   * a slot stepping again before the submit records its pending copy first: flushCounts).
   */
  private deferCounts(st: GpuSlotState, convert: CounterEntry['convert']): Promise<{activePixels: number; macs: number; nonFinite?: boolean}> {
    if (!this.openPage) {
      this.openPage = this.freePages.pop() ??
          new CounterPage(this.buffer(CounterPage.ENTRY * CounterPage.ENTRIES, MAP_READ | COPY_DST, 'counters', undefined, false, false));
    }
    const page = this.openPage;
    const k = page.entries.length;
    this.pendingCounts.push({st, meta: st.meta, page, k});
    st.countsPending = true;
    const promise = new Promise<{activePixels: number; macs: number; nonFinite?: boolean}>((resolve, reject) => page.entries.push({resolve, reject, convert}));
    if (page.entries.length === CounterPage.ENTRIES) {
      this.closedPages.push(page);
      this.openPage = null;
    }
    return promise;
  }

  /** Records the pending counter copies (the compute pass ends here). */
  private flushCounts() {
    const enc = this.encoder();
    for (const c of this.pendingCounts) {
      enc.copyBufferToBuffer(c.meta, 0, c.page.buffer, c.k * CounterPage.ENTRY, CounterPage.ENTRY);
      if (c.st) c.st.countsPending = false;
    }
    this.pendingCounts = [];
  }

  // ---- reading outputs back -------------------------------------------------------------------

  /** Write generation of each slot value buffer (plane-wide sequence; absent: unknown, never served from a copy). */
  private readonly writeGens = new WeakMap<GPUBuffer, number>();
  private writeSeq = 0;
  /** Host copy of a value buffer's contents as last read back, with the write generation they were read at. */
  private readonly readCopies = new Map<GPUBuffer, {gen: number; values: Float32Array}>();

  /** A write into a slot's value buffer is being recorded now: earlier read-backs of it are stale. */
  private noteValuesWrite(buf: GPUBuffer) {
    this.writeGens.set(buf, ++this.writeSeq);
    this.readCopies.delete(buf);
  }

  /**
   * Backend read/readSync of a tensor whose values are not on the CPU yet: when it aliases a slot's value
   * buffer that nothing was written into since its last read-back, a new copy of those values (the app may
   * mutate what it gets); else null (read it back, then readValuesStore).
   */
  readValuesCached(dataId: object): Float32Array | null {
    const buf = this.aliases.get(dataId);
    if (!buf) return null;
    const c = this.readCopies.get(buf);
    const gen = this.writeGens.get(buf);
    if (!c || gen === undefined || c.gen !== gen) return null;
    this.counters.readCacheHits++;
    return c.values.slice();
  }

  /**
   * Before a read-back of dataId (called where the copy is recorded: the values are those of the buffer's
   * current generation): what readValuesStore needs to keep them, or null (no slot value buffer).
   */
  readValuesToken(dataId: object): {buf: GPUBuffer; gen: number} | null {
    const buf = this.aliases.get(dataId);
    if (buf) {
      const gen = this.writeGens.get(buf);
      if (gen === undefined) return null;
      this.counters.readbacks++;
      return {buf, gen};
    }
    // a pass-through step's output (tfjs' tensor): the value buffer got a bit-exact copy of it at that generation
    const twin = this.passThroughOuts.get(dataId);
    if (!twin || this.writeGens.get(twin.buf) !== twin.gen) return null;
    this.counters.readbacks++;
    return twin;
  }
  /** Output tensors of pass-through steps -> the value buffer (and its generation) they were copied into. */
  private readonly passThroughOuts = new WeakMap<object, {buf: GPUBuffer; gen: number}>();

  /**
   * Read-back of a tensor the plane handed out (readValuesToken gave a token): its copy into a mappable buffer is
   * recorded now (the values of this moment), the submit is left to a microtask so that every read-back asked for
   * in the same synchronous run (an app's Promise.all(outs.map((o) => o.data()))) shares one submit; then mapped.
   */
  readBack(dataId: object): Promise<Float32Array> {
    const b = this.b;
    const src = b.tensorMap.get(dataId).resource as GPUBuffer;
    const size = src.size;
    const staging = this.readStaging.get(size)?.pop() ??
        this.device.createBuffer({size, usage: MAP_READ | COPY_DST, label: 'delta:readback'});
    this.encoder().copyBufferToBuffer(src, 0, staging, 0, size);
    b.commandQueueOwnedIds.add(dataId);  // a dispose before the submit is deferred by tfjs
    this.readSubmit ??= Promise.resolve().then(() => {
      this.readSubmit = null;
      if (b.commandEncoder) {
        b.endComputePassEncoder();
        b.submitQueue();
      }
    });
    return this.readSubmit.then(() => staging.mapAsync(MAP_READ)).then(() => {
      const values = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      if (this.disposed) staging.destroy();
      else this.stagingIdle(size).push(staging);
      return values;
    }, (err) => {
      staging.destroy();
      throw err;
    });
  }
  /** The submit shared by the read-backs asked for since the last one (null: none pending). */
  private readSubmit: Promise<void> | null = null;
  /** Idle mappable buffers of read-backs, by size (an app reads the same outputs every frame). */
  private readonly readStaging = new Map<number, GPUBuffer[]>();
  private stagingIdle(size: number): GPUBuffer[] {
    let list = this.readStaging.get(size);
    if (!list) this.readStaging.set(size, list = []);
    return list;
  }

  /** The values a read-back returned (kept as a copy, only while the buffer is still at that generation). */
  readValuesStore(token: {buf: GPUBuffer; gen: number}, values: unknown): void {
    if (this.disposed || this.writeGens.get(token.buf) !== token.gen || !(values instanceof Float32Array)) return;
    this.readCopies.set(token.buf, {gen: token.gen, values: values.slice()});
  }

  // ---- recording ----------------------------------------------------------------------------

  /** tfjs-webgpu's open compute pass (begun if none): our dispatches go between its kernels' dispatches. */
  private pass(): GPUComputePassEncoder {
    const b = this.b;
    b.ensureCommandEncoderReady();
    if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder!.beginComputePass();
    return b.computePassEncoder;
  }

  /** tfjs' command encoder with its compute pass ended (for copies, clears and debug readbacks). */
  private encoder(): GPUCommandEncoder {
    const b = this.b;
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    return b.commandEncoder!;
  }

  /** The GPUBuffer of a tensor (uploaded if its values are still on the CPU). */
  private tensorBuffer(info: TensorInfo): GPUBuffer {
    const b = this.b;
    b.uploadToGPU(info.dataId);
    b.commandQueueOwnedIds.add(info.dataId);  // a dispose before the submit is deferred by tfjs
    return b.tensorMap.get(info.dataId).resource as GPUBuffer;
  }

  /** Host cost per dispatch matters (tens of dispatches per frame): pipelines per program and bind groups per buffer set are cached. */
  private readonly pipelines = new Map<object, {pipeline: GPUComputePipeline; layout: GPUBindGroupLayout}>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;

  private dispatch(pass: GPUComputePassEncoder, program: {pipeline(d: GPUDevice): GPUComputePipeline},
                   entries: Record<number, GPUBuffer>, groups: [number, number] | {indirect: GPUBuffer; offset: number; direct: [number, number]}) {
    let p = this.pipelines.get(program);
    if (!p) {
      const pipeline = program.pipeline(this.device);
      this.pipelines.set(program, p = {pipeline, layout: pipeline.getBindGroupLayout(0)});
    }
    const pipeline = p.pipeline;
    // bind groups keyed by (program, binding -> buffer identity); buffers are never reused after destroy,
    // so a cached group is only found again for live buffers. Bounded: cleared when it grows large.
    let key = '';
    for (const k in entries) {
      const buf = entries[k];
      let id = this.bufferIds.get(buf);
      if (id === undefined) this.bufferIds.set(buf, id = this.nextBufferId++);
      key += `${k}:${id},`;
    }
    let progId = this.bufferIds.get(program as unknown as GPUBuffer);
    if (progId === undefined) this.bufferIds.set(program as unknown as GPUBuffer, progId = this.nextBufferId++);
    key += `p${progId}`;
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      if (this.bindGroups.size > 8192) this.bindGroups.clear();
      bindGroup = this.device.createBindGroup({
        layout: p.layout,
        entries: Object.entries(entries).map(([binding, buffer]) => ({binding: Number(binding), resource: {buffer}})),
      });
      this.bindGroups.set(key, bindGroup);
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (Array.isArray(groups)) pass.dispatchWorkgroups(groups[0], groups[1]);
    else if (this.directDispatch) pass.dispatchWorkgroups(groups.direct[0], groups.direct[1]);  // shaders grid-stride over device counts
    else pass.dispatchWorkgroupsIndirect(groups.indirect, groups.offset);
    this.counters.dispatches++;
    // (not counted in tfjs' dispatchCountInPass: our dispatches would make it submit more often)
  }

  /** A tensor whose resource is the slot's value buffer (tfjs will not free it: external). */
  private alias(st: GpuSlotState): TensorInfo {
    const b = this.b;
    const out = b.makeTensorInfo(st.outShape, 'float32');
    const td = b.tensorMap.get(out.dataId);
    td.resource = st.out;
    td.external = true;
    this.aliases.set(out.dataId, st.out);
    this.users.set(st.out, (this.users.get(st.out) ?? 0) + 1);
    st.outDataIds.push(out.dataId);
    return out;
  }

  private aliveAliases(st: GpuSlotState): object[] {
    const b = this.b;
    return st.outDataIds.filter((id) => b.tensorMap.has(id) && !b.tensorDataPendingDisposal.includes(id));
  }

  // ---- seed ---------------------------------------------------------------------------------

  seed(slot: Slot, call: PlaneCall, keepBaseline: readonly boolean[]): PlaneResult {
    // a re-seed of a slot (keyframe, NaN, new thresholds) keeps the cost model's last known share
    const prevFraction = (slot.plane as GpuSlotState | null)?.lastFraction ?? -1;
    this.release(slot);
    const st = new GpuSlotState();
    st.lastFraction = prevFraction;
    st.thresholds = thresholdsKey(call);
    const conv = CONV.has(call.kernel);
    const gather = call.kernel in GATHER_KERNELS;
    st.kind = conv ? 'conv' : gather ? 'gather' : 'pointwise';
    let geometry: ConvGeometry | null = null;
    if (conv) {
      const info = convInfo(call);
      st.outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
      geometry = this.geometry(call, info);
    } else if (gather) {
      const plan = this.gatherPlan(call);
      if (typeof plan === 'string') throw new Error(`tfjs-backend-delta: ${plan}`);  // unsupported() said so first
      st.plan = plan;
      st.outShape = [...plan.outShape];
    } else {
      st.outShape = this.pointwiseOutShape(call)!;
    }
    st.channels = channelsOf(st.outShape);
    st.pixels = sizeOf(st.outShape) / st.channels;
    st.outBytes = sizeOf(st.outShape) * 4;
    const P = st.pixels;
    st.out = this.buffer(st.outBytes, STORAGE | COPY_SRC | COPY_DST, `${call.kernel}:values`, undefined, true, true, true);
    this.users.set(st.out, 1);
    this.noteValuesWrite(st.out);  // the dense run below writes it
    // meta and stamp are new (zeros): stamps are generations of this meta's GEN
    st.meta = this.buffer(META.BYTES, STORAGE | COPY_SRC | COPY_DST, 'meta', st);
    st.args = this.buffer(META.BYTES, STORAGE | INDIRECT, 'args', st, false, true, true);
    // candidates: output pixels (Mean: its rows)
    const candPixels = st.plan ? sizeOf(st.plan.candView) : P;
    st.stamp = this.buffer(candPixels * 4, STORAGE, 'stamp', st);
    st.cand = this.buffer(candPixels * 4, STORAGE, 'cand', st, false, true, true);
    st.outList = this.buffer(P * 4, STORAGE, 'outList', st, false, true, true);

    const varying: number[] = [];
    const dense: GPUBuffer[] = [];
    call.inputs.forEach((ni, i) => {
      const isConst = conv ? ni.name !== 'x' : gather ? !st.plan!.marks.some((m) => m.input === i) : false;
      // values still on the CPU: kept for the next step's host no-change check (see sameRaw)
      st.lastRaw[i] = null;
      if (keepBaseline[i] && !isConst) {
        const v = this.cpuValues(ni.info);
        st.lastRaw[i] = v ? copyBytes(v) : null;
      }
      const buf = this.tensorBuffer(ni.info);
      st.inPixels[i] = sizeOf(ni.info.shape) / channelsOf(ni.info.shape);
      st.bcast[i] = !conv && !gather && indexMode(ni.info.shape, st.outShape)! >= INDEX_MODES.channel;
      if (keepBaseline[i] && !isConst) {
        const bytes = sizeOf(ni.info.shape) * 4;
        const base = this.buffer(bytes, STORAGE | COPY_DST | COPY_SRC, `baseline${i}`, st, false, true, true);
        this.copy(buf, base, bytes / 4);
        st.baselines[i] = base;
        st.inLists[i] = this.buffer(st.inPixels[i] * 4, STORAGE, `inList${i}`, st, false, true, true);
        dense[i] = base;
      } else {
        st.baselines[i] = null;
        st.inLists[i] = null;
        dense[i] = buf;
      }
      if (!isConst) varying.push(i);
    });

    // static uniforms of this slot
    const nIn = call.inputs.length;
    const thr = call.outputThreshold;
    if (conv) {
      const g = geometry!;
      st.computeProgram = new ConvProgram(g.outC);
      st.markProgram = this.convMark;
      st.u.dense = this.uniform(ConvProgram.params(g, true, thr), 'conv-dense', st);
      st.u.delta = this.uniform(ConvProgram.params(g, false, thr), 'conv-delta', st);
      const xi = call.inputs.findIndex((i) => i.name === 'x');
      st.u[`mark${xi}`] = this.uniform(ConvMarkProgram.params(g, META.IN(xi)), 'conv-mark', st);
      st.unitMacs = g.depthwise ? g.outC : g.inC * g.outC;
      st.seedMacs = this.denseTaps(g) * st.unitMacs;
      st.weightIds = call.inputs.filter((i) => i.name !== 'x').map((i) => i.info.dataId);
    } else if (gather) {
      this.seedGather(st, call);
    } else {
      st.computeProgram = this.pointwise;
      st.markProgram = this.pointwiseMark;
      const op = BINARY[call.kernel] ?? POINTWISE_OPS.unary;
      const ai = call.kernel in BINARY ? call.inputs.findIndex((i) => i.name === 'a') : 0;
      const bi = call.kernel in BINARY ? call.inputs.findIndex((i) => i.name === 'b') : 0;
      const modes = [indexMode(call.inputs[ai].info.shape, st.outShape)!, indexMode(call.inputs[bi].info.shape, st.outShape)!];
      const base = {pixels: P, channels: st.channels, nIn, op, act: UNARY[call.kernel] ?? 0,
        mode0: modes[0], mode1: modes[1], thr, alpha: Number(call.attrs['alpha'] ?? 0)};
      st.u.dense = this.uniform(PointwiseProgram.params({...base, dense: true}), 'pw-dense', st);
      st.u.delta = this.uniform(PointwiseProgram.params({...base, dense: false}), 'pw-delta', st);
      st.u.order = this.uniform(new Uint32Array([ai, bi, 0, 0]).buffer, 'pw-order', st);  // binding order
      call.inputs.forEach((_ni, i) => {
        st.u[`mark${i}`] = this.uniform(PointwiseMarkProgram.params(META.IN(i), st.bcast[i], P), 'pw-mark', st);
      });
      st.unitMacs = st.channels * Math.max(1, nIn - 1);
      st.seedMacs = P * st.unitMacs;
    }
    const markDiv = WG;
    const candDiv = st.kind === 'pointwise' ? WG : 1;
    const bcastMask = st.bcast.reduce((m, bc, i) => (bc ? m | (1 << i) : m), 0);
    const bcastWgs = Math.min(CAP, Math.ceil(P / WG));
    st.u.args0 = this.uniform(ArgsProgram.params({mode: 0, nIn, inDiv: markDiv, candDiv, bcastMask, bcastWgs}), 'args0', st);
    st.u.args1 = this.uniform(ArgsProgram.params({mode: 1, nIn, inDiv: markDiv, candDiv, bcastMask, bcastWgs}), 'args1', st);
    call.inputs.forEach((ni, i) => {
      if (st.baselines[i]) {
        st.u[`sparsify${i}`] = this.uniform(
            SparsifyProgram.params(st.inPixels[i], channelsOf(ni.info.shape), call.inputThresholds[i], META.IN(i)), 'sparsify', st);
      }
    });

    if (conv && this.seedWithTfjs) {
      // the dense run of a conv: tfjs-webgpu's own tiled kernel (dense speed; a keyframe costs about a
      // dense frame), copied into the value buffer; later steps recompute pixels with our shader (same
      // float32 math in another order: exact mode agrees within float tolerance)
      const {res, temps} = this.tfjsKernel(st, call, dense);
      this.copy(this.tensorBuffer(res), st.out, st.outBytes / 4);
      this.disposeTfjs(res, temps);
    } else {
      // the dense run with the shader the delta steps use (recomputed pixels agree bit for bit)
      this.compute(this.pass(), st, call, dense, true);
    }
    slot.plane = st;
    this.counters.seeds++;
    const out = this.alias(st);
    this.b.commandQueueOwnedIds.add(out.dataId);
    if (call.debug) this.recordDebug(st, call, dense, call.inputs.map(() => null));
    // the seed's non-finite flag (NaN/Inf produced by our shaders) comes back with the counters: the slot
    // re-seeds. A seed through tfjs' conv writes no count (its meta stays zero): nothing to read back.
    if (conv && this.seedWithTfjs) return {out, update: null, activePixels: P, totalPixels: P, macs: st.seedMacs, nonFinite: false};
    const seedMacs = st.seedMacs;
    const deferredCounts = this.deferCounts(st, (w) => ({activePixels: P, macs: seedMacs, nonFinite: w[META.NONFINITE] !== 0}));
    return {out, update: null, activePixels: P, totalPixels: P, macs: st.seedMacs, nonFinite: false, deferredCounts};
  }

  /** Gather kernels: mark tables, aux data, uniforms (see ./gather.ts). */
  private seedGather(st: GpuSlotState, call: PlaneCall) {
    const plan = st.plan!;
    let prog = this.gatherPrograms.get(plan.family);
    if (!prog) this.gatherPrograms.set(plan.family, prog = new GatherProgram(plan.family));
    st.computeProgram = prog;
    st.markProgram = this.rangesMark;
    for (const m of plan.marks) {
      const t = this.buffer(m.table.byteLength, STORAGE | COPY_DST, `table${m.input}`, st);
      this.device.queue.writeBuffer(t, 0, m.table as Int32Array<ArrayBuffer>);
      st.tables[m.input] = t;
      st.u[`mark${m.input}`] = this.uniform(RangesMarkProgram.params(META.IN(m.input), m.view, plan.candView), 'ranges-mark', st);
    }
    const thr = call.outputThreshold;
    const C = st.channels;
    if (plan.mean) {
      const {H, W} = plan.mean;
      const N = st.pixels;
      st.aux = this.buffer(N * H * C * 4, STORAGE, 'mean-rows', st);
      st.u.rowsDense = this.uniform(MeanRowsProgram.params(N * H, W, C, true, H * W), 'mean-rows-dense', st);
      st.u.rowsDelta = this.uniform(MeanRowsProgram.params(N * H, W, C, false, H * W), 'mean-rows-delta', st);
      st.u.dense = this.uniform(GatherProgram.params(N, C, 1, thr, plan.params), 'gather-dense', st);
      st.u.delta = this.uniform(GatherProgram.params(N, C, 2, thr, plan.params), 'gather-delta', st);
    } else {
      st.u.dense = this.uniform(GatherProgram.params(st.pixels, C, 1, thr, plan.params), 'gather-dense', st);
      st.u.delta = this.uniform(GatherProgram.params(st.pixels, C, 0, thr, plan.params), 'gather-delta', st);
    }
    if (plan.aux) {
      st.aux = this.buffer(plan.aux.byteLength, STORAGE | COPY_DST, 'gather-aux', st);
      this.device.queue.writeBuffer(st.aux, 0, plan.aux as Float32Array<ArrayBuffer>);
    } else if (call.kernel === 'FusedBatchNorm') {
      // the four statistics side by side in one buffer (constants of the layer: copied once)
      const parts = BATCH_NORM_PACKED.map((name) => input(call, name)).filter((t): t is TensorInfo => t != null);
      const total = parts.reduce((a, t) => a + sizeOf(t.shape), 0);
      st.aux = this.buffer(total * 4, STORAGE | COPY_DST, 'batchnorm-consts', st);
      let off = 0;
      const enc = this.encoder();
      for (const t of parts) {
        const n = sizeOf(t.shape) * 4;
        enc.copyBufferToBuffer(this.tensorBuffer(t), 0, st.aux, off, n);
        off += n;
      }
    }
    st.unitMacs = plan.unitMacs;
    st.seedMacs = call.spec.denseMacs(call, st.outShape);
  }

  /** Candidate-pixel MACs of a gather step from its counts (TAPS = work units; Mean adds its row sums). */
  private gatherMacs(st: GpuSlotState, w: Uint32Array): number {
    const m = st.plan!.mean;
    return w[META.TAPS] * st.unitMacs + (m ? w[META.CAND] * m.W * m.C : 0);
  }

  private geometry(call: PlaneCall, info: backend_util.Conv2DInfo): ConvGeometry {
    const act = String(call.attrs['activation'] ?? 'linear');
    const bias = input(call, 'bias');
    return {
      inH: info.inHeight, inW: info.inWidth, inC: info.inChannels, batch: info.batchSize,
      outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
      strideH: info.strideHeight, strideW: info.strideWidth, dilH: info.dilationHeight, dilW: info.dilationWidth,
      fH: info.filterHeight, fW: info.filterWidth, padT: info.padInfo.top, padL: info.padInfo.left,
      depthwise: call.kernel.includes('Depthwise'),
      act: act === 'prelu' && sizeOf(input(call, 'preluActivationWeights')!.shape) === 1 ? 8 : ACTIVATIONS[act] ?? 0,
      bias: bias == null ? 0 : sizeOf(bias.shape) === 1 ? 2 : 1, alpha: Number(call.attrs['leakyreluAlpha'] ?? 0),
    };
  }

  /** In-bounds filter taps of a dense run (what the cpu kernels count as MACs per channel pair). */
  private denseTaps(g: ConvGeometry): number {
    let th = 0, tw = 0;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let kh = 0; kh < g.fH; kh++) {
        const iy = oy * g.strideH - g.padT + kh * g.dilH;
        if (iy >= 0 && iy < g.inH) th++;
      }
    }
    for (let ox = 0; ox < g.outW; ox++) {
      for (let kw = 0; kw < g.fW; kw++) {
        const ix = ox * g.strideW - g.padL + kw * g.dilW;
        if (ix >= 0 && ix < g.inW) tw++;
      }
    }
    return g.batch * th * tw;
  }

  /** The compute dispatch (dense: every pixel, direct; delta: candidates, indirect). */
  private compute(pass: GPUComputePassEncoder, st: GpuSlotState, call: PlaneCall, dense: GPUBuffer[], isDense: boolean) {
    const uni = isDense ? st.u.dense : st.u.delta;
    if (st.kind === 'gather') {
      const plan = st.plan!;
      const ins = [0, 1, 2, 3].map((k) => {
        const b = plan.bind[k];
        if (b === undefined) return st.cand;  // unused binding (read-only, like cand itself)
        return b === 'aux' ? st.aux! : dense[b.input];
      });
      if (plan.mean) {
        const rows = plan.mean.H * st.pixels;
        this.dispatch(pass, this.meanRows, {20: isDense ? st.u.rowsDense : st.u.rowsDelta, 21: dense[0], 22: st.aux!, 23: st.cand, 24: st.meta},
            isDense ? [Math.min(rows, CAP), 1] : {indirect: st.args, offset: META.CAND_ARGS * 4, direct: [Math.min(rows, DIRECT_WGS), 1]});
      }
      const direct = isDense || plan.mean != null;
      this.dispatch(pass, st.computeProgram, {0: uni, 1: ins[0], 2: ins[1], 3: ins[2], 4: ins[3], 5: st.out, 6: st.cand, 7: st.outList, 8: st.meta},
          direct ? [Math.min(st.pixels, CAP), 1] : {indirect: st.args, offset: META.CAND_ARGS * 4, direct: [Math.min(st.pixels, DIRECT_WGS), 1]});
      return;
    }
    if (st.kind === 'conv') {
      const xi = call.inputs.findIndex((i) => i.name === 'x');
      const wi = call.inputs.findIndex((i) => i.name === 'filter');
      const bi = call.inputs.findIndex((i) => i.name === 'bias');
      const pi = call.inputs.findIndex((i) => i.name === 'preluActivationWeights');
      this.dispatch(pass, st.computeProgram, {
        0: uni, 1: dense[xi], 2: dense[wi], 3: bi >= 0 ? dense[bi] : st.cand /* unused when has_bias = 0 */,
        4: st.out, 5: st.cand, 6: st.outList, 7: st.meta, 8: pi >= 0 ? dense[pi] : st.cand /* unused unless prelu */,
      }, isDense ? [Math.min(st.pixels, CAP), 1] : {indirect: st.args, offset: META.CAND_ARGS * 4, direct: [Math.min(st.pixels, DIRECT_WGS), 1]});
    } else {
      const binary = call.kernel in BINARY;
      const ai = binary ? call.inputs.findIndex((i) => i.name === 'a') : 0;
      const bi = binary ? call.inputs.findIndex((i) => i.name === 'b') : 0;
      this.dispatch(pass, st.computeProgram, {
        0: uni, 1: dense[ai], 2: dense[bi], 3: st.out, 4: st.cand, 5: st.outList, 6: st.meta,
      }, isDense ? [Math.min(Math.ceil(st.pixels / WG), CAP), 1] :
          {indirect: st.args, offset: META.CAND_ARGS * 4, direct: [Math.min(Math.ceil(st.pixels / WG), DIRECT_WGS), 1]});
    }
  }

  // ---- step ---------------------------------------------------------------------------------

  step(slot: Slot, call: PlaneCall, states: readonly InputState[]): PlaneResult | null {
    const st = slot.plane as GpuSlotState | null;
    if (!st || !this.hasDeltaKernel(call.kernel)) return null;
    if (st.thresholds !== thresholdsKey(call)) return null;  // thresholds changed: re-seed (see GpuSlotState)
    const kinds: Array<'diff' | 'update' | null> = [];
    const updates: Array<GpuUpdate | null> = [];
    for (let i = 0; i < call.inputs.length; i++) {
      const s = states[i];
      updates[i] = null;
      if (s.kind === 'diff') {
        if (!st.baselines[i]) return null;
        kinds[i] = 'diff';
      } else if (s.kind === 'update') {
        const u = s.update as GpuUpdate;
        if (!u || u.owner.released || u.owner.seq !== u.seq) return null;  // stale: its list was overwritten
        if (u.empty) {
          kinds[i] = null;
        } else {
          kinds[i] = 'update';
          updates[i] = u;
        }
      } else {
        kinds[i] = null;
      }
    }
    // a diffed input whose values are still on the CPU and equal what the slot diffed last time: no pixel
    // of it can pass the threshold (sparsify left every pixel within it of those values), so no change,
    // known now on the host (a frame repeating the last one's values then records nothing at all)
    kinds.forEach((k, i) => {
      if (k === 'diff' && this.sameRaw(st, i, call.inputs[i].info)) {
        kinds[i] = null;
        this.counters.hostUnchanged++;
      }
    });
    // dense values the kernel reads: baselines of diffed inputs, else the tensors
    const dense = call.inputs.map((ni, i) => st.baselines[i] ?? this.tensorBuffer(ni.info));
    const raw = call.inputs.map((ni, i) => (kinds[i] === 'diff' ? this.tensorBuffer(ni.info) : null));
    const changed = kinds.some((k) => k !== null);
    st.seq++;
    this.counters.steps++;
    if (!changed) {
      // nothing changed: the output keeps its value, the update is empty (known on the host: consumers skip)
      this.counters.emptySteps++;
      const {out, update} = this.unchanged(st);
      if (call.debug) this.recordDebug(st, call, dense, raw);
      return {out, update, activePixels: 0, totalPixels: st.pixels, macs: 0, nonFinite: false, quiet: true};
    }
    const conv = st.kind === 'conv';
    const xi = conv ? call.inputs.findIndex((i) => i.name === 'x') : -1;
    if (conv && kinds[xi] === 'update' && updates[xi]!.full) return this.passThrough(st, call, dense, raw);
    // the slot's meta still waits for its counter copy at the end of the command buffer: record it now
    if (st.countsPending) this.flushCounts();
    this.copyOnWrite(st, call);
    this.noteValuesWrite(st.out);  // updated in place below (even where the device finds nothing to change)
    // the cost model, on the host: only the chosen compute is recorded
    const denseStep = conv && this.preferDense(st);
    // a busy slot's dense step hands a full update: its conv consumers run tfjs' conv alone. Only on a measured
    // share: a slot back from passing through measures first (so a calming chain leaves pass-through in one frame)
    const full = denseStep && st.fractionMeasured && (this.fullUpdateAbove < 0 || st.lastFraction > this.fullUpdateAbove);
    this.begin(st, kinds, updates);
    const pass = this.pass();
    kinds.forEach((k, i) => {
      if (k !== 'diff') return;
      this.dispatch(pass, this.sparsifyProgram, {
        0: st.u[`sparsify${i}`], 1: raw[i]!, 2: st.baselines[i]!, 3: st.inLists[i]!, 4: st.meta,
      }, SparsifyProgram.dispatch(st.inPixels[i]));
    });
    if (denseStep) {
      this.denseCompute(st, call, dense);
      this.counters.hostDenseSteps++;
    } else {
      if (!this.directDispatch) this.dispatch(pass, this.args, {0: st.u.args0, 1: st.meta, 2: st.args}, [1, 1]);
      kinds.forEach((k, i) => {
        if (k === null) return;
        const list = k === 'diff' ? st.inLists[i]! : updates[i]!.list;
        const mark = st.u[`mark${i}`];
        if (!mark) return;  // conv: only x carries changes (weights are constants)
        const entries: Record<number, GPUBuffer> = {10: mark, 11: list, 12: st.stamp, 13: st.cand, 14: st.meta};
        if (st.kind === 'gather') entries[15] = st.tables[i]!;
        // direct grid: enough for every pixel of this input to be changed (or, broadcast, every output pixel)
        const markWgs = Math.min(Math.ceil((st.bcast[i] ? st.pixels : st.inPixels[i]) / WG), DIRECT_WGS);
        this.dispatch(pass, st.markProgram, entries, {indirect: st.args, offset: META.IN_ARGS(i) * 4, direct: [Math.max(1, markWgs), 1]});
      });
      if (!this.directDispatch) this.dispatch(pass, this.args, {0: st.u.args1, 1: st.meta, 2: st.args}, [1, 1]);
      this.compute(pass, st, call, dense, false);
    }
    const unit = st.unitMacs;
    const seedMacs = st.seedMacs;
    const kernel = call.kernel, outShape = st.outShape, seq = st.seq;
    const deferredCounts = this.deferCounts(st, (w) => {
      const ranDense = denseStep && w[META.DENSE] === 1;
      if (conv) {
        // a dense step counts no candidates: its propagated pixels are the estimate (a calming slot returns to sparse)
        const fraction = denseStep ? (ranDense ? w[META.OUT] / st.pixels : 0) : w[META.CAND] / st.pixels;
        if (!st.released && seq > st.fractionSeq) {
          st.lastFraction = fraction;
          st.fractionMeasured = true;
          st.fractionSeq = seq;
        }
        this.traceConvStep?.(kernel, outShape, denseStep, ranDense, fraction);
        if (ranDense) { st.denseSteps++; this.counters.denseSteps++; }
      }
      const macs = ranDense ? seedMacs : denseStep ? 0 : conv ? w[META.TAPS] * unit :
          st.kind === 'gather' ? this.gatherMacs(st, w) : w[META.CAND] * unit;
      this.counters.performedMacs += macs;
      // touched: a dense step's propagated share (it has no candidate count) of the dense MACs
      this.counters.touchedMacs += ranDense ? seedMacs * w[META.OUT] / st.pixels : macs;
      return {activePixels: w[META.OUT], macs, nonFinite: w[META.NONFINITE] !== 0};
    });
    const out = this.alias(st);
    this.b.commandQueueOwnedIds.add(out.dataId);
    if (call.debug) this.recordDebug(st, call, dense, raw);
    return {out, update: full ? this.fullUpdate(st) : this.update(st, false), activePixels: 0, totalPixels: st.pixels, macs: 0, nonFinite: false, deferredCounts};
  }

  /** Copy-on-write of the value buffer: an older output tensor still reads it (the step updates it in place). */
  private copyOnWrite(st: GpuSlotState, call: PlaneCall) {
    const alive = this.aliveAliases(st);
    if (alive.length) {
      const nb = this.buffer(st.outBytes, STORAGE | COPY_SRC | COPY_DST, `${call.kernel}:values`, undefined, true, true, true);
      this.copy(st.out, nb, st.outBytes / 4);
      this.dropUser(st.out);
      st.out = nb;
      this.users.set(nb, 1);
      this.counters.copiesOnWrite++;
    }
    st.outDataIds = [];
  }

  /**
   * A conv step given a full update (every input pixel changed): tfjs-webgpu's conv alone, recorded as tfjs
   * records it; its output tensor is the step's output, copied (one dispatch) into the value buffer for later
   * steps; a full update handed on. No counters: every pixel counts as touched (lastFraction 1).
   */
  private passThrough(st: GpuSlotState, call: PlaneCall, dense: GPUBuffer[], raw: ReadonlyArray<GPUBuffer | null>): PlaneResult {
    this.copyOnWrite(st, call);
    this.noteValuesWrite(st.out);
    const {res, temps} = this.tfjsKernel(st, call, dense);
    this.copy(this.tensorBuffer(res), st.out, st.outBytes / 4);
    this.passThroughOuts.set(res.dataId, {buf: st.out, gen: this.writeGens.get(st.out)!});
    for (const id of temps) this.b.commandQueueOwnedIds.add(id);
    for (const id of temps) this.backend.disposeData(id);
    st.lastFraction = 1;
    st.fractionMeasured = false;
    st.fractionSeq = st.seq;
    this.counters.passThroughSteps++;
    if (call.debug) this.recordDebug(st, call, dense, raw);
    return {out: res, update: this.fullUpdate(st), activePixels: st.pixels, totalPixels: st.pixels, macs: st.seedMacs, nonFinite: false};
  }

  /** Every pixel changed: the plane's identity list of the slot's size and a meta whose OUT word is the size. */
  private fullUpdate(st: GpuSlotState): GpuUpdate {
    const P = st.pixels;
    let f = this.fullLists.get(P);
    if (!f) {
      const list = this.buffer(P * 4, STORAGE | COPY_DST, 'full-list', undefined, false, false);
      this.device.queue.writeBuffer(list, 0, Uint32Array.from({length: P}, (_, i) => i));
      const meta = this.buffer(META.BYTES, STORAGE | COPY_DST, 'full-meta', undefined, false, false);
      const words = new Uint32Array(META.BYTES / 4);
      words[META.OUT] = P;
      this.device.queue.writeBuffer(meta, 0, words);
      this.fullLists.set(P, f = {list, meta});
    }
    this.counters.fullUpdates++;
    return {list: f.list, meta: f.meta, owner: st, seq: st.seq, empty: false, full: true};
  }
  /** Identity lists (and their count metas) of full updates, by pixel count (plane-wide, destroyed at dispose). */
  private readonly fullLists = new Map<number, {list: GPUBuffer; meta: GPUBuffer}>();

  /**
   * Cost model (conv steps): dense when the slot's latest known touched share is above denseCrossover
   * (0: always; > 1: never), or when the sparse shader cannot hold the output channels; unknown: sparse.
   */
  private preferDense(st: GpuSlotState): boolean {
    const f = this.denseCrossover;
    // the sparse conv shader keeps one pixel's channels in workgroup memory: wider convs run dense + diff
    if (f <= 0 || st.channels > CONV_MAX_C) return true;
    if (f > 1) return false;
    return st.lastFraction > f;
  }

  /**
   * Host-side no-change check of diffed input i (its values still on the CPU: tfjs-webgpu uploads a
   * tensor's values on first use): true when they equal, bit for bit, the values the slot diffed last.
   * Keeps a copy of the values for the next check (or forgets them when they are on the GPU already).
   */
  private sameRaw(st: GpuSlotState, i: number, info: TensorInfo): boolean {
    const values = this.cpuValues(info);
    const last = st.lastRaw[i] ?? null;
    if (!values) {
      st.lastRaw[i] = null;
      return false;
    }
    if (last && sameBytes(values, last)) return true;
    // a copy (the app may refill the same array for its next frame), into the last one's memory when it fits
    if (last && last.byteLength === values.byteLength) last.set(values);
    else st.lastRaw[i] = copyBytes(values);
    return false;
  }

  /** A float32 tensor's values while tfjs-webgpu still holds them on the CPU (before its upload), else null. */
  private cpuValues(info: TensorInfo): Uint8Array | null {
    const td = this.b.tensorMap.get(info.dataId) as {resource: unknown; values: unknown; dtype: string} | undefined;
    const v = td?.values;
    if (!td || td.resource != null || td.dtype !== 'float32' || !(v instanceof Float32Array)) return null;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  /**
   * The first dispatch of a step (common.wgsl `begin`): clears its counts, GEN++, and copies each updated
   * input's change count from its producer's meta. More producers than BeginProgram.SOURCES: the same on
   * the encoder (clears + copies: the compute pass ends there).
   */
  private begin(st: GpuSlotState, kinds: ReadonlyArray<'diff' | 'update' | null>, updates: ReadonlyArray<GpuUpdate | null>) {
    const sources: GPUBuffer[] = [];
    const src = kinds.map((k, i) => {
      if (k !== 'update') return 0;
      const m = updates[i]!.meta;
      let j = sources.indexOf(m);
      if (j < 0) j = sources.push(m) - 1;
      return j + 1;
    });
    if (sources.length > BeginProgram.SOURCES || kinds.length > 6) {
      const enc = this.encoder();
      for (const [off, len] of META.CLEAR) enc.clearBuffer(st.meta, off, len);
      updates.forEach((u, i) => {
        if (u) enc.copyBufferToBuffer(u.meta, META.OUT * 4, st.meta, META.IN(i) * 4, 4);
      });
      // then only GEN++: `begin` clearing no word and copying nothing
      this.dispatch(this.pass(), this.beginProgram, this.beginEntries(st, [], [], false), [1, 1]);
      return;
    }
    this.dispatch(this.pass(), this.beginProgram, this.beginEntries(st, src, sources, true), [1, 1]);
  }

  private beginEntries(st: GpuSlotState, src: readonly number[], sources: readonly GPUBuffer[], clear: boolean): Record<number, GPUBuffer> {
    const key = `begin:${src.join(',')}:${clear ? 1 : 0}`;
    const u = st.u[key] ??= this.uniform(BeginProgram.params(src, clear), 'begin', st);
    this.spareBuffer ??= this.buffer(16, STORAGE, 'spare', undefined, false, false);
    const spare = this.spareBuffer;
    return {20: u, 21: st.meta, 22: sources[0] ?? spare, 23: sources[1] ?? spare, 24: sources[2] ?? spare, 25: sources[3] ?? spare};
  }

  /** dst = src (words), as a dispatch in the open compute pass. */
  private copy(src: GPUBuffer, dst: GPUBuffer, words: number) {
    const key = `copy:${words}`;
    let u = this.copyUniforms.get(key);
    if (!u) {
      u = this.buffer(16, UNIFORM | COPY_DST, 'copy', undefined, false, false);
      this.device.queue.writeBuffer(u, 0, CopyProgram.params(words));
      this.copyUniforms.set(key, u);
    }
    this.dispatch(this.pass(), this.copyProgram, {30: u, 31: src, 32: dst}, CopyProgram.dispatch(words));
  }
  private readonly copyUniforms = new Map<string, GPUBuffer>();

  /**
   * The dense compute of a delta step: tfjs-webgpu's own kernel for the call (its tiled conv programs,
   * the same arithmetic as the dense backend) over the slot's dense inputs, recorded as tfjs records it
   * (in the same open pass), then ONE pass over every pixel that diffs it against the propagated values
   * (truncation at the slot threshold, residual kept), updates them in place and writes the output
   * update's list and count as the sparse compute does. It does nothing on the device when none of the
   * varying inputs changed (their counts are 0: a gate that costs no recording).
   */
  private denseCompute(st: GpuSlotState, call: PlaneCall, dense: GPUBuffer[]) {
    const {res, temps} = this.tfjsKernel(st, call, dense);
    const resBuf = this.tensorBuffer(res);
    if (!st.u.diff) {
      const mask = call.inputs.reduce((m, ni, i) => (st.u[`mark${i}`] ? m | (1 << i) : m), 0);
      st.u.diff = this.uniform(DenseDiffProgram.params(st.pixels, st.channels, call.outputThreshold, mask), 'dense-diff', st);
    }
    this.dispatch(this.pass(), this.denseDiff, {0: st.u.diff, 1: resBuf, 2: st.out, 3: st.outList, 4: st.meta},
        DenseDiffProgram.dispatch(st.pixels));
    this.disposeTfjs(res, temps);
  }

  /**
   * tfjs-webgpu's own kernel for the call (its tiled conv programs) over the slot's dense inputs (a
   * diffed input's baseline is passed as an external alias tensor), recorded as tfjs records it: into
   * its open compute pass, which our dispatches share.
   */
  private tfjsKernel(st: GpuSlotState, call: PlaneCall, dense: readonly GPUBuffer[]): {res: TensorInfo; temps: object[]} {
    const b = this.b;
    const temps: object[] = [];
    const inputs: NamedTensorInfoMap = {};
    call.inputs.forEach((ni, i) => {
      if (st.baselines[i]) {
        // the baseline (diffed input) as a tensor tfjs can read: an external alias, not freed by tfjs
        const t = b.makeTensorInfo([...ni.info.shape], 'float32');
        const td = b.tensorMap.get(t.dataId);
        td.resource = dense[i];
        td.external = true;
        temps.push(t.dataId);
        inputs[ni.name] = t;
      } else {
        inputs[ni.name] = ni.info;
      }
    });
    const kernel = getKernel(call.kernel, 'webgpu');
    if (!kernel) throw new Error(`delta-webgpu: no tfjs-webgpu kernel ${call.kernel}`);
    return {res: kernel.kernelFunc({inputs, backend: this.backend, attrs: call.attrs as never}) as TensorInfo, temps};
  }

  private disposeTfjs(res: TensorInfo, temps: readonly object[]) {
    for (const id of temps) this.b.commandQueueOwnedIds.add(id);
    for (const id of [res.dataId, ...temps]) this.backend.disposeData(id);
  }

  /** The slot's values as a new tensor with an empty update (an output of a call replay skipped). */
  currentOutput(slot: Slot): {out: TensorInfo; update: GpuUpdate} | null {
    const st = slot.plane as GpuSlotState | null;
    return st ? this.unchanged(st) : null;
  }

  /** What an empty step hands out: an alias of the slot's values and an update known on the host to be empty. */
  private unchanged(st: GpuSlotState): {out: TensorInfo; update: GpuUpdate} {
    const out = this.alias(st);
    this.b.commandQueueOwnedIds.add(out.dataId);
    return {out, update: this.update(st, true)};
  }

  private update(st: GpuSlotState, empty: boolean): GpuUpdate {
    return {list: st.outList, meta: st.meta, owner: st, seq: st.seq, empty, full: false};
  }
}

/** Byte equality of two views (memcmp through Buffer in Node). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const B = (globalThis as {Buffer?: {from(ab: ArrayBufferLike, off: number, len: number): {equals(o: unknown): boolean}}}).Buffer;
  if (B) return B.from(a.buffer, a.byteOffset, a.byteLength).equals(B.from(b.buffer, b.byteOffset, b.byteLength));
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.byteLength % 4 === 0) {
    const x = new Int32Array(a.buffer, a.byteOffset, a.byteLength / 4), y = new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function copyBytes(a: Uint8Array): Uint8Array {
  return a.slice();
}
