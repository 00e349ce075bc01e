// Benchmark of the delta-cuda sparse kernels (kernels-cuda/delta_*.cu) on a GPU; results as JSON.
//
// Part A (micro): single posenet layers at 769x577 (shapes of MobileNetV1-0.75, random weights), the input
// changed in random blobs covering a fraction f of its pixels. Per (layer, f): GPU time (CUDA events,
// median of REPS after WARM) of one delta step = sparsify + mark + compute (with the fused epilogue: bias,
// relu6, truncation, in-place value update, update list), launched back to back,
// against our own dense kernel (the same compute over every output pixel, one launch); each kernel of the
// step also timed alone (breakdown). Every repetition starts from the same state (baseline, values).
//
// Part B (posenet): the real posenet weights (.cache/models/posenet), every FusedConv2D /
// FusedDepthwiseConv2D of the graph through CudaPlane exactly as the engine drives it (seed, then steps
// with 'diff' for the frame and 'update' between layers), on consecutive frames of vtest.avi (769x577)
// and pose_1.mp4 (577x577), input scaled to [-1, 1]. Per frame: eager wall and GPU time of our dense
// kernels (every layer, preallocated outputs) and of a delta frame (exact, and two threshold settings);
// keypoint agreement (argmax of the 17 heatmaps within one cell of dense fp32); the arithmetic ceiling
// (dense MACs / performed MACs, settled device counts); a per-layer time breakdown of one setting.
//
// Run: node bench.cjs OUT.json [framesDir]   (pack: scripts/cuda/pack-delta.mjs; emulate: DELTA_BENCH_EMULATE=1)
import {readFileSync, writeFileSync, existsSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import {join} from 'node:path';
import * as native from '../../src/cuda/native';
import {CudaPlane} from '../../src/cuda/plane';
import {ConvOp} from '../../src/cuda/delta/conv';
import {COUNTER, DeltaAddon, deltaKernels} from '../../src/cuda/delta/addon';
import {OP_TABLE} from '../../src/core/op_table';
import {Slot} from '../../src/core/slot';
import {prng} from '../../test/util/prng';

type Info = {dataId: object; shape: number[]; dtype: 'float32'};
const EMULATE = process.env.DELTA_BENCH_EMULATE === '1';
const REPS = EMULATE ? 2 : 25;
const WARM = EMULATE ? 1 : 5;

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Tensors on device buffers for the plane (what src/cuda/backend.ts provides). pooled: disposed buffers are
 * kept per size and reused by this host; else every tensor goes through addon.alloc/free (the runtime's own
 * allocator: cudaMalloc/cudaFree before the backend's caching allocator, cached since).
 */
class Host {
  readonly handles = new Map<object, number>();
  private readonly pool = new Map<number, number[]>();
  constructor(readonly addon: DeltaAddon, readonly pooled = false) {}
  handleOf(id: object) { return this.handles.get(id)!; }
  makeOutput(shape: number[], dtype: 'float32', handle?: number): Info {
    const dataId = {};
    const bytes = Math.max(4, size(shape) * 4);
    this.handles.set(dataId, handle ?? this.pool.get(bytes)?.pop() ?? this.addon.alloc(bytes));
    return {dataId, shape, dtype};
  }
  /** The backend's dense conv / depthwise (as src/cuda/kernels does), for seeds and the plane's dense steps. */
  runDense?: (kernel: string, inputs: Record<string, Info>, attrs: Record<string, unknown>) => Info;
  /** Geometry per filter tensor (a backend keeps its kernel's parameters; rebuilding them per call is bench overhead). */
  private readonly opsByFilter = new WeakMap<object, ConvOp>();
  withBackendDense(): this {
    this.runDense = (kernel, inputs, attrs) => {
      let op = this.opsByFilter.get(inputs.filter.dataId);
      if (!op) {
        const call = {kernel, inputs: Object.entries(inputs).map(([name, info]) => ({name, info})), attrs};
        op = new ConvOp(call as never);
        this.opsByFilter.set(inputs.filter.dataId, op);
      }
      const out = this.makeOutput([...op.outShape], 'float32');
      const h = (n: string) => (inputs[n] ? this.handleOf(inputs[n].dataId) : 0);
      backendConv(this.addon, op!, kernel, h('x'), h('filter'), h('bias'), this.handleOf(out.dataId),
          attrs.activation === 'relu6' ? 2 : 0);
      return out;
    };
    return this;
  }
  drain() {
    for (const list of this.pool.values()) for (const h of list) this.addon.free(h);
    this.pool.clear();
  }
  upload(v: Float32Array, shape: number[]): Info {
    const t = this.makeOutput(shape, 'float32');
    this.addon.upload(this.handleOf(t.dataId), v);
    return t;
  }
  read(t: Info) { return this.addon.download(this.handleOf(t.dataId), new Float32Array(size(t.shape))); }
  dispose(t: Info) {
    const h = this.handles.get(t.dataId);
    if (h === undefined) return;
    this.handles.delete(t.dataId);
    if (!this.pooled) { this.addon.free(h); return; }
    const bytes = this.addon.size(h);
    if (!this.pool.has(bytes)) this.pool.set(bytes, []);
    this.pool.get(bytes)!.push(h);
  }
}

function timed(k: DeltaAddon, f: () => void): number {
  k.deltaTimerStart();
  f();
  return k.deltaTimerStop();
}

// ---- part A -------------------------------------------------------------------------------------

interface LayerDef { name: string; kernel: string; h: number; w: number; inC: number; outC: number; f: number; stride: number }

const LAYERS: LayerDef[] = EMULATE ? [
  {name: 'tiny conv', kernel: 'FusedConv2D', h: 9, w: 11, inC: 3, outC: 8, f: 3, stride: 2},
  {name: 'tiny depthwise', kernel: 'FusedDepthwiseConv2D', h: 9, w: 11, inC: 8, outC: 8, f: 3, stride: 1},
] : [
  {name: 'Conv2d_0 3x3/2 3->24 @577x769', kernel: 'FusedConv2D', h: 577, w: 769, inC: 3, outC: 24, f: 3, stride: 2},
  {name: 'Conv2d_1 depthwise 3x3 24 @289x385', kernel: 'FusedDepthwiseConv2D', h: 289, w: 385, inC: 24, outC: 24, f: 3, stride: 1},
  {name: 'Conv2d_1 pointwise 24->48 @289x385', kernel: 'FusedConv2D', h: 289, w: 385, inC: 24, outC: 48, f: 1, stride: 1},
  {name: 'Conv2d_3 pointwise 96->96 @145x193', kernel: 'FusedConv2D', h: 145, w: 193, inC: 96, outC: 96, f: 1, stride: 1},
  {name: 'Conv2d_12 depthwise 3x3 384 @37x49', kernel: 'FusedDepthwiseConv2D', h: 37, w: 49, inC: 384, outC: 384, f: 3, stride: 1},
  {name: 'Conv2d_12 pointwise 384->384 @37x49', kernel: 'FusedConv2D', h: 37, w: 49, inC: 384, outC: 384, f: 1, stride: 1},
];
const FRACTIONS = [0, 0.01, 0.05, 0.2, 0.5, 1];

function blobs(rand: () => number, x: Float32Array, shape: number[], frac: number): Float32Array {
  const y = x.slice();
  const [, H, W, C] = shape;
  const target = Math.round(frac * H * W);
  const mark = new Uint8Array(H * W);
  let n = 0;
  while (n < target) {
    const bh = 1 + Math.floor(rand() * H / 8), bw = 1 + Math.floor(rand() * W / 8);
    const y0 = Math.floor(rand() * H), x0 = Math.floor(rand() * W);
    for (let yy = y0; yy < Math.min(H, y0 + bh) && n < target; yy++) {
      for (let xx = x0; xx < Math.min(W, x0 + bw) && n < target; xx++) {
        const p = yy * W + xx;
        if (mark[p]) continue;
        mark[p] = 1;
        n++;
        for (let c = 0; c < C; c++) y[p * C + c] += 0.5;
      }
    }
  }
  return y;
}

/** The backend's own dense kernel for the same conv (src/cuda/kernels: implicit-GEMM conv, depthwise), relu6. */
/** act: the backend's codes (src/cuda/kernels/codes.ts Activation: 0 linear, 2 relu6). */
function backendConv(k: DeltaAddon, op: ConvOp, kernel: string, x: number, w: number, bias: number, y: number, act = 2) {
  const g = Int32Array.from(op.geom);
  const depthwise = kernel.includes('Depthwise');
  g[15] = depthwise ? g[6] / g[3] : 1;  // dense geometry's last field: channel multiplier
  if (depthwise) k.depthwise(x, w, y, g, bias, 0, 0, act, 0);
  else k.conv2d(x, w, y, g, bias, 0, 0, act, 0);
}

function partA(k: DeltaAddon) {
  const rows: unknown[] = [];
  for (const L of LAYERS) {
    const rand = prng(42);
    const depthwise = L.kernel.includes('Depthwise');
    const xShape = [1, L.h, L.w, L.inC];
    const wShape = depthwise ? [L.f, L.f, L.inC, 1] : [L.f, L.f, L.inC, L.outC];
    const call = {kernel: L.kernel, inputs: [
      {name: 'x', info: {dataId: {}, shape: xShape, dtype: 'float32'}},
      {name: 'filter', info: {dataId: {}, shape: wShape, dtype: 'float32'}},
      {name: 'bias', info: {dataId: {}, shape: [L.outC], dtype: 'float32'}},
    ], attrs: {strides: [L.stride, L.stride], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC', activation: 'relu6'}};
    const op = new ConvOp(call as never);
    const P = op.pixels, C = op.channels, inP = L.h * L.w;
    const buf = (n: number) => k.alloc(Math.max(4, n * 4));
    const up = (v: Float32Array) => { const h = buf(v.length); k.upload(h, v); return h; };
    const x0v = Float32Array.from({length: size(xShape)}, () => rand() * 2 - 1);
    const x0 = up(x0v);
    const w = up(Float32Array.from({length: size(wShape)}, () => (rand() * 2 - 1) / Math.sqrt(L.f * L.f * (depthwise ? 1 : L.inC))));
    const bias = up(Float32Array.from({length: L.outC}, () => rand() - 0.5));
    const base = buf(size(xShape)), inList = buf(inP), dscratch = buf(size(xShape));
    const stamp = buf(P), cand = buf(P), list = buf(P), vals = buf(P * C), vals0 = buf(P * C), e = buf(P * C);
    const groups = buf(P);
    k.deltaFill(groups, 0, P * 4, 0);
    const page = k.alloc(COUNTER.BYTES);
    k.deltaFill(stamp, 0, P * 4, 0);
    op.dense(k, [x0, w, bias], vals0);
    let gen = 0;
    for (const frac of FRACTIONS) {
      const xbv = blobs(rand, x0v, xShape, frac);
      const xb = up(xbv);
      const t = {backendDense: [] as number[], dense: [] as number[], step: [] as number[], sparsify: [] as number[], mark: [] as number[], compute: [] as number[]};
      let words = new Uint32Array(COUNTER.WORDS);
      for (let r = 0; r < WARM + REPS; r++) {
        const reset = () => {
          k.copy(base, 0, x0, 0, size(xShape) * 4);
          k.copy(vals, 0, vals0, 0, P * C * 4);
          k.deltaFill(page, 0, COUNTER.BYTES, 0);
        };
        const b = {inputs: [base, w, bias], stamp, gen: 0, cand, ctr: {handle: page, offset: 0}, e};
        const launches = {
          sparsify: () => k.sparsify(base, xb, inP, L.inC, 0, inList, dscratch, page, 4 * COUNTER.IN0, false),
          mark: () => op.mark(k, 0, inList, {handle: page, offset: 4 * COUNTER.IN0}, {...b, gen}),
          // compute + bias + relu6 + truncation (fused) + in-place update + update list
          compute: () => op.compute(k, {...b, gen}, {vals, thr: 0, list, groups}),
        };
        reset();
        gen++;
        const step = timed(k, () => { launches.sparsify(); launches.mark(); launches.compute(); });
        words = k.download(page, new Uint32Array(COUNTER.WORDS));
        const parts: Record<string, number> = {};
        reset();
        gen++;
        for (const name of ['sparsify', 'mark', 'compute'] as const) parts[name] = timed(k, launches[name]);
        const dense = timed(k, () => op.dense(k, [xb, w, bias], e));
        const backendDense = EMULATE ? NaN : timed(k, () => backendConv(k, op, L.kernel, xb, w, bias, e));
        if (r >= WARM) {
          t.step.push(step); t.dense.push(dense); t.backendDense.push(backendDense);
          for (const name of ['sparsify', 'mark', 'compute'] as const) t[name].push(parts[name]);
        }
      }
      const macs = words[COUNTER.MACS] + words[COUNTER.MACS + 1] * 2 ** 32;
      const row = {
        layer: L.name, changedInputFraction: frac, candidateFraction: r3(words[COUNTER.CAND] / P),
        propagatedFraction: r3(words[COUNTER.OUT] / P), macsFraction: r3(macs / op.denseMacs),
        denseMs: r3(median(t.dense)), backendDenseMs: r3(median(t.backendDense)), stepMs: r3(median(t.step)), speedup: r3(median(t.dense) / median(t.step)),
        breakdownMs: Object.fromEntries((['sparsify', 'mark', 'compute'] as const).map((n) => [n, r3(median(t[n]))])),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      k.free(xb);
    }
    for (const h of [x0, w, bias, base, inList, dscratch, stamp, cand, list, vals, vals0, e, page, groups]) k.free(h);
  }
  return rows;
}

// ---- part B -------------------------------------------------------------------------------------

interface GraphConv { name: string; kernel: string; input: string; filter: Float32Array; fShape: number[]; bias: Float32Array;
  strides: number; act: string }

function loadPosenet(dir: string): GraphConv[] {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(join(dir, model.weightsManifest[0].paths[0]));
  const weights = new Map<string, {shape: number[]; values: Float32Array}>();
  let off = 0;
  for (const g of model.weightsManifest) for (const w of g.weights) {
    if (w.dtype !== 'float32' || w.quantization) throw new Error(`posenet weight ${w.name}: ${w.dtype} not supported here`);
    const n = size(w.shape);
    weights.set(w.name, {shape: w.shape, values: new Float32Array(bin.buffer.slice(bin.byteOffset + off, bin.byteOffset + off + n * 4))});
    off += n * 4;
  }
  const convs: GraphConv[] = [];
  for (const node of model.modelTopology.node) {
    if (node.op !== '_FusedConv2D' && node.op !== 'FusedDepthwiseConv2dNative') continue;
    const fused = (node.attr.fused_ops?.list?.s ?? []).map((s: string) => Buffer.from(s, 'base64').toString());
    if (Buffer.from(node.attr.padding.s, 'base64').toString() !== 'SAME') throw new Error('posenet: padding other than SAME');
    const f = weights.get(node.input[1])!, b = weights.get(node.input[2])!;
    convs.push({name: node.name, kernel: node.op === '_FusedConv2D' ? 'FusedConv2D' : 'FusedDepthwiseConv2D', input: node.input[0],
      filter: f.values, fShape: f.shape, bias: b.values, strides: Number(node.attr.strides.list.i[1]),
      act: fused.includes('Relu6') ? 'relu6' : 'linear'});
  }
  return convs;
}

function loadFrames(dir: string, name: string): {shape: number[]; frames: Float32Array[]} {
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const raw = gunzipSync(readFileSync(join(dir, `${name}.rgb.gz`)));
  const n = meta.width * meta.height * 3;
  const frames: Float32Array[] = [];
  for (let i = 0; i < meta.frames; i++) {
    const f = new Float32Array(n);
    for (let j = 0; j < n; j++) f[j] = raw[i * n + j] / 127.5 - 1;
    frames.push(f);
  }
  return {shape: [1, meta.height, meta.width, 3], frames};
}

interface Setting { name: string; inThr: number; actThr: number; crossover: number; denseBelow: number; noMarkAbove: number; fullAbove: number }
/**
 * crossover / denseBelow / noMarkAbove / fullAbove: the plane's cost model (crossover 2: every step sparse;
 * noMarkAbove: dense steps of slots last above it skip the mark; fullAbove: those hand out full updates, their
 * conv consumers pass through; 2: never, -1: always). DELTA_BENCH_MODELS: 'c,b,n,f;c,b,n,f'.
 */
const SETTINGS: Setting[] = [];
const MODELS = (process.env.DELTA_BENCH_MODELS ?? '2,0,2,2;0.1,0,2,2;0.1,0,-1,2;0.1,0,0,0').split(';').map((m) => m.split(',').map(Number));
for (const [crossover, denseBelow, noMarkAbove, fullAbove] of MODELS) {
  SETTINGS.push({name: 'exact', inThr: 0, actThr: 0, crossover, denseBelow, noMarkAbove, fullAbove},
      {name: 't 0.02/0.01', inThr: 0.02, actThr: 0.01, crossover, denseBelow, noMarkAbove, fullAbove},
      {name: 't 0.06/0.03', inThr: 0.06, actThr: 0.03, crossover, denseBelow, noMarkAbove, fullAbove});
}

class Net {
  readonly slots: Slot[];
  readonly consts: Info[][];
  constructor(readonly convs: GraphConv[], readonly host: Host, readonly plane: CudaPlane | null) {
    this.slots = convs.map((c, i) => new Slot(`s${i}`, c.name, c.kernel));
    this.consts = convs.map((c) => [host.upload(c.filter, c.fShape), host.upload(c.bias, [c.bias.length])]);
  }
  /** One frame; returns outputs by layer index. Outputs of the previous frame must be disposed by the caller. */
  run(frame: Info, setting: Setting, first: boolean, perLayer: number[] | null, ops: ConvOp[] | null, hostPerLayer: number[] | null = null): {outs: Info[]; results: Array<{macs: number; activePixels?: number; counts?: Promise<{activePixels: number; macs: number}>}>} {
    const outs: Info[] = [];
    const results: Array<{macs: number; activePixels?: number; counts?: Promise<{activePixels: number; macs: number}>}> = [];
    const byName = new Map<string, number>();
    this.convs.forEach((c, i) => {
      const src = byName.get(c.input);
      const x = src === undefined ? frame : outs[src];
      const inputs = [{name: 'x', info: x}, {name: 'filter', info: this.consts[i][0]}, {name: 'bias', info: this.consts[i][1]}];
      const attrs = {strides: [c.strides, c.strides], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC', activation: c.act};
      const spec = OP_TABLE.get(c.kernel)!;
      const call = {kernel: c.kernel, spec, inputs, attrs, backend: this.host, outputThreshold: c.act === 'linear' ? 0 : setting.actThr,
        inputThresholds: [src === undefined ? setting.inThr : setting.actThr, 0, 0], debug: false};
      const go = () => {
        if (ops) {
          // dense mode: our dense kernel into a fresh output (no slot state)
          const out = this.host.makeOutput([...ops[i].outShape], 'float32');
          ops[i].dense(this.host.addon, inputs.map((n) => this.host.handleOf(n.info.dataId)), this.host.handleOf(out.dataId));
          outs.push(out);
          results.push({macs: ops[i].denseMacs});
          return;
        }
        const r = first ? this.plane!.seed(this.slots[i], call as never, [src === undefined, false, false]) :
          this.plane!.step(this.slots[i], call as never, [src === undefined ? {kind: 'diff'} : {kind: 'update', update: this.updates[src]},
            {kind: 'const'}, {kind: 'const'}]);
        if (!r) throw new Error(`step returned null at ${c.name}`);
        outs.push(r.out as Info);
        this.updates[i] = r.update;
        results.push({macs: r.macs, activePixels: r.activePixels, counts: r.deferredCounts});
      };
      const h0 = performance.now();
      if (perLayer) perLayer[i] = timed(this.host.addon, go); else go();
      if (hostPerLayer) hostPerLayer[i] = performance.now() - h0;
      byName.set(c.name, i);
    });
    return {outs, results};
  }
  /** Each layer's update of the current frame (read by the layers after it). */
  updates: unknown[] = [];
  dispose() {
    if (this.plane) for (const s of this.slots) this.plane.release(s);
    for (const row of this.consts) for (const t of row) this.host.dispose(t);
  }
}

/** Argmax cell (y, x) of each of the heatmap channels. */
function argmaxes(v: Float32Array, shape: number[]): Array<[number, number]> {
  const [, H, W, C] = shape;
  const best: Array<[number, number, number]> = Array.from({length: C}, () => [-Infinity, 0, 0]);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) {
    const s = v[(y * W + x) * C + c];
    if (s > best[c][0]) best[c] = [s, y, x];
  }
  return best.map((b) => [b[1], b[2]]);
}

async function partB(k: DeltaAddon, dataDir: string) {
  const modelDir = existsSync(join(dataDir, 'posenet')) ? join(dataDir, 'posenet') : '.cache/models/posenet';
  const convs = loadPosenet(modelDir);
  const heat = convs.findIndex((c) => c.fShape[3] === 17);
  const out: unknown[] = [];
  const variants = process.env.DELTA_BENCH_POOLED === '1' ? [['vtest', false], ['pose_1', false], ['vtest', true], ['pose_1', true]] as const :
    [['vtest', false], ['pose_1', false]] as const;
  for (const [clip, pooled] of variants) {
    if (!existsSync(join(dataDir, `${clip}.rgb.gz`))) { console.log(`part B: no frames for ${clip}`); continue; }
    const {shape, frames} = loadFrames(dataDir, clip);
    const host = EMULATE ? new Host(k, pooled) : new Host(k, pooled).withBackendDense();
    const inputs = frames.map((f) => host.upload(f, shape));
    // dense: our dense kernels, every layer, eager; reference outputs (heatmaps) per frame
    const denseNet = new Net(convs, host, null);
    // the layers' geometry, chaining shapes through the graph
    const shapes = new Map<string, number[]>();
    const ops = convs.map((c) => {
      const xShape = shapes.get(c.input) ?? shape;
      const call = {kernel: c.kernel, inputs: [{name: 'x', info: {dataId: {}, shape: xShape, dtype: 'float32'}},
        {name: 'filter', info: {dataId: {}, shape: c.fShape, dtype: 'float32'}}, {name: 'bias', info: {dataId: {}, shape: [c.bias.length], dtype: 'float32'}}],
        attrs: {strides: [c.strides, c.strides], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC', activation: c.act}};
      const op = new ConvOp(call as never);
      shapes.set(c.name, op.outShape);
      return op;
    });
    const denseMacs = ops.reduce((s, o) => s + o.denseMacs, 0);
    // the backend's dense kernels for every layer, same frames (relu6 / linear epilogues as the graph)
    const backendGpu: number[] = [], backendHost: number[] = [];
    const backendLayerMs: number[][] = convs.map(() => []);
    if (typeof k.conv2d === 'function') {
      const consts = convs.map((c) => [host.upload(c.filter, c.fShape), host.upload(c.bias, [c.bias.length])]);
      // pass 0 warm-up, 1 frames (GPU + host submit), 2 each layer timed alone (synced: breakdown)
      for (let pass = 0; pass < 3; pass++) {
        frames.forEach((_f, i) => {
          const outs: Info[] = [];
          const byName = new Map<string, number>();
          let submitted = 0;
          const gpu = timed(k, () => { const t0 = performance.now(); convs.forEach((c, j) => {
            const layer = () => {
            const src = byName.get(c.input);
            const x = src === undefined ? inputs[i] : outs[src];
            const out = host.makeOutput([...ops[j].outShape], 'float32');
            const g = Int32Array.from(ops[j].geom);
            g[15] = c.kernel.includes('Depthwise') ? g[6] / g[3] : 1;
            const act = c.act === 'relu6' ? 2 : 0;
            const args = [host.handleOf(x.dataId), host.handleOf(consts[j][0].dataId), host.handleOf(out.dataId), g,
              host.handleOf(consts[j][1].dataId), 0, 0, act, 0] as const;
            if (c.kernel.includes('Depthwise')) k.depthwise(...args); else k.conv2d(...args);
            outs.push(out);
            };
            if (pass === 2) backendLayerMs[j].push(timed(k, layer)); else layer();
            byName.set(c.name, j);
          }); submitted = performance.now() - t0; });
          if (pass === 1) { backendGpu.push(gpu); backendHost.push(submitted); }
          for (const o of outs) host.dispose(o);
        });
      }
      for (const row of consts) for (const t of row) host.dispose(t);
    }
    const denseGpu: number[] = [], denseWall: number[] = [];
    const refHeat: Array<Array<[number, number]>> = [];
    for (let pass = 0; pass < 2; pass++) {
      frames.forEach((_f, i) => {
        const t0 = performance.now();
        let r!: {outs: Info[]};
        const gpu = timed(k, () => { r = denseNet.run(inputs[i], SETTINGS[0], true, null, ops); });
        const wall = performance.now() - t0;
        if (pass === 1) { denseGpu.push(gpu); denseWall.push(wall); refHeat[i] = argmaxes(host.read(r.outs[heat]), ops[heat].outShape); }
        for (const o of r.outs) host.dispose(o);
      });
    }
    denseNet.dispose();
    const row: Record<string, unknown> = {clip, pooledBuffers: pooled, shape, frames: frames.length, layers: convs.length, denseMacs,
      dense: {gpuMs: r3(median(denseGpu)), wallMs: r3(median(denseWall))},
      backendDense: {gpuMs: r3(median(backendGpu)), hostSubmitMs: r3(median(backendHost)), perLayerMs: backendLayerMs.map((a) => r3(median(a)))},
      settings: [] as unknown[]};
    for (const s of SETTINGS) {
      const plane = new CudaPlane(host as never);
      plane.denseCrossover = s.crossover;
      plane.denseBelowElements = s.denseBelow;
      plane.denseWithoutMarkAbove = s.noMarkAbove;
      plane.fullUpdateAbove = s.fullAbove;
      const net = new Net(convs, host, plane);
      const gpu: number[] = [], wall: number[] = [], hostMs: number[] = [];
      let agree = 0, total = 0, performed = 0, dense = 0;
      const layerMs: number[][] = convs.map(() => []);
      const layerActive: number[][] = convs.map(() => []);
      const layerHost: number[][] = convs.map(() => []);
      let prev: Info[] = [];
      // pass 0: seed on frame 0 and warm up; pass 1: measured (frame 0 of pass 1 is a jump back: skipped)
      for (let pass = 0; pass < 3; pass++) {
        for (let i = 0; i < frames.length; i++) {
          const first = pass === 0 && i === 0;
          const per = pass === 2 ? convs.map(() => 0) : null;
          const hostPer = pass === 1 ? convs.map(() => 0) : null;
          const t0 = performance.now();
          k.deltaTimerStart();
          const r = net.run(inputs[i], s, first, per, null, hostPer);
          const submitted = performance.now() - t0;  // host time to issue the frame (no sync inside unless per-layer timing)
          const g = k.deltaTimerStop();
          const w = performance.now() - t0;
          for (const o of prev) host.dispose(o);
          prev = r.outs;
          if (pass === 0 || i === 0) continue;
          await plane.settle();
          const counts = await Promise.all(r.results.map((x) => x.counts ?? Promise.resolve({activePixels: x.activePixels ?? 0, macs: x.macs})));
          if (pass === 1) {
            gpu.push(g); wall.push(w); hostMs.push(submitted);
            hostPer!.forEach((ms, j) => layerHost[j].push(ms));
            performed += counts.reduce((a, c) => a + c.macs, 0);
            dense += denseMacs;
            const am = argmaxes(host.read(r.outs[heat]), ops[heat].outShape);
            am.forEach(([y, x], c) => { total++; if (Math.abs(y - refHeat[i][c][0]) <= 1 && Math.abs(x - refHeat[i][c][1]) <= 1) agree++; });
          } else {
            per!.forEach((ms, j) => { layerMs[j].push(ms); layerActive[j].push(counts[j].activePixels / ops[j].pixels); });
          }
        }
      }
      for (const o of prev) host.dispose(o);
      net.dispose();
      await plane.settle();
      plane.dispose();
      const srow = {setting: s.name, denseCrossover: s.crossover, denseBelowElements: s.denseBelow, denseWithoutMarkAbove: s.noMarkAbove, fullUpdateAbove: s.fullAbove, inputThreshold: s.inThr, activationThreshold: s.actThr,
        gpuMs: r3(median(gpu)), wallMs: r3(median(wall)), hostSubmitMs: r3(median(hostMs)), speedupVsOwnDense: r3(median(denseGpu) / median(gpu)),
        speedupVsBackendDense: backendGpu.length ? r3(median(backendGpu) / median(gpu)) : null,
        agreement: r3(agree / Math.max(1, total)), ceiling: r3(dense / Math.max(1, performed)),
        realizedOfCeiling: r3((median(denseGpu) / median(gpu)) / (dense / Math.max(1, performed))),
        planeStats: plane.stats,
        perLayer: convs.map((c, j) => ({layer: c.name.replace('MobilenetV1/MobilenetV1/', '').replace('/BatchNorm/batchnorm/add_1/conv', ''),
          kernel: c.kernel, outShape: ops[j].outShape, stepMs: r3(median(layerMs[j])), hostMs: r3(median(layerHost[j])),
          backendDenseMs: backendLayerMs[j].length ? r3(median(backendLayerMs[j])) : null, activeFraction: r3(median(layerActive[j]))})),
      };
      (row.settings as unknown[]).push(srow);
      console.log(JSON.stringify({clip, pooled, ...srow, perLayer: undefined}));
    }
    for (const t of inputs) host.dispose(t);
    host.drain();
    out.push(row);
  }
  return out;
}

// ---- part C: long run (issue 8) ------------------------------------------------------------------

/**
 * 1,000 frames of posenet through the plane (pose_1's frames forward and back, so every frame changes
 * something), defaults of the plane, t 0.02/0.01: device buffers, the runtime's cached bytes, slots holding
 * state and the JS heap sampled every 100 frames (after the frame's outputs are disposed and counts settled).
 */
async function partC(k: DeltaAddon, dataDir: string) {
  const modelDir = existsSync(join(dataDir, 'posenet')) ? join(dataDir, 'posenet') : '.cache/models/posenet';
  if (!existsSync(join(dataDir, 'pose_1.rgb.gz'))) return null;
  const convs = loadPosenet(modelDir);
  const {shape, frames} = loadFrames(dataDir, 'pose_1');
  const host = EMULATE ? new Host(k) : new Host(k).withBackendDense();
  const inputs = frames.map((f) => host.upload(f, shape));
  const plane = new CudaPlane(host as never);
  const net = new Net(convs, host, plane);
  const setting = SETTINGS.find((s) => s.name === 't 0.02/0.01')!;  // thresholds only: the plane keeps its defaults
  const N = EMULATE ? 20 : 1000;
  const samples: unknown[] = [];
  let prev: Info[] = [];
  const t0 = Date.now();
  const gpu: number[] = [];
  for (let f = 0; f < N; f++) {
    const i = f % (2 * frames.length - 2) < frames.length ? f % (2 * frames.length - 2) : 2 * frames.length - 2 - (f % (2 * frames.length - 2));
    k.deltaTimerStart();
    const r = net.run(inputs[i], setting, f === 0, null, null);
    gpu.push(k.deltaTimerStop());
    for (const o of prev) host.dispose(o);
    prev = r.outs;
    if ((f + 1) % 100 === 0) {
      await plane.settle();
      samples.push({frame: f + 1, liveBuffers: k.liveBuffers(), cachedBytes: k.cachedBytes(), planeSlots: plane.bufferCount(),
        heapMB: r3(process.memoryUsage().heapUsed / 2 ** 20), gpuMsMedianLast100: r3(median(gpu.slice(-100)))});
      console.log(JSON.stringify(samples[samples.length - 1]));
    }
  }
  for (const o of prev) host.dispose(o);
  net.dispose();
  await plane.settle();
  plane.dispose();
  for (const t of inputs) host.dispose(t);
  const live = k.liveBuffers();
  const s = samples as Array<{liveBuffers: number; cachedBytes: number; planeSlots: number}>;
  const flat = s.slice(1).every((x) => x.liveBuffers === s[1].liveBuffers && x.cachedBytes === s[1].cachedBytes && x.planeSlots === s[1].planeSlots);
  return {frames: N, seconds: (Date.now() - t0) / 1000, samples, flatFrom200: flat, liveBuffersAfterRelease: live, planeStats: plane.stats};
}

async function main() {
  const outFile = process.argv[2] ?? 'bench-delta.json';
  const dataDir = process.argv[3] ?? 'carry/cuda-delta/data';
  let addon: DeltaAddon;
  let device: unknown;
  if (EMULATE) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {EmulatedAddon} = require('../../test/cuda/emulated_addon');
    addon = new EmulatedAddon() as DeltaAddon;
    device = 'emulated (no timing meaning)';
  } else {
    addon = deltaKernels(native.cuda());
    device = native.deviceInfo().devices[0];
  }
  const t0 = Date.now();
  const micro = process.env.DELTA_BENCH_PARTS?.includes('A') === false ? [] : partA(addon);
  const posenet = process.env.DELTA_BENCH_PARTS?.includes('B') === false ? [] : await partB(addon, dataDir);
  const longRun = process.env.DELTA_BENCH_PARTS?.includes('C') === false ? null : await partC(addon, dataDir);
  const result = {date: new Date().toISOString(), device, reps: REPS, warmup: WARM, micro, posenet, longRun, seconds: (Date.now() - t0) / 1000,
    liveBuffersAfter: addon.liveBuffers()};
  writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
  console.log(`wrote ${outFile} (${result.seconds} s, live buffers ${result.liveBuffersAfter})`);
}

main().catch((e) => { console.error(e); process.exit(1); });
