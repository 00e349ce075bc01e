// delta-cuda groundwork: the addon (binding/) and the sparsify kernel (kernels-cuda/sparsify.cu).
// Without a GPU: the addon loads, deviceInfo() gives the reason, cuda() throws one clear error, and every
// GPU spec is reported pending with that reason. With a GPU: device memory, staged uploads/downloads, and
// sparsify on random frame sequences equal to the delta-cpu reference (src/cpu/plane.ts `sparsify`)
// exactly: same active set, bit-identical deltas, bit-identical baseline afterwards.
//
// The specs load the compiled modules from dist/ (npm run build) by path, since src/cuda is not a public
// entry point yet: build/test/cuda/ -> ../../../dist/cjs/...
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as native from '../../../dist/cjs/cuda/native';
import {sparsify as cpuSparsify} from '../../../dist/cjs/cpu/plane';
import {prng} from '../util/prng';

const NATIVE_JS = join(__dirname, '..', '..', '..', 'dist', 'cjs', 'cuda', 'native.js');

describe('delta-cuda addon (no GPU needed)', () => {
  it('is built and loads (npm run build:cuda)', () => {
    const a = native.tryLoadAddon();
    expect(native.addonError()).toBeNull();
    expect(a).not.toBeNull();
    for (const f of ['deviceInfo', 'buildInfo', 'init', 'alloc', 'free', 'upload', 'download', 'synchronize', 'sparsify', 'sparsifyProbe', 'readU32'])
      expect(typeof (a as unknown as Record<string, unknown>)[f]).toBe('function', f);
  });

  it('carries sm_90 machine code and PTX for newer GPUs', () => {
    const b = native.tryLoadAddon()!.buildInfo();
    // The offline bundle (run.sh build) builds for the server's own GPUs (CUDA_ARCHS) and says so.
    const built = process.env.DELTA_CUDA_BUILT_ARCHS;
    if (built) {
      expect(b.archs).toBe(built.replace(/;/g, ' '));
      // (a build for chosen GPUs: CI, the offline bundle) the default that npm install builds is still the fat binary
      // (the repository's file; the offline bundle's copy sits beside its data)
      const file = [join(__dirname, '..', '..', '..', 'binding', 'CMakeLists.txt'),
        ...(process.env.DELTA_CUDA_DATA ? [join(process.env.DELTA_CUDA_DATA, '..', 'src', 'binding', 'CMakeLists.txt')] : [])].find(existsSync);
      expect(file).withContext('binding/CMakeLists.txt').toBeDefined();
      const list = /set\(CMAKE_CUDA_ARCHITECTURES ([^)]*)\)/.exec(readFileSync(file ?? '', 'utf8'))?.[1] ?? '';
      expect(list.split(/\s+/)).toEqual(jasmine.arrayContaining(['75-real', '90-real', '90-virtual']));
      return;
    }
    expect(b.archs).toContain('90-real');
    expect(b.archs).toMatch(/\d+-virtual/);
    expect(b.archs).toContain('75-real');
    expect(b.cudaRuntime).toBeGreaterThanOrEqual(12000);
  });

  it('deviceInfo() never throws and explains a missing device', () => {
    const info = native.deviceInfo();
    expect(Number.isInteger(info.count)).toBe(true);
    expect(info.devices.length).toBe(info.count);
    if (info.count === 0) {
      expect(info.reason).toMatch(/^no CUDA device\/driver: \S/);
    } else {
      expect(info.reason).toBeUndefined();
      for (const d of info.devices) {
        expect(d.name.length).toBeGreaterThan(0);
        expect(d.cc).toMatch(/^\d+\.\d+$/);
        expect(d.memory).toBeGreaterThan(0);
      }
    }
  });

  it('cuda() throws one DeltaCudaError without a device, and works with one', () => {
    const info = native.deviceInfo();
    if (info.count === 0) {
      let err: unknown = null;
      try { native.cuda(); } catch (e) { err = e; }
      expect(err instanceof native.DeltaCudaError).toBe(true);
      expect((err as Error).message).toMatch(/^delta-cuda: no CUDA device: \S/);
      // Device memory calls through the raw addon fail the same way instead of crashing.
      expect(() => native.tryLoadAddon()!.alloc(16)).toThrowError(/^delta-cuda: no CUDA device: /);
    } else {
      expect(() => native.cuda()).not.toThrow();
    }
  });

  it('a missing addon gives "addon not built", never a crash at import', () => {
    if (!existsSync(NATIVE_JS)) pending(`needs ${NATIVE_JS} (npm run build)`);
    const code = `const n = require(${JSON.stringify(NATIVE_JS)});
      const info = n.deviceInfo();
      let msg = ''; try { n.cuda(); } catch (e) { msg = e.message; }
      console.log(JSON.stringify({count: info.count, reason: info.reason, msg}));`;
    const r = spawnSync(process.execPath, ['-e', code], {env: {...process.env, DELTA_CUDA_ADDON: '/nonexistent/delta_cuda.node'}, encoding: 'utf8'});
    expect(r.status).toBe(0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    expect(out.count).toBe(0);
    expect(out.reason).toMatch(/^delta-cuda: addon not built \(run npm run build:cuda; needs nvcc \+ cmake\)/);
    expect(out.msg).toBe(out.reason);
  });
});

