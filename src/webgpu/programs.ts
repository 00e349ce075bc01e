/// <reference types="@webgpu/types" />
/**
 * One class per WGSL entry point of kernels-wgsl/ (as tfjs-backend-webgpu has one program class per
 * shader): the shader source, its entry point, the layout of its uniform parameters, and the
 * pipeline (compiled once per device and override constants, cached).
 */
import {WGSL} from './wgsl.generated';

/** Meta buffer layout (u32 words); see kernels-wgsl/common.wgsl. */
export const META = {
  CAND: 0, CAND_ARGS: 1, OUT: 4, TAPS: 5, GEN: 6, NONFINITE: 7,
  /** meta word 1 (the args themselves live in the args buffer): 1 when a dense step's diff pass ran. */
  DENSE: 1,
  IN: (i: number) => 8 + 4 * i, IN_ARGS: (i: number) => 9 + 4 * i,
  /** Bytes of the meta buffer. */
  BYTES: 128,
  /** Bytes the host clears at the start of a step when `begin` cannot run: words 0..5 and 7..31 (GEN, word 6, is kept). */
  CLEAR: [[0, 24], [28, 100]] as ReadonlyArray<[number, number]>,
} as const;

/** Max workgroups per dispatch dimension that we use (grid-stride loops cover the rest). */
export const CAP = 65535;
export const WG = 64;

/** A uniform value: u32 by default, f32 or i32 when asked. */
export type Field = number | {f32: number} | {i32: number};

/** Packs fields as 32-bit words (every params struct of kernels-wgsl is made of 4-byte scalars). */
export function pack(fields: readonly Field[]): ArrayBuffer {
  const n = Math.ceil(fields.length / 4) * 4;
  const buf = new ArrayBuffer(Math.max(16, n * 4));
  const u = new Uint32Array(buf), f = new Float32Array(buf), i = new Int32Array(buf);
  fields.forEach((v, k) => {
    if (typeof v === 'number') u[k] = v >>> 0;
    else if ('f32' in v) f[k] = v.f32;
    else i[k] = v.i32;
  });
  return buf;
}

export abstract class WgslProgram {
  abstract readonly name: string;
  abstract readonly entryPoint: string;
  /** kernels-wgsl files concatenated into the module (in order). */
  abstract readonly files: readonly string[];
  readonly constants: Record<string, number> = {};
  /** Explicit bind group layout (when the shader does not use every binding it is given); else 'auto'. */
  readonly layoutEntries: GPUBindGroupLayoutEntry[] | null = null;
  private static readonly cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
  private static readonly modules = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

  get key(): string {
    return `${this.files.join('+')}:${this.entryPoint}:${JSON.stringify(this.constants)}`;
  }

  pipeline(device: GPUDevice): GPUComputePipeline {
    let byKey = WgslProgram.cache.get(device);
    if (!byKey) WgslProgram.cache.set(device, byKey = new Map());
    let p = byKey.get(this.key);
    if (!p) {
      let mods = WgslProgram.modules.get(device);
      if (!mods) WgslProgram.modules.set(device, mods = new Map());
      const mkey = this.files.join('+');
      let module = mods.get(mkey);
      if (!module) {
        const code = this.files.map((f) => {
          const s = WGSL[f];
          if (s === undefined) throw new Error(`tfjs-backend-delta: kernels-wgsl/${f}.wgsl is not embedded (rebuild)`);
          return s;
        }).join('\n');
        module = device.createShaderModule({label: `delta:${mkey}`, code});
        mods.set(mkey, module);
      }
      const layout = this.layoutEntries ? device.createPipelineLayout({
        bindGroupLayouts: [device.createBindGroupLayout({label: `delta:${this.name}`, entries: this.layoutEntries})],
      }) : 'auto';
      p = device.createComputePipeline({
        label: `delta:${this.name}`,
        layout,
        compute: {module, entryPoint: this.entryPoint, constants: this.constants},
      });
      byKey.set(this.key, p);
    }
    return p;
  }
}

/** common.wgsl `args`: counts -> indirect dispatch arguments. */
export class ArgsProgram extends WgslProgram {
  readonly name = 'args';
  readonly entryPoint = 'args';
  readonly files = ['common'];
  static params(o: {mode: 0 | 1; nIn: number; inDiv: number; candDiv: number; bcastMask: number; bcastWgs: number}): ArrayBuffer {
    return pack([o.mode, o.nIn, o.inDiv, o.candDiv, CAP, o.bcastMask, o.bcastWgs, 0]);
  }
}

