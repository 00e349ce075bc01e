/**
 * The delta-cuda data plane (DataPlane of src/core/plane.ts) on device buffers.
 *
 * A slot keeps, in buffers it allocates with addon.alloc (never tfjs tensors):
 *   vals      the propagated output [pixels, channels] (what its output tensors hold), updated in place;
 *   stamp     per output pixel, the generation of the step that last marked it (the step's pixel mask,
 *             never cleared: a new generation is a new mask);
 *   cand      the step's candidate output pixels (compact);
 *   list      the output update: pixels propagated by the last step (compact), count on the device;
 *   baselines inputs that come without an update are diffed against a copy (sparsify.cu) + their lists.
 * The plane shares an exact-value scratch E [k, channels], a sparsify delta scratch, and a ring of
 * counter entries (delta/counters.ts): one 64-byte entry per step holds its device-side counts.
 *
 * A step (delta/op.ts, kernels-cuda/delta_common.cuh) launches: sparsify per diffed input; mark per changed
 * input (receptive field -> candidates); compute (exact values of the candidates, fused epilogue: bias,
 * activation, and for the conv family the truncation too: threshold, in-place update of vals, update list);
 * elementwise ops truncate in a separate launch. Cost model (conv family, preferDense): when the slot's latest
 * candidate fraction known on the host (async counter copies: usually the previous frame's) exceeds
 * denseCrossover, the step runs mark + the backend's dense kernel (its output is the step's output tensor) +
 * one diff pass over the candidates (deltaDenseDiff) instead of the recompute; a slot above denseWithoutMarkAbove
 * skips the mark too (the diff pass covers every pixel). Counts stay on the device: every kernel
 * reads the count it needs there (grid-stride up to it), so the host never waits inside a frame; stats
 * arrive through PlaneResult.deferredCounts (settle()). A step whose inputs did not change launches nothing.
 *
 * Seeds run the backend's dense kernel (runDense: its implicit-GEMM conv is 1.5-4x faster than a recompute of
 * every pixel) and copy the result into vals; without one (test hosts) the op's own kernel over every pixel.
 * Values of the two agree within float rounding, and a later step recomputes only pixels whose inputs changed.
 * Output tensors are aliases of vals (backend.makeAlias: no copy; a quiet layer costs no device work at all).
 * tfjs tensors are immutable, so vals is copy-on-write: a step that writes vals while an older output tensor
 * still reads it (the app kept it) first moves the slot to a copy (writable()); the old buffer goes with its last
 * alias (noteRelease). Dense runs (seeds, pass-through steps) hand their output tensor's buffer to the slot as
 * its new vals (backend.lend) instead of copying it.
 *
 * NaN/Inf: kernels are recomputes without accumulators, so a non-finite value is carried exactly as the
 * dense kernel would carry it, and leaves the output on the first step after it leaves the input; the
 * truncation propagates non-finite values and flags them in the step's counters (counters.nonFiniteSteps);
 * the deferred counts report it (nonFinite) and the engine re-seeds the slot on its next call.
 */