// ---- GPU specs ---------------------------------------------------------------------------------

function needGpu(): native.DeltaCudaAddon {
  const info = native.deviceInfo();
  if (info.count === 0) pending(info.reason ?? 'no CUDA device');
  return native.cuda();
}

/** Bitwise equality of float32 arrays, any NaN equal to any NaN; returns the first differing index or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  }
  return -1;
}

type Pattern = 'none' | 'below' | 'full' | 'single' | 'blobs' | 'noise' | 'ties' | 'nonfinite';

/** The next frame from the previous one (x is modified in place), per pattern. */
function nextFrame(x: Float32Array, pixels: number, C: number, thr: number, pat: Pattern, rand: () => number): void {
  const big = () => (rand() < 0.5 ? -1 : 1) * (thr + 0.01 + rand());
  const small = () => (rand() * 2 - 1) * thr * 0.5;
  switch (pat) {
    case 'none': return;
    case 'below': for (let i = 0; i < x.length; i++) x[i] += small(); return;
    case 'full': for (let p = 0; p < pixels; p++) x[p * C + Math.floor(rand() * C)] += big(); return;
    case 'single': {
      const k = 1 + Math.floor(rand() * Math.min(8, pixels));
      for (let j = 0; j < k; j++) x[Math.floor(rand() * pixels) * C + Math.floor(rand() * C)] += big();
      return;
    }
    case 'blobs': {
      const W = Math.max(1, Math.round(Math.sqrt(pixels))), H = Math.ceil(pixels / W);
      const nb = 1 + Math.floor(rand() * 4);
      for (let b = 0; b < nb; b++) {
        const w = 1 + Math.floor(rand() * Math.max(1, W / 4)), h = 1 + Math.floor(rand() * Math.max(1, H / 4));
        const x0 = Math.floor(rand() * W), y0 = Math.floor(rand() * H);
        for (let y = y0; y < Math.min(H, y0 + h); y++) for (let xx = x0; xx < Math.min(W, x0 + w); xx++) {
          const p = y * W + xx;
          if (p < pixels) for (let c = 0; c < C; c++) x[p * C + c] += big();
        }
      }
      for (let i = 0; i < x.length; i += 1 + Math.floor(rand() * 7)) x[i] += small();
      return;
    }
    case 'noise': for (let i = 0; i < x.length; i++) x[i] += (rand() * 2 - 1) * thr * 2; return;
    case 'ties': {
      // |x - b| exactly fl32(thr) (and neighbours) where fl32(thr) != thr: the kernel's float64 tie path.
      const t32 = Math.fround(thr);
      for (let p = 0; p < pixels; p++) {
        const c = Math.floor(rand() * C), i = p * C + c;
        const r = rand();
        const mag = r < 0.6 ? t32 : r < 0.8 ? Math.fround(t32 * (1 + 2 ** -23)) : Math.fround(t32 * (1 - 2 ** -23));
        const y = Math.fround(x[i] + (rand() < 0.5 ? -mag : mag));
        x[i] = y;
      }
      return;
    }
    case 'nonfinite': {
      const vals = [NaN, Infinity, -Infinity, 3e38, -3e38];
      const k = 1 + Math.floor(rand() * Math.min(16, pixels));
      for (let j = 0; j < k; j++) x[Math.floor(rand() * x.length)] = vals[Math.floor(rand() * vals.length)];
      for (let i = 0; i < x.length; i += 3) x[i] += small();
      return;
    }
  }
}

/** How the count comes back: read with the launch, read later from the device word, or sparsifyProbe's report. */
type CountMode = 'read' | 'device' | 'probe';
interface Case { pat: Pattern; pixels: number; C: number; thr: number; frames: number; seed: number; mode: CountMode }