/** common.wgsl `begin`: clears a step's counts, GEN++, input change counts from the producers' metas. */
export class BeginProgram extends WgslProgram {
  readonly name = 'begin';
  readonly entryPoint = 'begin';
  readonly files = ['common'];
  /** Producer metas bound per dispatch (more: the plane clears and copies on the encoder). */
  static readonly SOURCES = 4;
  /**
   * src[i]: 0 = input i has no update to copy, k = 1..SOURCES its producer's meta at source binding k-1.
   * clear false: GEN++ only (the host cleared and copied on the encoder).
   */
  static params(src: readonly number[], clear = true): ArrayBuffer {
    if (src.length > 6) throw new Error('begin: more than 6 inputs');
    const s = [0, 1, 2, 3, 4, 5].map((i) => src[i] ?? 0);
    return pack([src.length, ...s, clear ? META.BYTES / 4 : 0]);
  }
}

/** common.wgsl `copy`: dst = src (4-byte words) inside a compute pass (a copyBufferToBuffer would end it). */
export class CopyProgram extends WgslProgram {
  readonly name = 'copy';
  readonly entryPoint = 'copy';
  readonly files = ['common'];
  static params(words: number): ArrayBuffer {
    return pack([words, 0, 0, 0]);
  }
  static dispatch(words: number): [number, number] {
    return [Math.max(1, Math.min(Math.ceil(words / WG), CAP)), 1];
  }
}

/** sparsify.wgsl: baseline diff + compaction of one input. */
export class SparsifyProgram extends WgslProgram {
  readonly name = 'sparsify';
  readonly entryPoint = 'sparsify';
  readonly files = ['sparsify'];
  static params(pixels: number, channels: number, thr: number, countIdx: number): ArrayBuffer {
    return pack([pixels, channels, {f32: thr}, countIdx]);
  }
  static dispatch(pixels: number): [number, number] {
    const groups = Math.max(1, Math.ceil(pixels / WG));
    const x = Math.min(groups, CAP);
    return [x, Math.ceil(groups / x)];
  }
}

/** pointwise.wgsl `mark`: candidates from one input's changed pixels. */
export class PointwiseMarkProgram extends WgslProgram {
  readonly name = 'pointwise-mark';
  readonly entryPoint = 'mark';
  readonly files = ['activation', 'pointwise'];
  static params(countIdx: number, all: boolean, outPixels: number): ArrayBuffer {
    return pack([countIdx, all ? 1 : 0, outPixels, 0]);
  }
}

export const POINTWISE_OPS = {unary: 0, add: 1, sub: 2, mul: 3} as const;
export const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5, tanh: 6, prelu: 7,
};
/** How a pointwise input is indexed: same shape as the output, one value per pixel, per channel, scalar. */
export const INDEX_MODES = {same: 0, pixel: 1, channel: 2, scalar: 3} as const;

/** pointwise.wgsl `main`: recompute candidates (or every pixel when dense), truncate, update. */
export class PointwiseProgram extends WgslProgram {
  readonly name = 'pointwise';
  readonly entryPoint = 'main';
  readonly files = ['activation', 'pointwise'];
  static params(o: {pixels: number; channels: number; nIn: number; op: number; act: number; dense: boolean;
    mode0: number; mode1: number; thr: number; alpha: number}): ArrayBuffer {
    return pack([o.pixels, o.channels, o.nIn, o.op, o.act, o.dense ? 1 : 0, o.mode0, o.mode1,
      {f32: o.thr}, {f32: o.alpha}, 0, 0]);
  }
}

export interface ConvGeometry {
  inH: number; inW: number; inC: number; batch: number;
  outH: number; outW: number; outC: number;
  strideH: number; strideW: number; dilH: number; dilW: number;
  fH: number; fW: number; padT: number; padL: number;
  /** act: ACTIVATIONS code (prelu with one weight: 8); bias: 0 none, 1 per channel, 2 one value. */
  depthwise: boolean; act: number; bias: 0 | 1 | 2; alpha: number;
}

function convParams(g: ConvGeometry, dense: boolean, countIdx: number, thr: number): ArrayBuffer {
  return pack([
    g.inH, g.inW, g.inC, g.batch,
    g.outH, g.outW, g.outC, g.batch * g.outH * g.outW,
    g.strideH, g.strideW, g.dilH, g.dilW,
    g.fH, g.fW, {i32: g.padT}, {i32: g.padL},
    g.depthwise ? 1 : 0, g.depthwise ? g.outC / g.inC : 1, g.act, g.bias,
    dense ? 1 : 0, countIdx, {f32: thr}, {f32: g.alpha},
  ]);
}

