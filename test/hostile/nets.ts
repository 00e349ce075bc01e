// Models and frames of the reliability specs (test/hostile): a small JS conv net with fixed weights,
// a synthetic tfjs GraphModel (a real GraphModel built in memory, with an optional custom op that runs a
// hook between two kernels of one model run), scene-like frames (static background, moving objects) and
// the dense reference on tfjs' own 'cpu' backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {GraphModel, loadGraphModel, registerOp} from '@tensorflow/tfjs-converter';
import {prng, randomArray} from '../util/prng';

// ---- a JS-level conv net ---------------------------------------------------------------------------

type Arrays = Record<string, {shape: number[]; values: Float32Array}>;

/**
 * A small MobileNet-like net with fixed weights from a seed, created on the active backend by load():
 * fused conv (relu6, stride 2) -> depthwise -> batch norm -> relu -> 1x1 conv -> max pool; a bilinear
 * upsample concatenated with the skip -> conv -> add (residual) -> two heads: sigmoid map and global
 * mean. int32 input is cast and scaled first (like real models' preprocessing).
 */
export class SmallNet {
  private w: Record<string, tf.Tensor> = {};
  constructor(private readonly arrays: Arrays, readonly cin: number) {}

  static random(seed: number, cin = 3): SmallNet {
    const r = prng(seed);
    const mk = (shape: number[], scale: number) => ({shape, values: randomArray(r, shape.reduce((a, b) => a * b, 1), scale)});
    return new SmallNet({
      w1: mk([3, 3, cin, 8], 0.4), b1: mk([8], 0.1), dw: mk([3, 3, 8, 1], 0.4),
      mean: mk([8], 0.2), variance: {shape: [8], values: Float32Array.from({length: 8}, () => 0.5 + r())},
      offset: mk([8], 0.2), scale: {shape: [8], values: Float32Array.from({length: 8}, () => 0.5 + r())},
      w2: mk([1, 1, 8, 6], 0.4), b2: mk([6], 0.1), w3: mk([3, 3, 14, 6], 0.3), w4: mk([1, 1, 6, 2], 0.5),
    }, cin);
  }

  /** Another instance with the same weights (not loaded). */
  copy(): SmallNet { return new SmallNet(this.arrays, this.cin); }

  load(): this {
    for (const [k, a] of Object.entries(this.arrays)) this.w[k] = tf.tensor(a.values, a.shape);
    return this;
  }
  get loaded(): boolean { return Object.keys(this.w).length > 0; }
  dispose() { tf.dispose(Object.values(this.w)); this.w = {}; }

  /** x: [N,H,W,cin]; returns [map [N,H/2,W/2,2], pooled [N,6]]. */
  run(x: tf.Tensor4D, hook?: () => void): tf.Tensor[] {
    const w = this.w;
    return tf.tidy(() => {
      let h: tf.Tensor4D = x.dtype === 'int32' ? tf.div(tf.cast(x, 'float32'), 255) as tf.Tensor4D : x;
      const a = tf.fused.conv2d({x: h, filter: w.w1 as tf.Tensor4D, bias: w.b1, activation: 'relu6', strides: 2, pad: 'same'});
      hook?.();
      h = tf.depthwiseConv2d(a, w.dw as tf.Tensor4D, 1, 'same');
      h = tf.relu(tf.batchNorm(h, w.mean, w.variance, w.offset, w.scale, 1e-3)) as tf.Tensor4D;
      const y = tf.fused.conv2d({x: h, filter: w.w2 as tf.Tensor4D, bias: w.b2, strides: 1, pad: 'valid'});
      const p = tf.maxPool(y, 2, 2, 'same');
      const up = tf.image.resizeBilinear(p, [y.shape[1], y.shape[2]], false, true);
      const cat = tf.concat([up, a], 3);
      const z = tf.add(tf.conv2d(cat, w.w3 as tf.Tensor4D, 1, 'same'), y) as tf.Tensor4D;
      const map = tf.sigmoid(tf.conv2d(z, w.w4 as tf.Tensor4D, 1, 'same'));
      return [map, tf.mean(z, [1, 2])];
    });
  }
}

// ---- a synthetic GraphModel -------------------------------------------------------------------------

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (xs: number[]) => ({list: {i: xs.map(String)}});
const f32 = {type: 'DT_FLOAT'};

/** Name of the custom op of the synthetic model: identity on its input, and it calls the current hook. */
export const HOOK_OP = 'DeltaTestHook';
let currentHook: (() => void) | null = null;
let hookRegistered = false;

/** Runs fn with `hook` called by the model's custom op (between two kernel calls of one model run). */
export function withHook<T>(hook: () => void, fn: () => T): T {
  currentHook = hook;
  try { return fn(); } finally { currentHook = null; }
}