function runCase(k: native.DeltaCudaAddon, c: Case): void {
  const rand = prng(c.seed);
  const n = c.pixels * c.C;
  const base = new Float32Array(n);
  for (let i = 0; i < n; i++) base[i] = (rand() * 2 - 1) * (c.pat === 'ties' ? 1 : 4);
  const refBase = base.slice();
  const x = base.slice();
  const hBase = k.alloc(n * 4), hX = k.alloc(n * 4), hIdx = k.alloc(c.pixels * 4), hDelta = k.alloc(n * 4), hCount = k.alloc(16);
  try {
    k.upload(hBase, base);
    k.upload(hCount, new Uint32Array(4));  // (sparsifyProbe's state: zeroed once)
    const poisonI = new Int32Array(c.pixels).fill(-7), poisonD = new Float32Array(n).fill(NaN);
    for (let f = 0; f < c.frames; f++) {
      nextFrame(x, c.pixels, c.C, c.thr, f === 0 && c.pat === 'nonfinite' ? 'noise' : c.pat, rand);
      k.upload(hX, x);
      k.upload(hIdx, poisonI);
      k.upload(hDelta, poisonD);
      const ref = cpuSparsify(refBase, x, c.C, c.thr);
      const refCount = ref.update ? ref.update.count : 0;
      let count: number;
      if (c.mode === 'probe') {
        const r = k.sparsifyProbe(hBase, hX, c.pixels, c.C, c.thr, hIdx, hDelta, hCount);
        count = Math.floor(r / 2);
        expect(r % 2).toBe(x.some((v) => !Number.isFinite(v)) ? 1 : 0, `frame ${f}: NaN/Inf flag`);
        // the kernel leaves its state zeroed for the next probe, the count in word 3 for later launches
        expect(Array.from(k.download(hCount, new Uint32Array(4)))).toEqual([0, 0, 0, count], `frame ${f}: probe state`);
      } else if (c.mode === 'read') {
        count = k.sparsify(hBase, hX, c.pixels, c.C, c.thr, hIdx, hDelta, hCount, 8, true)!;
      } else {
        expect(k.sparsify(hBase, hX, c.pixels, c.C, c.thr, hIdx, hDelta, hCount, 8)).toBeUndefined();
        count = k.readU32(hCount, 8);
      }
      const where = `frame ${f}`;
      expect(count).toBe(refCount, `${where}: active count`);
      if (count !== refCount) return;
      const idx = k.download(hIdx, new Int32Array(count));
      const delta = k.download(hDelta, new Float32Array(count * c.C));
      const order = Array.from(idx.keys()).sort((a, b) => idx[a] - idx[b]);
      let bad = -1;
      for (let j = 0; j < count && bad < 0; j++) {
        if (idx[order[j]] !== ref.update!.pixels[j]) bad = j;
        else {
          const g = delta.subarray(order[j] * c.C, order[j] * c.C + c.C);
          const r = ref.update!.delta.subarray(j * c.C, j * c.C + c.C);
          if (firstDiff(g, r) !== -1) bad = j;
        }
      }
      expect(bad).toBe(-1, `${where}: compact row ${bad} (pixel ${bad >= 0 ? ref.update!.pixels[bad] : ''}) differs`);
      const gotBase = k.download(hBase, new Float32Array(n));
      const d = firstDiff(gotBase, refBase);
      expect(d).toBe(-1, `${where}: baseline differs at element ${d}: ${gotBase[d]} vs ${refBase[d]}`);
      if (bad !== -1 || d !== -1) return;
    }
  } finally {
    for (const h of [hBase, hX, hIdx, hDelta, hCount]) k.free(h);
  }
}