/** conv.wgsl `mark`: output pixels whose receptive field holds a changed input pixel. */
export class ConvMarkProgram extends WgslProgram {
  readonly name = 'conv-mark';
  readonly entryPoint = 'mark';
  readonly files = ['activation', 'conv'];
  static params(g: ConvGeometry, countIdx: number): ArrayBuffer {
    return convParams(g, false, countIdx, 0);
  }
}

/** Largest output channel count of the conv compute shader (its workgroup array). */
export const CONV_MAX_C = 1024;

/** conv.wgsl `main`: one workgroup per candidate output pixel, channels across invocations. */
export class ConvProgram extends WgslProgram {
  readonly name = 'conv';
  readonly entryPoint = 'main';
  readonly files = ['activation', 'conv'];
  constructor(maxC: number) {
    super();
    // Round the workgroup array up to a power of two so that few pipelines exist per model.
    let c = 16;
    while (c < maxC) c *= 2;
    this.constants.MAX_C = c;
  }
  static params(g: ConvGeometry, dense: boolean, thr: number): ArrayBuffer {
    return convParams(g, dense, 0, thr);
  }
}

/**
 * densediff.wgsl: the one pass after a dense conv of a delta step (cost model: mostly-active layers):
 * truncation against the propagated values, in-place update, output update list and count. inMask:
 * the inputs whose change counts (meta IN(i)) gate it: all 0 -> the pass does nothing.
 */
export class DenseDiffProgram extends WgslProgram {
  readonly name = 'dense-diff';
  readonly entryPoint = 'main';
  readonly files = ['densediff'];
  static params(pixels: number, channels: number, thr: number, inMask: number): ArrayBuffer {
    return pack([pixels, channels, {f32: thr}, inMask]);
  }
  static dispatch(pixels: number): [number, number] {
    return [Math.max(1, Math.min(Math.ceil(pixels / WG), CAP)), 1];
  }
}

/** ranges.wgsl `mark`: candidates of the gather kernels from one input's changed pixels (box per pixel). */
export class RangesMarkProgram extends WgslProgram {
  readonly name = 'ranges-mark';
  readonly entryPoint = 'mark';
  readonly files = ['ranges'];
  static params(countIdx: number, inView: readonly number[], outView: readonly number[]): ArrayBuffer {
    return pack([countIdx, inView[0], inView[1], inView[2], outView[0], outView[1], outView[2], 0]);
  }
}

const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry =>
  ({binding, visibility: 4 /* GPUShaderStage.COMPUTE */, buffer: {type}});

/** Largest channel count of the gather epilogue (its workgroup array, kernels-wgsl/gather.wgsl). */
export const GATHER_MAX_C = 1024;

/** gather.wgsl `main` with a family's `exact` (pool, resize, concat, pad, mean, conv_transpose, elementwise). */
export class GatherProgram extends WgslProgram {
  readonly name: string;
  readonly entryPoint = 'main';
  readonly files: readonly string[];
  override readonly layoutEntries: GPUBindGroupLayoutEntry[] = [
    {binding: 0, visibility: 4, buffer: {type: 'uniform'}},
    storage(1, 'read-only-storage'), storage(2, 'read-only-storage'), storage(3, 'read-only-storage'),
    storage(4, 'read-only-storage'), storage(5, 'storage'), storage(6, 'read-only-storage'), storage(7, 'storage'),
    storage(8, 'storage'),
  ];
  constructor(family: string) {
    super();
    this.name = `gather-${family}`;
    this.files = [family, 'gather'];
  }
  /** Header (pixels, channels, mode, thr) + the family's words from word 8. */
  static params(pixels: number, channels: number, mode: 0 | 1 | 2, thr: number, family: readonly Field[]): ArrayBuffer {
    const words: Field[] = [pixels, channels, mode, {f32: thr}, {f32: -Infinity}, 0, 0, 0, ...family];
    if (words.length > 64) throw new Error('gather params: more than 64 words');
    while (words.length < 64) words.push(0);
    return pack(words);
  }
}

/** mean.wgsl `rows`: row sums of the candidate rows (or of every row on a seed). */
export class MeanRowsProgram extends WgslProgram {
  readonly name = 'mean-rows';
  readonly entryPoint = 'rows';
  readonly files = ['mean', 'gather'];
  static params(rows: number, w: number, channels: number, dense: boolean, plane: number): ArrayBuffer {
    return pack([rows, w, channels, dense ? 1 : 0, {f32: 0}, {f32: plane}, 0, 0]);
  }
}