/**
 * A real tfjs GraphModel (graph-model JSON + weights, loaded through tf.io.fromMemory), input x
 * [N,H,W,3] float32: [preprocess: Mul 2, Sub 1 ->] _FusedConv2D (bias, relu6, stride 2) -> DeltaTestHook -> DepthwiseConv2dNative ->
 * Relu -> Conv2D 1x1 -> AddV2 bias -> MaxPool 3x3 s1 -> AddV2 -> Identity. Loaded on the active backend.
 */
export async function loadSyntheticModel(seed: number, o: {preprocess?: boolean} = {}): Promise<GraphModel> {
  if (!hookRegistered) {
    registerOp(HOOK_OP, (node) => {
      currentHook?.();
      return tf.clone(node.inputs[0]);
    });
    hookRegistered = true;
  }
  const r = prng(seed);
  const weights: Array<{name: string; shape: number[]; values: Float32Array}> = [
    {name: 'w1', shape: [3, 3, 3, 8], values: randomArray(r, 3 * 3 * 3 * 8, 0.4)},
    {name: 'b1', shape: [8], values: randomArray(r, 8, 0.1)},
    {name: 'dw', shape: [3, 3, 8, 1], values: randomArray(r, 3 * 3 * 8, 0.4)},
    {name: 'w2', shape: [1, 1, 8, 6], values: randomArray(r, 8 * 6, 0.4)},
    {name: 'b2', shape: [6], values: randomArray(r, 6, 0.1)},
  ];
  // Optional preprocessing before the first weighted layer: x * 2 - 1 (constants are weights too).
  if (o.preprocess) {
    weights.push({name: 'two', shape: [], values: Float32Array.of(2)}, {name: 'one', shape: [], values: Float32Array.of(1)});
  }
  const constNode = (w: {name: string; shape: number[]}) => ({
    name: w.name, op: 'Const',
    attr: {dtype: f32, value: {tensor: {dtype: 'DT_FLOAT', tensorShape: {dim: w.shape.map((s) => ({size: String(s)}))}}}},
  });
  const node = [
    {name: 'x', op: 'Placeholder', attr: {dtype: f32, shape: {shape: {dim: [{size: '-1'}, {size: '-1'}, {size: '-1'}, {size: '3'}]}}}},
    ...weights.map(constNode),
    ...(o.preprocess ? [
      {name: 'scaled', op: 'Mul', input: ['x', 'two'], attr: {T: f32}},
      {name: 'centered', op: 'Sub', input: ['scaled', 'one'], attr: {T: f32}},
    ] : []),
    {name: 'conv1', op: '_FusedConv2D', input: [o.preprocess ? 'centered' : 'x', 'w1', 'b1'], attr: {
      T: f32, strides: ints([1, 2, 2, 1]), padding: {s: b64('SAME')}, data_format: {s: b64('NHWC')}, dilations: ints([1, 1, 1, 1]),
      fused_ops: {list: {s: [b64('BiasAdd'), b64('Relu6')]}}, num_args: {i: '1'}, epsilon: {f: 0}, explicit_paddings: {list: {}}}},
    {name: 'hook', op: HOOK_OP, input: ['conv1'], attr: {}},
    {name: 'dconv', op: 'DepthwiseConv2dNative', input: ['hook', 'dw'], attr: {
      T: f32, strides: ints([1, 1, 1, 1]), padding: {s: b64('SAME')}, data_format: {s: b64('NHWC')}, dilations: ints([1, 1, 1, 1]),
      explicit_paddings: {list: {}}}},
    {name: 'relu', op: 'Relu', input: ['dconv'], attr: {T: f32}},
    {name: 'conv2', op: 'Conv2D', input: ['relu', 'w2'], attr: {
      T: f32, strides: ints([1, 1, 1, 1]), padding: {s: b64('VALID')}, data_format: {s: b64('NHWC')}, dilations: ints([1, 1, 1, 1]),
      explicit_paddings: {list: {}}}},
    {name: 'biased', op: 'AddV2', input: ['conv2', 'b2'], attr: {T: f32}},
    {name: 'pool', op: 'MaxPool', input: ['biased'], attr: {
      T: f32, ksize: ints([1, 3, 3, 1]), strides: ints([1, 1, 1, 1]), padding: {s: b64('SAME')}, data_format: {s: b64('NHWC')}}},
    {name: 'sum', op: 'AddV2', input: ['biased', 'pool'], attr: {T: f32}},
    {name: 'out', op: 'Identity', input: ['sum'], attr: {T: f32}},
  ];
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const w of weights) { data.set(w.values, off); off += w.values.length; }
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: {node, library: {}, versions: {}},
    weightSpecs: weights.map((w) => ({name: w.name, shape: w.shape, dtype: 'float32' as const})),
    weightData: data.buffer,
    format: 'graph-model',
  }));
}

// ---- frames -----------------------------------------------------------------------------------------