describe('delta-cuda sparsify vs the delta-cpu reference (GPU)', () => {
  const thrs = [0.02, 0, 0.1];
  const channels = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 33, 63, 64];
  const patterns: Pattern[] = ['none', 'below', 'full', 'single', 'blobs', 'noise', 'ties', 'nonfinite'];
  let seed = 1;
  for (const pat of patterns) {
    for (const C of channels) {
      const s = seed++;
      const pixels = [1, 7, 300, 4099, 65537][s % 5];
      const thr = pat === 'ties' ? 0.02 : thrs[s % thrs.length];
      it(`${pat}, ${C} channels, ${pixels} pixels, thr ${thr}`, () => {
        runCase(needGpu(), {pat, pixels, C, thr, frames: 3, seed: s * 7919, mode: (['read', 'device', 'probe'] as const)[s % 3]});
      });
    }
  }
  for (const [pixels, C] of [[1_000_000, 1], [1_000_000, 3], [1_000_000, 32], [250_000, 64], [1_000_000, 7]]) {
    for (const pat of ['blobs', 'noise', 'full'] as Pattern[]) {
      it(`large: ${pat}, ${C} channels, ${pixels} pixels`, () => {
        for (const mode of ['read', 'probe'] as const) runCase(needGpu(), {pat, pixels, C, thr: 0.03, frames: 2, seed: pixels + C * 31 + pat.length, mode});
      });
    }
  }
  it('wide pixels (channels > 2048: one block per pixel)', () => {
    const k = needGpu();
    for (const pat of ['single', 'noise', 'ties', 'full', 'nonfinite'] as Pattern[]) {
      for (const mode of ['read', 'probe'] as const) runCase(k, {pat, pixels: 37, C: 3001, thr: 0.02, frames: 3, seed: 99, mode});
    }
  });
  it('a negative threshold activates every pixel; NaN activates none', () => {
    const k = needGpu();
    runCase(k, {pat: 'none', pixels: 1000, C: 3, thr: -1, frames: 2, seed: 5, mode: 'read'});
    runCase(k, {pat: 'noise', pixels: 1000, C: 3, thr: NaN, frames: 2, seed: 6, mode: 'read'});
    runCase(k, {pat: 'nonfinite', pixels: 1000, C: 5, thr: Infinity, frames: 3, seed: 7, mode: 'read'});
    runCase(k, {pat: 'nonfinite', pixels: 1000, C: 5, thr: 1e300, frames: 3, seed: 8, mode: 'device'});
    runCase(k, {pat: 'nonfinite', pixels: 1000, C: 5, thr: Infinity, frames: 3, seed: 9, mode: 'probe'});
    runCase(k, {pat: 'none', pixels: 1000, C: 3, thr: -1, frames: 2, seed: 10, mode: 'probe'});
  });
  it('zero pixels: count 0, nothing written', () => {
    const k = needGpu();
    const h = k.alloc(16);
    k.upload(h, new Uint32Array([5, 5, 5, 5]));
    expect(k.sparsify(h, h, 0, 3, 0.1, h, h, h, 4, true)).toBe(0);
    expect(Array.from(k.download(h, new Uint32Array(4)))).toEqual([5, 0, 5, 5]);
    k.upload(h, new Uint32Array([0, 0, 0, 9]));
    expect(k.sparsifyProbe(h, h, 0, 3, 0.1, h, h, h)).toBe(0);  // (no launch: the state stays as it was)
    expect(Array.from(k.download(h, new Uint32Array(4)))).toEqual([0, 0, 0, 9]);
    k.free(h);
  });
});

describe('delta-cuda device memory (GPU)', () => {
  it('uploads and downloads through the pinned staging at any size and offset', () => {
    const k = needGpu();
    const rand = prng(42);
    for (const bytes of [4, 4096, 8 << 20, (8 << 20) + 4, 20 << 20, (16 << 20) - 4]) {
      const a = new Float32Array(bytes / 4);
      for (let i = 0; i < a.length; i++) a[i] = rand();
      const h = k.alloc(bytes + 64);
      k.upload(h, a, 64);
      const b = k.download(h, new Float32Array(a.length), 64);
      expect(firstDiff(a, b)).toBe(-1, `${bytes} bytes`);
      const h2 = k.alloc(bytes);
      k.copy(h2, 0, h, 64, bytes);
      expect(firstDiff(a, k.download(h2, new Float32Array(a.length)))).toBe(-1, `copy ${bytes} bytes`);
      k.free(h); k.free(h2);
    }
    k.synchronize();
  });
  it('rejects out-of-bounds access and unknown handles with a delta-cuda error', () => {
    const k = needGpu();
    const live = k.liveBuffers();
    const h = k.alloc(64);
    expect(() => k.upload(h, new Float32Array(17))).toThrowError(/^delta-cuda: access .* outside buffer/);
    expect(() => k.download(h, new Float32Array(4), 60)).toThrowError(/^delta-cuda: access/);
    expect(() => k.sparsify(h, h, 5, 4, 0, h, h, h)).toThrowError(/^delta-cuda: access/);
    k.free(h);
    expect(() => k.free(h)).toThrowError(/^delta-cuda: unknown buffer handle/);
    expect(() => k.download(123456, new Float32Array(1))).toThrowError(/^delta-cuda: unknown buffer handle/);
    expect(k.liveBuffers()).toBe(live);
  });
});