import {DataId, DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';
import type {CallView} from '../core/op_table';
import {DataPlane, DebugRecord, InputState, PlaneCall, PlaneResult} from '../core/plane';
import type {Slot} from '../core/slot';
import type {DeltaCudaAddon, Handle} from './native';
import {COUNTER, DeltaAddon, deltaKernels} from './delta/addon';
import {CONV_KERNELS, ConvOp, convUnsupported} from './delta/conv';
import {CounterEntry, CounterRing, macsOf} from './delta/counters';
import type {CountWord, CudaDeltaOp, StepBuffers} from './delta/op';
import {POINTWISE_KERNELS, PointwiseOp, pointwiseUnsupported} from './delta/pointwise';

/** What the plane uses of the delta-cuda backend (src/cuda/backend.ts; see the contract there). */
export interface CudaPlaneBackend extends KernelBackend {
  readonly addon: DeltaCudaAddon;
  /** The device buffer of a tensor (float32: 4 bytes per element). */
  handleOf(dataId: DataId): Handle;
  /** A new tensor on a new buffer, or on `handle` (ownership passes to the tensor). */
  makeOutput(shape: number[], dtype: DataType, handle?: Handle): TensorInfo;
  /**
   * A float32 tensor reading a buffer the plane keeps; noteRelease(dataId) when the tensor goes. sized: the buffer is
   * known to hold the shape (the backend skips its size check).
   */
  makeAlias(shape: number[], handle: Handle, sized?: boolean): TensorInfo;
  /** The tensor's buffer passes to the plane (the tensor becomes an alias); null when it is not the tensor's alone. */
  lend(dataId: DataId): Handle | null;
  /** The backend's dense kernel (seeds use it when present: it is faster than a recompute of every pixel). */
  runDense?(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo | TensorInfo[];
}

/** The update a delta step hands to the slots that read its output: changed pixels, on the device. */
export interface CudaUpdate {
  readonly list: Handle;
  /** The producer step's propagated-pixel count (its counter entry's OUT word). */
  readonly count: CountWord;
  readonly entry: CounterEntry | null;
  readonly owner: CudaSlotState;
  /** owner.seq when made: a later step of the owner overwrites the list. */
  readonly seq: number;
  /** Known on the host to be empty (nothing changed upstream): consumers skip it. */
  readonly empty: boolean;
  /** Every pixel (the plane's identity list, count word = pixels): a busy producer that skipped its diff. */
  readonly full: boolean;
}

/**
 * Defaults of new planes. denseCrossover: candidate fraction above which a conv step runs the backend's dense
 * kernel + a diff pass; from the H100 layer benchmark (benchmarks/results/cuda-delta-h100.md: the recompute
 * matches the backend's implicit GEMM at about 5-10% of the pixels on posenet's large layers).
 * denseBelowElements: conv outputs smaller than this always run dense steps (when they can), since the sparse
 * step's fixed cost (~30-50 us) exceeds the whole dense kernel's on small layers; off by default: on posenet
 * it measured neutral to slightly worse than the crossover alone (same benchmark, part B).
 * denseWithoutMarkAbove: a dense step of a slot whose latest known fraction exceeds this skips the mark and diffs
 * every pixel (one pass, no receptive-field work: most pixels are candidates anyway); the fraction it reports
 * back is then the propagated one (no candidates counted), so a slot calming down returns to the mark first.
 * fullUpdateAbove: such a step of a slot whose last propagated fraction exceeds this hands its consumers a full
 * update (every pixel); a conv consumer that can run dense then runs the backend's dense kernel alone (no mark, no
 * diff; one copy of its output into vals), so a busy chain below one measuring slot costs about what the dense
 * network costs. Full updates over-approximate the change, but a frame without change still costs nothing: a step
 * whose only changes are diffed inputs (usually the network's first) reads their counts back, and an update known
 * to be empty makes every step below it an empty step. Both default to 0 (every dense step whose slot's fraction
 * is known: with the crossover, every cost-model dense step): on posenet (H100, benchmarks/results/cuda-delta-h100.md) that measured
 * fastest of 0.3/0.5, 0.3/0.3 and never (0.61-0.72 ms per pose_1 frame against 0.78-0.97 and 0.86-0.88).
 * measureEvery, skipDiffAbove: a slot that hands out full updates needs no diff pass for its consumers (they run the
 * dense kernel on its output). When its latest measured fraction exceeds skipDiffAbove it skips the pass: its output
 * values are the dense kernel's exact output (no residuals), and it measures its propagated fraction with the pass
 * only every measureEvery-th step (so that a slot calming down returns to sparse steps within that many frames).
 * Calmer slots measure every step (H100, posenet: skipping on every full-update slot cost pose_1 at 0.06/0.03
 * 6.8 -> 8.7 ms at B = 32, slots that would have gone sparse stayed dense; on vtest, 90-100% active, skipping saves
 * 0.6-1.7 ms at B = 32). measureEvery 1: the diff pass always runs. Environment: DELTA_CUDA_MEASURE_EVERY.
 * diffedDenseAbove: a slot whose changes come from diffed inputs only (the frame) knows this frame's changed input
 * pixels (read back for the empty-frame check); it runs dense when more than this share of its input changed and
 * changed pixels x footprint / output pixels (a bound on its candidates) exceeds 1: frames changed all over (camera
 * noise at input threshold 0: 22% of vtest's pixels; a lighting change). Otherwise its recompute stays cheap (few
 * input channels) and sparse.
 */
export const cudaPlaneOptions = {denseCrossover: 0.1, denseCrossoverDepthwise: null as number | null, denseBelowElements: 0, denseWithoutMarkAbove: 0, fullUpdateAbove: 0,
  measureEvery: Number(process.env.DELTA_CUDA_MEASURE_EVERY) || 8, skipDiffAbove: 0.5, diffedDenseAbove: 0.1, markFree: true};

export const CUDA_DELTA_KERNELS: readonly string[] = [...CONV_KERNELS, ...POINTWISE_KERNELS];
const CONV = new Set(CONV_KERNELS);
type DeferredCounts = {activePixels: number; macs: number; nonFinite: boolean};
const POINTWISE = new Set(POINTWISE_KERNELS);

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const channelsOf = (s: readonly number[]) => (s.length === 0 ? 1 : s[s.length - 1]);

interface DebugBuffers {
  readonly kernel: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inputs: ReadonlyArray<{name: string; shape: number[]; dtype: string; copy: Handle}>;
  readonly raw: ReadonlyArray<Handle | null>;
  readonly output: Handle;
  readonly outputThreshold: number;
  readonly inputThresholds: readonly number[];
}

export class CudaSlotState {
  op!: CudaDeltaOp;
  /** The propagated values; not in `owned`: shared with alias tensors (CudaPlane.valueUsers). */
  vals: Handle = 0;
  /** Output tensors handed out on vals since it was last written (alive or not: checked when writing). */
  aliasIds: DataId[] = [];
  stamp: Handle = 0;
  cand: Handle = 0;
  list: Handle = 0;
  /** Arrival counters per candidate group (ops that fuse the truncation). */
  groups: Handle = 0;
  gen = 0;
  seq = 0;
  released = false;
  baselines: Array<Handle | null> = [];
  /** Per diffed input: its list of changed pixels and their count (pixels, channels of the input). */
  inLists: Array<Handle | null> = [];
  inPixels: number[] = [];
  inChannels: number[] = [];
  debug: DebugBuffers | null = null;
  /** Candidate fraction of the latest step whose counts reached the host (-1: none yet): the cost model's input. */
  lastCandFraction = -1;
  /** Full-update steps since the slot last measured its fraction (diff pass skipped: CudaPlane.measureEvery). */
  unmeasured = 0;
  /** A dense run failed after the old values were given back: the slot is re-seeded on its next call. */
  broken = false;
  /**
   * A probe (CudaPlane.probeInput) that found changes in input `index`: the diff is done (its baseline moved, its list
   * and count are on the device) and waits for this slot's next step, which must be for that very tensor.
   */
  probed: {dataId: DataId; index: number; count: number; nonFinite: boolean; seq: number} | null = null;
  /** Every buffer of the slot (freed on release). */
  owned: Handle[] = [];
}

export class CudaPlane implements DataPlane {
  private readonly k: DeltaAddon;
  private readonly counters: CounterRing;
  private live = 0;
  /** Plane-wide scratch: exact values of a step's candidates, and sparsify's (unused) deltas. */
  private scratchE: Handle = 0;
  private scratchEBytes = 0;
  private scratchDelta: Handle = 0;
  private scratchDeltaBytes = 0;
  /**
   * sparsifyProbe's 16-byte device state (the kernel leaves it zeroed but its last word: the count, read by the
   * mark launched after it). One for the plane: a probe waits for its answer before the next is launched.
   */
  private probeState: Handle = 0;
  /** Probes launched so far (a kept probe result is valid while no other probe has overwritten probeState). */
  private probeSeq = 0;
  private readonly pending = new Set<Promise<unknown>>();
  /** Users of a value buffer: alive alias tensors, + 1 while a slot holds it as vals; freed at 0. */
  private readonly valueUsers = new Map<Handle, number>();
  /** Alias tensors (dataId) -> the value buffer they read. */
  private readonly aliasBuffers = new Map<DataId, Handle>();
  /**
   * One spare block per value size, held while a slot of that size lives: a dense step's output needs a block
   * before the old values' block goes back; the spare is freed just before (the allocator's cache hands it to the
   * output) and taken again just after (from the old values' block). So the blocks the allocator holds do not grow
   * when a slot first takes a dense step late in a video (the long-run device-memory checks).
   */
  private readonly spares = new Map<number, {h: Handle; users: Set<CudaSlotState>}>();
  /** Steps, launches and events (tests and benchmarks). */
  /**
   * Cost model of conv steps (see preferDense): above this candidate fraction a step runs the backend's dense
   * kernel + a diff pass. 0: always dense, > 1: never (tests). Default: cudaPlaneOptions.denseCrossover.
   */
  denseCrossover = cudaPlaneOptions.denseCrossover;
  /** The same for depthwise convs; null: denseCrossover. Default: cudaPlaneOptions.denseCrossoverDepthwise. */
  denseCrossoverDepthwise: number | null = cudaPlaneOptions.denseCrossoverDepthwise;
  /** Sparse steps of 1x1 convs take their changed input pixels as candidates without a mark launch (ConvOp.markFree). */
  markFree = cudaPlaneOptions.markFree;
  /** Conv outputs with fewer elements run dense steps whatever their activity (cost model; 0: off). */
  denseBelowElements = cudaPlaneOptions.denseBelowElements;
  /** Dense steps of slots last above this fraction skip the mark and diff every pixel (< 0: always, > 1: never). */
  denseWithoutMarkAbove = cudaPlaneOptions.denseWithoutMarkAbove;
  /** Mark-free dense steps of slots last above this fraction hand out full updates (< 0: always, > 1: never). */
  fullUpdateAbove = cudaPlaneOptions.fullUpdateAbove;
  /** Full-update steps run their diff pass (measure) only every measureEvery-th step (1: every step). */
  measureEvery = cudaPlaneOptions.measureEvery;
  /** Full-update steps skip the diff pass only above this fraction (their latest measured one). */
  skipDiffAbove = cudaPlaneOptions.skipDiffAbove;
  /** Slots fed by diffed inputs run dense when this share of their input changed this frame (and the bound > 1; Infinity: never). */
  diffedDenseAbove = cudaPlaneOptions.diffedDenseAbove;
  /**
   * A step whose only change is one diffed input (a model's first layer on the video frame) learns its count with
   * sparsifyProbe (a mapped host report, no counter entry) before anything else; false: from the counter entry, read
   * back with the launch (a copy + event wait; kept to measure the two against each other: the bench's no-change A/B).
   */
  probeDiffs = true;
  /** Identity lists (0..pixels-1) and their count words, by pixel count: the lists of full updates. */
  /** Identity lists per pixel count, shared by the slots of that size (users); freed with their last user. */
  private readonly fullLists = new Map<number, {list: Handle; count: Handle; users: Set<CudaSlotState>}>();
  readonly stats = {seeds: 0, backendSeeds: 0, steps: 0, denseSteps: 0, unmarkedDenseSteps: 0, passThroughSteps: 0, fullUpdates: 0, emptySteps: 0, launches: 0,
    /** sparse steps of 1x1 convs that took their input's list as candidates (no mark launch: ConvOp.markFree) */
    markFreeSteps: 0,
    /** full-update steps that skipped their diff pass (measureEvery) */
    unmeasuredSteps: 0,
    /** outputs handed out as aliases of vals (no copy) */
    aliasedOutputs: 0,
    /** vals copied because an older output tensor still read it when the slot wrote it (copy-on-write) */
    copiesOnWrite: 0,
    /** dense runs' outputs that became the slot's vals without a copy (backend.lend) */
    lentOutputs: 0,
    /** dense runs' outputs copied into vals (their buffer was shared: lend() said no) */
    outputCopies: 0,
    nonFiniteSteps: 0,
    /** steps abandoned because take() freed the counter page of an input update (the engine re-seeds) */
    staleCountSteps: 0,
    /** diffed inputs' counts read back inside a step (steps whose only changes are diffed inputs), or probed */
    diffCountReads: 0,
    /** probeInput calls that found no change (the engine skipped the call) */
    quietProbes: 0,
    /** kept probe results that the slot's next step could not use (it re-seeded) */
    abandonedProbes: 0};

  constructor(private readonly backend: CudaPlaneBackend) {
    this.k = deltaKernels(backend.addon);
    this.counters = new CounterRing(this.k);
  }

  hasDeltaKernel(kernel: string): boolean {
    return CONV.has(kernel) || POINTWISE.has(kernel);
  }

  unsupported(call: CallView): string | null {
    for (const i of call.inputs) {
      if (sizeOf(i.info.shape) === 0) return `input '${i.name}' is empty`;
    }
    if (CONV.has(call.kernel)) return convUnsupported(call);
    if (POINTWISE.has(call.kernel)) return pointwiseUnsupported(call);
    return 'delta-cuda: no delta kernel';
  }

  hasBaseline(slot: Slot, i: number): boolean {
    const st = slot.plane as CudaSlotState | null;
    return st != null && st.baselines[i] != null;
  }

  bufferCount(): number {
    return this.live;
  }

  /**
   * Around a download (backend.read: the stream is drained): every step's counts so far reach the host with
   * it, so a NaN/Inf flagged on the device re-seeds its slot on the next call, not a frame later.
   */
  beforeRead(): void {
    this.counters.flush();
  }
  afterRead(): void {
    this.counters.poll();
  }

  /** Device buffers of the counter ring now (they come and go with page boundaries, bounded by the ring). */
  counterPages(): number {
    return this.counters.livePages();
  }

  release(slot: Slot): void {
    const st = slot.plane as CudaSlotState | null;
    if (!st) return;
    slot.plane = null;
    this.live--;
    st.released = true;
    this.freeDebug(st);
    for (const h of st.owned) this.k.free(h);
    st.owned = [];
    this.dropValues(st);
    this.dropFullLists(st);
    this.dropSpare(st);
  }

  /** Bytes of a slot's values (float32 [pixels, channels]). */
  private static valueBytes(st: CudaSlotState): number {
    return st.op.pixels * st.op.channels * 4;
  }

  private reserveSpare(st: CudaSlotState): void {
    const bytes = Math.max(4, CudaPlane.valueBytes(st));
    let sp = this.spares.get(bytes);
    if (!sp) this.spares.set(bytes, sp = {h: this.k.alloc(bytes), users: new Set()});
    sp.users.add(st);
  }

  private dropSpare(st: CudaSlotState): void {
    for (const [bytes, sp] of this.spares) {
      if (sp.users.delete(st) && sp.users.size === 0) {
        this.k.free(sp.h);
        this.spares.delete(bytes);
      }
    }
  }

  /** Runs `f` (which allocates one block of the slot's value size before freeing the old one) on the spare. */
  private onSpare<T>(st: CudaSlotState, f: () => T): T {
    const bytes = Math.max(4, CudaPlane.valueBytes(st));
    const sp = this.spares.get(bytes);
    if (!sp) return f();
    this.k.free(sp.h);
    try {
      return f();
    } finally {
      sp.h = this.k.alloc(bytes);
    }
  }

  // ---- value buffers and their alias tensors ------------------------------------------------

  /** Backend hook (disposeData of an alias tensor): the tensor no longer reads its buffer. */
  noteRelease(dataId: DataId): void {
    const h = this.aliasBuffers.get(dataId);
    if (h === undefined) return;
    this.aliasBuffers.delete(dataId);
    this.dropUser(h);
  }

  private addUser(h: Handle): void {
    this.valueUsers.set(h, (this.valueUsers.get(h) ?? 0) + 1);
  }

  private dropUser(h: Handle): void {
    const n = (this.valueUsers.get(h) ?? 1) - 1;
    if (n > 0) {
      this.valueUsers.set(h, n);
      return;
    }
    this.valueUsers.delete(h);
    this.k.free(h);
  }

  /** The slot lets go of its vals (alive aliases keep the buffer until they go). */
  private dropValues(st: CudaSlotState): void {
    if (st.vals) this.dropUser(st.vals);
    st.vals = 0;
    st.aliasIds = [];
  }

  /** A new vals buffer for the slot (its only user). */
  private newValues(st: CudaSlotState, bytes: number): Handle {
    this.dropValues(st);
    st.vals = this.k.alloc(Math.max(4, bytes));
    this.valueUsers.set(st.vals, 1);
    return st.vals;
  }

  /** Whether an output tensor handed out on the slot's current values is still alive. */
  private hasLiveAlias(st: CudaSlotState): boolean {
    return st.aliasIds.some((id) => this.backend.refCount(id) > 0);
  }

  /** Copy-on-write, before a step writes vals in place: an output tensor still alive keeps the old buffer. */
  private writable(st: CudaSlotState): void {
    const alive = this.hasLiveAlias(st);
    st.aliasIds = [];
    if (!alive) return;
    const bytes = CudaPlane.valueBytes(st);
    const old = st.vals;
    const nb = this.k.alloc(Math.max(4, bytes));
    this.k.copy(nb, 0, old, 0, bytes);
    this.dropUser(old);
    st.vals = nb;
    this.valueUsers.set(nb, 1);
    this.stats.copiesOnWrite++;
  }

  /**
   * A dense run that replaces the slot's values (pass-through and unmeasured steps): the old values are not read,
   * so their block goes back to the allocator's cache first (unless an output tensor still reads it) and the dense
   * output takes it: no second block of that size at any moment, whatever the mix of step kinds.
   */
  private replaceValues(st: CudaSlotState, call: PlaneCall, dense: readonly Handle[], diffed: readonly boolean[]): TensorInfo {
    if (!this.hasLiveAlias(st)) this.dropValues(st);
    let out: TensorInfo;
    try {
      out = this.runDense(call, dense, diffed);
    } catch (e) {
      st.broken = st.vals === 0;  // (e.g. out of device memory) the slot has no values left: re-seeded next call
      throw e;
    }
    this.takeValues(st, out);
    return out;
  }

  /**
   * The output tensor's buffer becomes the slot's values (the tensor an alias of them; the old block goes back at
   * once): false when the buffer is not the tensor's alone (backend.lend), nothing changed then.
   */
  private lendValues(st: CudaSlotState, out: TensorInfo): boolean {
    const h = this.backend.lend(out.dataId);
    if (h === null) return false;
    this.dropValues(st);
    st.vals = h;
    this.valueUsers.set(h, 2);  // the slot and the tensor
    this.aliasBuffers.set(out.dataId, h);
    st.aliasIds = [out.dataId];
    this.stats.lentOutputs++;
    return true;
  }

  /**
   * A dense run's output tensor becomes the slot's values: its buffer is lent to the slot and the tensor is an
   * alias of it (no copy); when the buffer is shared (lend() says no), a copy into vals as before.
   */
  private takeValues(st: CudaSlotState, out: TensorInfo): void {
    if (this.lendValues(st, out)) return;
    // (the copy overwrites every value: a fresh block when an output still reads the old one, no copy-on-write)
    if (!st.vals || this.hasLiveAlias(st)) this.newValues(st, CudaPlane.valueBytes(st));
    this.k.copy(st.vals, 0, this.backend.handleOf(out.dataId), 0, CudaPlane.valueBytes(st));
    this.stats.outputCopies++;
  }

  /** The identity list of a size goes with its last slot (kept per size for good, it grew with every size seen). */
  private dropFullLists(st: CudaSlotState): void {
    for (const [P, f] of this.fullLists) {
      if (f.users.delete(st) && f.users.size === 0) {
        this.k.free(f.list);
        this.k.free(f.count);
        this.fullLists.delete(P);
      }
    }
  }

  /** Frees the plane's own buffers (scratch, counter pages); slots are released by the engine. */
  dispose(): void {
    this.counters.dispose();
    for (const f of this.fullLists.values()) { this.k.free(f.list); this.k.free(f.count); }
    this.fullLists.clear();
    for (const sp of this.spares.values()) this.k.free(sp.h);
    this.spares.clear();
    if (this.scratchE) this.k.free(this.scratchE);
    if (this.scratchDelta) this.k.free(this.scratchDelta);
    if (this.probeState) this.k.free(this.probeState);
    this.scratchE = this.scratchDelta = this.probeState = 0;
    this.scratchEBytes = this.scratchDeltaBytes = 0;
  }

  async settle(): Promise<void> {
    this.counters.settle();  // also runs the cost model's callbacks (lastCandFraction) of every step so far
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  debugRecord(slot: Slot): DebugRecord | null {
    const st = slot.plane as CudaSlotState | null;
    const d = st?.debug;
    if (!st || !d) return null;
    const f32 = (h: Handle, n: number) => this.k.download(h, new Float32Array(n));
    return {
      kernel: d.kernel,
      attrs: d.attrs,
      inputs: d.inputs.map((i) => ({name: i.name, shape: i.shape, dtype: i.dtype, values: f32(i.copy, sizeOf(i.shape))})),
      output: f32(d.output, st.op.pixels * st.op.channels),
      outputShape: [...st.op.outShape],
      outputThreshold: d.outputThreshold,
      inputThresholds: d.inputThresholds,
      rawInputs: d.raw.map((h, i) => (h ? f32(h, sizeOf(d.inputs[i].shape)) : null)),
    };
  }

  // ---- buffers ------------------------------------------------------------------------------

  private alloc(st: CudaSlotState, bytes: number): Handle {
    const h = this.k.alloc(Math.max(4, bytes));
    st.owned.push(h);
    return h;
  }

  private ensureScratch(eBytes: number, deltaBytes: number) {
    if (eBytes > this.scratchEBytes) {
      if (this.scratchE) this.k.free(this.scratchE);
      this.scratchE = this.k.alloc(eBytes);
      this.scratchEBytes = eBytes;
    }
    if (deltaBytes > this.scratchDeltaBytes) {
      if (this.scratchDelta) this.k.free(this.scratchDelta);
      this.scratchDelta = this.k.alloc(deltaBytes);
      this.scratchDeltaBytes = deltaBytes;
    }
  }

  /** The slot's values as a new output tensor: an alias of vals (no copy). */
  private output(st: CudaSlotState): TensorInfo {
    // (vals always holds the slot's output: made for it, or a dense output of that shape lent to it)
    const out = this.backend.makeAlias([...st.op.outShape], st.vals, true);
    this.aliasBuffers.set(out.dataId, st.vals);
    this.addUser(st.vals);
    // (quiet slots hand out aliases frame after frame without a write: forget the dead ones now and then)
    if (st.aliasIds.length >= 16) st.aliasIds = st.aliasIds.filter((id) => this.backend.refCount(id) > 0);
    st.aliasIds.push(out.dataId);
    this.stats.aliasedOutputs++;
    return out;
  }

  private makeOp(call: PlaneCall): CudaDeltaOp {
    if (CONV.has(call.kernel)) return new ConvOp(call);
    if (POINTWISE.has(call.kernel)) return new PointwiseOp(call);
    throw new Error(`delta-cuda: no delta kernel for ${call.kernel}`);
  }

  // ---- seed ---------------------------------------------------------------------------------

  seed(slot: Slot, call: PlaneCall, keepBaseline: readonly boolean[]): PlaneResult {
    const reason = this.unsupported(call);
    if (reason) throw new Error(`delta-cuda: cannot seed ${call.kernel}: ${reason}`);
    this.release(slot);
    const st = new CudaSlotState();
    let out: TensorInfo | null = null;
    try {
      st.op = this.makeOp(call);
      const {pixels: P, channels: C} = st.op;
      const tensors = call.inputs.map((ni) => this.backend.handleOf(ni.info.dataId));
      let deltaBytes = 0;
      call.inputs.forEach((ni, i) => {
        st.baselines[i] = null;
        st.inLists[i] = null;
        st.inChannels[i] = channelsOf(ni.info.shape);
        st.inPixels[i] = sizeOf(ni.info.shape) / st.inChannels[i];
        if (!keepBaseline[i]) return;
        const bytes = sizeOf(ni.info.shape) * 4;
        const base = this.alloc(st, bytes);
        this.k.copy(base, 0, tensors[i], 0, bytes);
        st.baselines[i] = base;
        st.inLists[i] = this.alloc(st, st.inPixels[i] * 4);
        deltaBytes = Math.max(deltaBytes, bytes);
      });
      if (call.inputs.length > COUNTER.MAX_INPUTS) throw new Error(`delta-cuda: more than ${COUNTER.MAX_INPUTS} inputs`);
      this.ensureScratch(P * C * 4, deltaBytes);
      st.stamp = this.alloc(st, P * 4);
      this.k.deltaFill(st.stamp, 0, P * 4, 0);
      st.cand = this.alloc(st, P * 4);
      st.list = this.alloc(st, P * 4);
      if (st.op.fusesTruncation) {
        const bytes = P * 4;
        st.groups = this.alloc(st, bytes);
        this.k.deltaFill(st.groups, 0, bytes, 0);
      }
      // a slot that may hand out full updates gets its identity list now (device buffers settle with the seeds)
      if (st.op.fusesTruncation && this.backend.runDense) {
        this.fullList(P, st);
        this.reserveSpare(st);
      }
      out = this.denseSeed(st, call, tensors);
      if (call.debug) this.recordDebug(st, call, tensors, []);
      else this.freeDebug(st);  // a record describes the latest step: stale now
    } catch (e) {
      for (const h of st.owned) this.k.free(h);
      this.dropValues(st);
      this.dropFullLists(st);
      this.dropSpare(st);
      if (out) this.backend.disposeData(out.dataId);
      throw e;
    }
    slot.plane = st;  // only once everything succeeded
    this.live++;
    this.stats.seeds++;
    return {out, update: null, activePixels: st.op.pixels, totalPixels: st.op.pixels, macs: st.op.denseMacs, nonFinite: false};
  }

  /** The dense run of a seed: the backend's kernel (its output's buffer becomes vals), else the op's own. */
  private denseSeed(st: CudaSlotState, call: PlaneCall, tensors: readonly Handle[]): TensorInfo {
    if (this.backend.runDense) {
      const out = this.runDense(call);
      this.takeValues(st, out);
      this.stats.backendSeeds++;
      return out;
    }
    this.newValues(st, CudaPlane.valueBytes(st));
    st.op.dense(this.k, tensors, st.vals);
    this.stats.launches++;
    return this.output(st);
  }

  // ---- step ---------------------------------------------------------------------------------

  step(slot: Slot, call: PlaneCall, states: readonly InputState[]): PlaneResult | null {
    const st = slot.plane as CudaSlotState | null;
    if (st?.broken) this.release(slot);  // a dense run failed after its old values went: seed again
    if (!st || st.broken || !this.hasDeltaKernel(call.kernel)) return null;
    // a probe that found changes (probeInput) moved an input's baseline: this step must be the one it was made for
    const kept = st.probed;
    st.probed = null;
    const op = st.op;
    const tensors = call.inputs.map((ni) => this.backend.handleOf(ni.info.dataId));
    // per input: its changed pixels this step ('diff' -> sparsify into the slot's list)
    const changes: Array<{kind: 'diff' | 'update'; update: CudaUpdate | null} | null> = [];
    for (let i = 0; i < call.inputs.length; i++) {
      const s = states[i];
      changes[i] = null;
      if (s.kind === 'diff') {
        if (!st.baselines[i]) return null;
        changes[i] = {kind: 'diff', update: null};
      } else if (s.kind === 'update') {
        const u = s.update as CudaUpdate | null;
        if (!u || u.owner.released || u.owner.seq !== u.seq || (u.entry && u.entry.page.freed)) return null;  // stale
        if (!u.empty) changes[i] = {kind: 'update', update: u};
      }
    }
    // varying inputs that are diffed: their seen value is the slot's baseline (sparsify updates it)
    const diffed = changes.map((c, i) => c?.kind === 'diff' && op.varying.includes(i));
    const anyDiffed = diffed.some(Boolean);
    // every varying change comes from diffed inputs: their counts are read back in the step (below)
    const onlyDiffs = anyDiffed && changes.every((c, i) => c === null || !op.varying.includes(i) || diffed[i]);
    // One diffed input and no other change (a model's first layer on the video frame): sparsify in probe mode
    // answers "how many pixels changed?" on the host before anything else is launched or taken (no counter entry,
    // no copy); the count stays on the device (probeState word 3) for the mark below.
    const single = onlyDiffs && diffed.filter(Boolean).length === 1;
    if (kept && !(kept.seq === this.probeSeq && single && diffed[kept.index] && call.inputs[kept.index].info.dataId === kept.dataId)) {
      // (its list and count are gone or not this step's: the slot seeds again from its inputs)
      this.stats.abandonedProbes++;
      return null;
    }
    // a dense run can replace the recompute when the backend has the kernel; a diffed input enters it as its
    // baseline (an alias tensor of it), so that the dense output is exact for what the slot saw (and the choice is
    // made from this frame's count: onlyDiffs)
    const canDense = op.fusesTruncation && this.backend.runDense !== undefined &&
        (!anyDiffed || (onlyDiffs && diffed.every((d, i) => !d || call.inputs[i].info.dtype === 'float32')));
    st.seq++;
    this.stats.steps++;
    const dense = call.inputs.map((_, i) => st.baselines[i] ?? tensors[i]);
    const changed = changes.some((c, i) => c !== null && op.varying.includes(i));
    if (!changed) {
      return this.emptyStep(st, call, dense, []);
    }
    // a full update in: every pixel is a candidate, so the dense kernel alone is the step. Its output's buffer
    // becomes vals (no copy): a later quiet frame then hands out vals without running anything.
    if (canDense && !anyDiffed && changes.some((c, i) => c?.kind === 'update' && c.update!.full && op.varying.includes(i))) {
      this.stats.passThroughSteps++;
      return this.denseFullStep(st, call, dense, diffed, []);
    }

    // cost model: a mostly-active conv step runs the backend's dense kernel + one diff pass over the candidates
    // (a slot fed by diffed inputs only decides after their sparsify, from this frame's count: below)
    let denseStep = false, unmarked = false, full = false, skipDiff = false;
    const decide = (fraction: number, dense: boolean) => {
      denseStep = dense;
      // busy slot: no mark, the diff pass covers every pixel (its propagated count is the fraction reported back)
      unmarked = denseStep && (this.denseWithoutMarkAbove < 0 || fraction > this.denseWithoutMarkAbove);
      // such a slot, when busy enough, hands out a full update (its consumers skip their delta machinery)
      full = unmarked && (this.fullUpdateAbove < 0 || fraction > this.fullUpdateAbove);
      // and then needs no diff pass (consumers read values, not a list) when it is mostly active (a calmer slot
      // measures every step: its fraction may fall below the crossover), but every measureEvery-th step, to measure
      skipDiff = full && fraction > this.skipDiffAbove && st.unmeasured + 1 < this.measureEvery;
      st.unmeasured = skipDiff ? st.unmeasured + 1 : 0;
    };
    if (!onlyDiffs) {
      decide(st.lastCandFraction, canDense && this.preferDense(st));
      if (skipDiff) {
        this.stats.unmeasuredSteps++;
        return this.denseFullStep(st, call, dense, diffed, []);
      }
    }
    const probed = kept ? kept.index : single && this.probeDiffs ? diffed.indexOf(true) : -1;
    const readWithLaunch = single && probed < 0;
    let probedCount = 0, probedNonFinite = false;
    const raw: Array<Handle | null> = call.inputs.map(() => null);
    if (probed >= 0) {
      const r = kept ?? this.probe(st, probed, tensors[probed], call.inputThresholds[probed]);
      probedCount = r.count;
      probedNonFinite = r.nonFinite;
      raw[probed] = tensors[probed];
      if (probedCount === 0) {
        st.lastCandFraction = 0;
        return this.emptyStep(st, call, dense, raw);
      }
    }
    const {entry, words} = this.counters.take((w) => {
      if (skipDiff) return;
      st.lastCandFraction = w[unmarked ? COUNTER.OUT : COUNTER.CAND] / Math.max(1, op.pixels);
    });
    // steps that end early (abandoned below, or empty) drop `words`: a dispose rejecting it must not go unhandled
    words.catch(() => undefined);
    // take() polls the ring and may free a counter page that holds an input update's count word (checked
    // above, before it was freed): reading it now would use a freed (or reused) handle. The step cannot run;
    // the engine re-seeds the slot (the entry just taken stays unused: zeros, delivered with its page).
    if (changes.some((c) => c?.kind === 'update' && c.update!.entry?.page.freed)) {
      this.stats.steps--;
      this.stats.staleCountSteps++;
      return null;
    }
    if (++st.gen === 0xffffffff) {
      this.k.deltaFill(st.stamp, 0, op.pixels * 4, 0);  // generations wrap: clear the masks once
      st.gen = 1;
    }
    const b: StepBuffers = {inputs: dense, stamp: st.stamp, gen: st.gen, cand: st.cand, ctr: entry, e: this.scratchE};
    const counts: number[] = [];
    if (probed >= 0) counts[probed] = probedCount;
    // diffed inputs are sparsified in every kind of step (their baselines must follow the input); the entry's count
    // words are zero (a fresh counter entry): no clearing launch
    diffed.forEach((d, i) => {
      if (!d || i === probed) return;
      const n = this.k.sparsify(st.baselines[i]!, tensors[i], st.inPixels[i], st.inChannels[i], call.inputThresholds[i], st.inLists[i]!,
          this.scratchDelta, entry.handle, entry.offset + 4 * (COUNTER.IN0 + i), readWithLaunch, entry.offset + 4 * COUNTER.NONFINITE, true);
      if (readWithLaunch) counts[i] = n as number;
      this.stats.launches++;
      raw[i] = tensors[i];
    });
    // Changes enter the delta graph only through diffed inputs (the video frame, the output of a fallback op). When
    // those are the only changes, their counts are read back now (the probe above, or one 64-byte copy, which waits
    // for the work queued so far): no changed pixel -> an empty step whose update is empty on the host, so every
    // consumer below skips its step too, including those whose cost model (last frame's counts) would run the dense
    // kernel.
    if (onlyDiffs) {
      if (probed < 0 && !readWithLaunch) {
        const w = this.k.download(entry.handle, new Uint32Array(COUNTER.WORDS), entry.offset);
        diffed.forEach((d, i) => { if (d) counts[i] = w[COUNTER.IN0 + i]; });
      }
      if (probed < 0) this.stats.diffCountReads++;
      if (diffed.every((d, i) => !d || counts[i] === 0)) {
        st.lastCandFraction = 0;
        this.counters.afterStep();
        return this.emptyStep(st, call, dense, raw);
      }
      // the cost model on this frame's change (diffedDenseAbove): dense when a large share of the input changed and
      // the changed pixels x footprint (a bound on the candidates) could cover every output pixel
      let changedShare = 0, bound = 0;
      diffed.forEach((d, i) => {
        if (!d) return;
        changedShare = Math.max(changedShare, counts[i] / Math.max(1, st.inPixels[i]));
        bound = Math.max(bound, counts[i] * (op.footprint ?? 1) / Math.max(1, op.pixels));
      });
      // (denseCrossover > 1: no dense steps at all, e.g. calibration's sparse cost model)
      decide(Math.min(1, bound), canDense && this.denseCrossover <= 1 && changedShare > this.diffedDenseAbove && bound > 1);
    }
    if (skipDiff) {
      this.counters.afterStep();
      // a NaN/Inf frame (flagged by sparsify) re-seeds the slot on its next call, as after a measured step
      this.stats.unmeasuredSteps++;
      const r = this.denseFullStep(st, call, dense, diffed, raw);
      return {...r, deferredCounts: this.deferred(words.then((w) =>
          ({activePixels: op.pixels, macs: op.denseMacs, nonFinite: probedNonFinite || w[COUNTER.NONFINITE] !== 0})))};
    }
    // a sparse step of a markFree op with one changed input takes that input's list as its candidates (no mark)
    let markFree: {list: Handle; count: CountWord} | null = null;
    if (!unmarked) {
      const skipMark = this.markFree && op.markFree === true && op.fusesTruncation && !denseStep &&
          changes.filter((c, i) => c && op.varying.includes(i)).length === 1;
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i];
        if (!c || !op.varying.includes(i)) continue;
        const count: CountWord = i === probed ? {handle: this.probeState, offset: 12} :
          c.kind === 'diff' ? {handle: entry.handle, offset: entry.offset + 4 * (COUNTER.IN0 + i)} : c.update!.count;
        const list = c.kind === 'diff' ? st.inLists[i]! : c.update!.list;
        if (skipMark) {
          markFree = {list, count};
          this.stats.markFreeSteps++;
          continue;
        }
        op.mark(this.k, i, list, count, b);
        this.stats.launches++;
      }
    }
    let out: TensorInfo | null = null;
    this.writable(st);  // every branch below updates vals in place
    if (denseStep) {
      // the output tensor is the dense kernel's; the diff pass writes propagated values back into it
      out = this.onSpare(st, () => {
        const o = this.runDense(call, dense, diffed);
        this.k.deltaDenseDiff(st.vals, this.backend.handleOf(o.dataId), unmarked ? 0 : st.stamp, st.gen, op.pixels, op.channels,
            call.outputThreshold, st.list, entry.handle, entry.offset);
        // after the pass the output holds the propagated values at every pixel (= vals): it becomes vals, and the
        // old block goes back at once (not when the output tensor goes: device memory peaks stay flat); when it
        // cannot, vals already holds the same values
        this.lendValues(st, o);
        return o;
      });
      this.stats.launches += 2;
      this.stats.denseSteps++;
      if (unmarked) this.stats.unmarkedDenseSteps++;
    } else if (op.fusesTruncation) {
      op.compute(this.k, markFree ? {...b, cand: markFree.list, candCount: markFree.count} : b,
          {vals: st.vals, thr: call.outputThreshold, list: st.list, groups: st.groups});
      this.stats.launches++;
    } else {
      op.compute(this.k, b);
      this.k.deltaTruncate(st.vals, this.scratchE, st.cand, entry.handle, entry.offset, op.pixels, op.channels,
          call.outputThreshold, st.list);
      this.stats.launches += 2;
    }
    this.counters.afterStep();
    if (call.debug) this.recordDebug(st, call, dense, raw);
    else this.freeDebug(st);  // a record describes the latest step: stale now

    const denseMacs = op.denseMacs;
    // nonFinite: the engine re-seeds the slot on its next call (exact dense after a NaN/Inf frame in
    // threshold mode, as delta-cpu and delta-webgpu; without it the NaN frame's residue stayed in vals)
    const deferredCounts = this.deferred(words.then((w) =>
      ({activePixels: w[COUNTER.OUT], macs: denseStep ? denseMacs : macsOf(w), nonFinite: probedNonFinite || w[COUNTER.NONFINITE] !== 0})));
    const update = full ? this.fullUpdate(st) : this.update(st, entry, false);
    return {out: out ?? this.output(st), update, activePixels: 0, totalPixels: op.pixels, macs: 0, nonFinite: false, deferredCounts};
  }

  /** sparsify in probe mode on input i of a slot (its count comes back on the host; on the device in probeState[3]). */
  private probe(st: CudaSlotState, i: number, x: Handle, threshold: number): {count: number; nonFinite: boolean} {
    if (!this.probeState) {
      this.probeState = this.k.alloc(16);
      this.k.deltaFill(this.probeState, 0, 16, 0);
    }
    const r = this.k.sparsifyProbe(st.baselines[i]!, x, st.inPixels[i], st.inChannels[i], threshold, st.inLists[i]!,
        this.scratchDelta, this.probeState);
    this.probeSeq++;
    this.stats.launches++;
    this.stats.diffCountReads++;
    return {count: Math.floor(r / 2), nonFinite: r % 2 === 1};
  }

  /**
   * Replay's quiet calls on a model input (DataPlane.probeInput): diffs `info`, input i of the slot's call, against
   * the slot's baseline. false: no pixel changed (the call would be an empty step). true: it must run; a diff that
   * found changes is kept for the slot's next step (which must come next, for this tensor; else it seeds again).
   */
  probeInput(slot: Slot, i: number, info: TensorInfo, threshold: number): boolean {
    const st = slot.plane as CudaSlotState | null;
    // (a kept probe whose step never came: the baseline moved without it; the call runs and its step seeds again)
    if (!this.probeDiffs || !st || st.broken || st.probed || !st.baselines[i] || !st.inLists[i] || info.dtype !== 'float32' ||
        !st.op.varying.includes(i) || sizeOf(info.shape) !== st.inPixels[i] * st.inChannels[i]) return true;
    const r = this.probe(st, i, this.backend.handleOf(info.dataId), threshold);
    if (r.count === 0) {
      st.lastCandFraction = 0;
      this.stats.quietProbes++;
      return false;
    }
    st.probed = {dataId: info.dataId, index: i, count: r.count, nonFinite: r.nonFinite, seq: this.probeSeq};
    return true;
  }

  /** Device counts that reach the host later (settle() waits for them); NaN/Inf steps are counted. */
  private deferred(counts: Promise<DeferredCounts>): Promise<DeferredCounts> {
    const d = counts.then((c) => {
      if (c.nonFinite) this.stats.nonFiniteSteps++;
      return c;
    });
    this.pending.add(d);
    d.then(() => this.pending.delete(d), () => this.pending.delete(d));
    return d;
  }

  /** A step with no changed input: the slot's values as a new tensor, an update that is empty on the host. */
  private emptyStep(st: CudaSlotState, call: PlaneCall, dense: readonly Handle[], raw: ReadonlyArray<Handle | null>): PlaneResult {
    this.stats.emptySteps++;
    const {out, update} = this.unchanged(st);
    if (call.debug) this.recordDebug(st, call, dense, raw);
    else this.freeDebug(st);  // a record describes the latest step: stale now
    return {out, update, activePixels: 0, totalPixels: st.op.pixels, macs: 0, nonFinite: false, quiet: true};
  }

  /** The slot's values as a new tensor with an empty update (an output of a call replay skipped). */
  currentOutput(slot: Slot): {out: TensorInfo; update: CudaUpdate} | null {
    const st = slot.plane as CudaSlotState | null;
    return !st || st.broken ? null : this.unchanged(st);
  }

  /** What an empty step hands out: an alias of the slot's values and an update known on the host to be empty. */
  private unchanged(st: CudaSlotState): {out: TensorInfo; update: CudaUpdate} {
    return {out: this.output(st), update: this.update(st, null, true)};
  }

  /**
   * The backend's dense kernel on the call's inputs (its output tensor is the step's output); diffed inputs
   * (seen: their baselines, `seen[i]`) enter as alias tensors of the baselines.
   */
  private runDense(call: PlaneCall, seen?: readonly Handle[], diffed?: readonly boolean[]): TensorInfo {
    const named: NamedTensorInfoMap = {};
    const temps: TensorInfo[] = [];
    call.inputs.forEach((ni, i) => {
      if (!diffed?.[i]) {
        named[ni.name] = ni.info;
        return;
      }
      const t = this.backend.makeAlias([...ni.info.shape], seen![i]);
      temps.push(t);
      named[ni.name] = t;
    });
    try {
      const r = this.backend.runDense!(call.kernel, named, call.attrs as NamedAttrMap);
      return Array.isArray(r) ? r[0] : r;
    } finally {
      for (const t of temps) this.backend.disposeData(t.dataId);  // aliases: the baselines stay
    }
  }

  /**
   * A step that is the dense kernel alone (pass-through after a full update in, or a full-update step that skips
   * its diff pass: measureEvery): the exact output becomes the slot's values (every pixel propagated, no residual)
   * and the consumers get a full update.
   */
  private denseFullStep(st: CudaSlotState, call: PlaneCall, dense: readonly Handle[], diffed: readonly boolean[],
                        raw: ReadonlyArray<Handle | null>): PlaneResult {
    const out = this.replaceValues(st, call, dense, diffed);
    if (call.debug) this.recordDebug(st, call, dense, raw);
    else this.freeDebug(st);  // a record describes the latest step: stale now
    this.stats.launches++;
    const op = st.op;
    return {out, update: this.fullUpdate(st), activePixels: op.pixels, totalPixels: op.pixels, macs: op.denseMacs, nonFinite: false};
  }

  /** The plane's identity list of P pixels and its count word (made once per size, at a seed that may need it). */
  private fullList(P: number, st: CudaSlotState): {list: Handle; count: Handle} {
    let f = this.fullLists.get(P);
    if (!f) {
      f = {list: this.k.alloc(P * 4), count: this.k.alloc(4), users: new Set()};
      this.k.upload(f.list, Int32Array.from({length: P}, (_, i) => i));
      this.k.upload(f.count, Uint32Array.of(P));
      this.fullLists.set(P, f);
    }
    f.users.add(st);
    return f;
  }

  /** Every pixel changed: the identity list as the update. */
  private fullUpdate(st: CudaSlotState): CudaUpdate {
    const f = this.fullList(st.op.pixels, st);
    this.stats.fullUpdates++;
    return {list: f.list, count: {handle: f.count, offset: 0}, entry: null, owner: st, seq: st.seq, empty: false, full: true};
  }

  /**
   * Cost model: whether this conv step runs dense. Estimate: the slot's candidate fraction of its latest step
   * whose counts reached the host (usually the previous frame's: async copies, no sync); unknown -> sparse.
   * denseCrossover: 0 = always dense (when possible), > 1 = never; small outputs (denseBelowElements) always dense.
   */
  private preferDense(st: CudaSlotState): boolean {
    const f = st.op.depthwise && this.denseCrossoverDepthwise !== null ? this.denseCrossoverDepthwise : this.denseCrossover;
    if (f <= 0) return true;
    if (f > 1) return false;
    if (st.op.pixels * st.op.channels < this.denseBelowElements) return true;
    return st.lastCandFraction > f;
  }

  private update(st: CudaSlotState, entry: CounterEntry | null, empty: boolean): CudaUpdate {
    return {
      list: st.list, entry, owner: st, seq: st.seq, empty, full: false,
      count: entry ? {handle: entry.handle, offset: entry.offset + 4 * COUNTER.OUT} : {handle: 0, offset: 0},
    };
  }

  // ---- debug --------------------------------------------------------------------------------

  /** Device copies of what the slot saw and produced (downloaded by debugRecord, on demand). */
  private recordDebug(st: CudaSlotState, call: PlaneCall, dense: readonly Handle[], raw: ReadonlyArray<Handle | null>) {
    this.freeDebug(st);
    const copy = (h: Handle, bytes: number) => {
      const c = this.k.alloc(Math.max(4, bytes));
      this.k.copy(c, 0, h, 0, bytes);
      return c;
    };
    st.debug = {
      kernel: call.kernel,
      attrs: call.attrs,
      inputs: call.inputs.map((ni, i) => ({name: ni.name, shape: [...ni.info.shape], dtype: ni.info.dtype,
        copy: copy(dense[i], sizeOf(ni.info.shape) * 4)})),
      raw: call.inputs.map((ni, i) => (raw[i] ? copy(raw[i]!, sizeOf(ni.info.shape) * 4) : null)),
      output: copy(st.vals, st.op.pixels * st.op.channels * 4),
      outputThreshold: call.outputThreshold,
      inputThresholds: call.inputThresholds,
    };
  }

  private freeDebug(st: CudaSlotState) {
    const d = st.debug;
    if (!d) return;
    st.debug = null;
    for (const i of d.inputs) this.k.free(i.copy);
    for (const h of d.raw) if (h) this.k.free(h);
    this.k.free(d.output);
  }
}