export interface SceneOptions {
  h: number; w: number; c?: number; batch?: number;
  /** Moving rectangles over a fixed background. */
  objects?: number;
  /** Value range of the frame (default [0, 1]). */
  range?: [number, number];
  /** Per-frame sensor noise on every pixel (absolute, in the range's units; default 0). */
  noise?: number;
}

/**
 * Frame f of a fixed-camera scene: a smooth random background with `objects` rectangles moving over
 * it (each frame changes the pixels an object leaves and enters: a few % of the frame). Deterministic in
 * (seed, f); values within the range.
 */
export function sceneFrame(seed: number, f: number, o: SceneOptions): Float32Array {
  const C = o.c ?? 3, B = o.batch ?? 1, {h: H, w: W} = o;
  const [lo, hi] = o.range ?? [0, 1];
  const r = prng(seed);
  const bg = randomArray(r, 4 * C, 1);
  const objs = Array.from({length: o.objects ?? 2}, () => ({
    y: r() * H, x: r() * W, vy: (r() - 0.5) * 1.5, vx: (r() - 0.5) * 1.5, sh: 2 + Math.floor(r() * H / 5),
    sw: 2 + Math.floor(r() * W / 5), color: Array.from({length: C}, () => r()),
  }));
  const out = new Float32Array(B * H * W * C);
  const noise = o.noise ? prng(seed * 31 + f * 7 + 1) : null;
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i0 = ((b * H + y) * W + x) * C;
        for (let c = 0; c < C; c++) {
          const v = 0.5 + 0.25 * (bg[c] * Math.sin(y / 5 + bg[C + c] * 3) + bg[2 * C + c] * Math.cos(x / 4 + bg[3 * C + c] * 3));
          out[i0 + c] = v;
        }
      }
    }
    for (const ob of objs) {
      const wrap = (v: number, n: number) => ((v % n) + n) % n;
      const oy = Math.floor(wrap(ob.y + ob.vy * f + b * 3, H)), ox = Math.floor(wrap(ob.x + ob.vx * f + b * 5, W));
      for (let y = oy; y < Math.min(H, oy + ob.sh); y++) {
        for (let x = ox; x < Math.min(W, ox + ob.sw); x++) {
          const i0 = ((b * H + y) * W + x) * C;
          for (let c = 0; c < C; c++) out[i0 + c] = ob.color[c];
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) {
    let v = out[i] + (noise ? (noise() * 2 - 1) * o.noise! : 0);
    v = Math.min(1, Math.max(0, v));
    out[i] = lo + (hi - lo) * v;
  }
  return out;
}

// ---- comparisons -----------------------------------------------------------------------------------

/** max|a - ref| / max(max|ref|, 1e-6), where non-finite values must sit at the same places as in ref
 *  (NaN where ref is NaN, the same infinity where ref is infinite); otherwise Infinity. */
export function relErrNaN(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) return Infinity;
  let m = 0, r = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = ref[i];
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) return Infinity;
      continue;
    }
    m = Math.max(m, Math.abs(x - y));
    r = Math.max(r, Math.abs(y));
  }
  return m / Math.max(r, 1e-6);
}

/** Runs fn on backend `name`, then goes back to the backend that was active. */
export async function onBackend<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const prev = tf.getBackend();
  await tf.setBackend(name);
  try {
    return await fn();
  } finally {
    if (prev) await tf.setBackend(prev);
  }
}

/** Values of a tensor list (copies), then disposes them. */
export async function take(ts: tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const list = Array.isArray(ts) ? ts : [ts];
  const out = await Promise.all(list.map(async (t) => Float32Array.from(await t.data() as Float32Array)));
  tf.dispose(list);
  return out;
}

/** SmallNet outputs on the dense 'cpu' backend for each input (shape, values, dtype); `net` itself is
 *  left as it is (a copy with the same weights runs). */
export async function denseSmallNet(model: SmallNet, inputs: Array<{shape: number[]; values: ArrayLike<number>; dtype?: 'float32' | 'int32'}>):
    Promise<Float32Array[][]> {
  const net = model.copy();
  return onBackend('cpu', async () => {
    net.load();
    const out: Float32Array[][] = [];
    for (const i of inputs) {
      const x = tf.tensor(i.values as Float32Array, i.shape as [number, number, number, number], i.dtype ?? 'float32') as tf.Tensor4D;
      out.push(await take(net.run(x)));
      x.dispose();
    }
    net.dispose();
    return out;
  });
}

/** The synthetic GraphModel's output on 'cpu' for each input. */
export async function denseSynthetic(seed: number, inputs: Array<{shape: number[]; values: Float32Array}>,
                                     o: {preprocess?: boolean} = {}): Promise<Float32Array[]> {
  return onBackend('cpu', async () => {
    const m = await loadSyntheticModel(seed, o);
    const out: Float32Array[] = [];
    for (const i of inputs) {
      const x = tf.tensor(i.values, i.shape);
      out.push((await take(m.execute(x) as tf.Tensor))[0]);
      x.dispose();
    }
    m.dispose();
    return out;
  });
}
