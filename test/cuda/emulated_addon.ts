// A JavaScript emulation of the delta-cuda addon's buffer functions and delta kernels, for machines without
// a GPU (CI, development): it runs src/cuda/plane.ts's logic (slot state, step sequence, counters, updates,
// copies, releases) against delta-cpu on every commit. It states the kernels' contracts
// (kernels-cuda/delta_*.cuh) in JS; it does not replace the GPU specs, which check the CUDA kernels
// themselves against the same oracle (delta_plane.spec.ts on the H100).
//
// Candidates and lists come out in a sequential order here (the GPU's is atomic order); consumers must not
// depend on it, and the plane does not.

type Handle = number;

const ACT = {linear: 0, relu: 1, relu6: 2, leakyrelu: 3, prelu: 4, elu: 5, sigmoid: 6, tanh: 7};

function activate(act: number, x: number, leaky: number, alpha: number): number {
  switch (act) {
    case ACT.relu: return Math.max(0, x);
    case ACT.relu6: return Math.min(Math.max(0, x), 6);
    case ACT.leakyrelu: return x < 0 ? leaky * x : x;
    case ACT.prelu: return x < 0 ? alpha * x : x;
    case ACT.elu: return x >= 0 ? x : Math.exp(x) - 1;
    case ACT.sigmoid: return 1 / (1 + Math.exp(-x));
    case ACT.tanh: return Math.tanh(x);
    default: return x;
  }
}

export class EmulatedAddon {
  private readonly bufs = new Map<Handle, ArrayBuffer>();
  private next = 1;
  /** Kernel launches by name (tests of the launch sequence). */
  readonly launches: Record<string, number> = {};

  private count(name: string) {
    this.launches[name] = (this.launches[name] ?? 0) + 1;
  }
  private buf(h: Handle): ArrayBuffer {
    const b = this.bufs.get(h);
    if (!b) throw new Error(`delta-cuda: unknown buffer handle ${h}`);
    return b;
  }
  private f32(h: Handle) { return new Float32Array(this.buf(h)); }
  private i32(h: Handle) { return new Int32Array(this.buf(h)); }
  private u32(h: Handle) { return new Uint32Array(this.buf(h)); }
  private word(h: Handle, off: number) { return {a: this.u32(h), i: off / 4}; }

  deviceInfo() { return {count: 1, devices: [{name: 'emulated', cc: '0.0', memory: 0, multiprocessors: 1, l2Bytes: 0}]}; }
  buildInfo() { return {archs: 'emulated', cudaRuntime: 0, napiVersion: 8}; }
  init() { return 0; }
  // The runtime's caching allocator (binding/runtime.cc), as accounting: blocks of a size class come from the cache
  // of that class or from the "driver" (heldBytes); freed blocks go back to their class's cache. So the long-run
  // checks of held bytes see what the GPU run sees (the buffers themselves are plain ArrayBuffers).
  private readonly classOf = new Map<Handle, number>();
  private readonly cache = new Map<number, number>();
  private held = 0;
  private cached = 0;
  private static sizeClass(bytes: number): number {
    if (bytes <= 4096) return Math.ceil(bytes / 256) * 256;
    let p = 4096;
    while (p * 2 < bytes) p *= 2;
    const step = p / 4;
    return Math.ceil(bytes / step) * step;
  }
  alloc(bytes: number): Handle {
    const h = this.next++;
    this.bufs.set(h, new ArrayBuffer(Math.ceil(bytes / 4) * 4));
    if (bytes > 0) {
      const cls = EmulatedAddon.sizeClass(bytes);
      const n = this.cache.get(cls) ?? 0;
      if (n > 0) {
        this.cache.set(cls, n - 1);
        this.cached -= cls;
      } else {
        this.held += cls;
      }
      this.classOf.set(h, cls);
    }
    return h;
  }
  free(h: Handle) {
    this.buf(h);
    this.bufs.delete(h);
    const cls = this.classOf.get(h);
    if (cls !== undefined) {
      this.classOf.delete(h);
      this.cache.set(cls, (this.cache.get(cls) ?? 0) + 1);
      this.cached += cls;
    }
  }
  size(h: Handle) { return this.buf(h).byteLength; }
  liveBuffers() { return this.bufs.size; }
  cachedBytes() { return this.cached; }
  trim() {
    this.held -= this.cached;
    this.cached = 0;
    this.cache.clear();
  }
  /** The addon's deviceMemory() (binding/addon.cc): here the "device" is the JS heap, 16 GiB nominal. */
  deviceMemory() {
    const total = 16 * 2 ** 30;
    return {free: total - this.held, total, heldBytes: this.held, cachedBytes: this.cached, liveBuffers: this.bufs.size};
  }
  synchronize() {}
  upload(h: Handle, src: ArrayBufferView, byteOffset = 0) {
    new Uint8Array(this.buf(h), byteOffset, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }
  download<T extends ArrayBufferView>(h: Handle, dst: T, byteOffset = 0): T {
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(this.buf(h), byteOffset, dst.byteLength));
    return dst;
  }
  copy(dst: Handle, dOff: number, src: Handle, sOff: number, bytes: number) {
    new Uint8Array(this.buf(dst), dOff, bytes).set(new Uint8Array(this.buf(src), sOff, bytes));
  }
  readU32(h: Handle, off = 0) { return this.u32(h)[off / 4]; }
  deltaFill(h: Handle, off: number, bytes: number, v: number) { new Uint8Array(this.buf(h), off, bytes).fill(v); }
  private readonly copies = new Map<number, Uint32Array>();
  private nextTicket = 1;
  /** Async counter copies complete at once here (the GPU's complete when the stream gets there). */
  deltaCountersAsync(h: Handle, off: number, bytes: number): number {
    this.count('deltaCountersAsync');
    const t = this.nextTicket++;
    this.copies.set(t, new Uint32Array(this.buf(h).slice(off, off + bytes)));
    return t;
  }
  deltaCountersPoll(t: number, dst: Uint32Array): boolean {
    const c = this.copies.get(t);
    if (!c) throw new Error(`delta-cuda: deltaCountersPoll: unknown ticket ${t}`);
    dst.set(c.subarray(0, dst.length));
    this.copies.delete(t);
    return true;
  }
  deltaDenseDiff(valsH: Handle, outH: Handle, stampH: Handle, gen: number, pixels: number, C: number, thr: number,
                 listH: Handle, ctrH: Handle, ctrOff: number) {
    this.count('deltaDenseDiff');
    const V = this.f32(valsH), O = this.f32(outH), S = stampH === 0 ? null : this.u32(stampH), L = this.i32(listH), ctr = this.u32(ctrH), c0 = ctrOff / 4;
    for (let p = 0; p < pixels; p++) {
      let change = false, bad = false;
      if (S === null || S[p] === gen) {
        for (let c = 0; c < C; c++) {
          const e = O[p * C + c];
          if (!(Math.abs(e - V[p * C + c]) <= thr)) change = true;
          if (!Number.isFinite(e)) bad = true;
        }
      }
      if (change || bad) {
        for (let c = 0; c < C; c++) V[p * C + c] = O[p * C + c];
        L[ctr[c0 + 1]++] = p;
        if (bad) ctr[c0 + 4] |= 1;
      } else {
        for (let c = 0; c < C; c++) O[p * C + c] = V[p * C + c];
      }
    }
  }
  deltaTimerStart() {}
  deltaTimerStop() { return 0; }

  sparsify(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle,
           countH: Handle, countOff = 0, readCount = false, nonFiniteOff = -1) {
    this.count('sparsify');
    const {n, bad} = this.diff(base, x, pixels, channels, thr, idx, delta);
    const w = this.word(countH, countOff);
    w.a[w.i] = n;
    if (bad && nonFiniteOff >= 0) {
      const f = this.word(countH, nonFiniteOff);
      f.a[f.i] |= 1;
    }
    return readCount ? n : undefined;
  }

  sparsifyProbe(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle, state: Handle) {
    this.count('sparsifyProbe');
    if (pixels === 0) return 0;  // (no launch: the state stays as it was)
    const w = new Uint32Array(this.buf(state), 0, 4);
    if (w[0] !== 0 || w[1] !== 0 || w[2] !== 0) throw new Error('emulated addon: sparsifyProbe: state words 0-2 are not zero');
    const {n, bad} = this.diff(base, x, pixels, channels, thr, idx, delta);
    w[3] = n;  // words 0-2 stay zero, as the kernel's last block leaves them
    return 2 * n + (bad ? 1 : 0);
  }

  /** The input rule (kernels-cuda/sparsify.cuh): changed pixels into idx/delta, base updated; their count, NaN/Inf seen. */
  private diff(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle) {
    const B = this.f32(base), X = this.f32(x), I = this.i32(idx), D = this.f32(delta);
    let n = 0, bad = false;
    for (let p = 0; p < pixels; p++) {
      let m = 0;
      for (let c = 0; c < channels; c++) {
        if (!Number.isFinite(X[p * channels + c])) bad = true;
        const a = Math.abs(X[p * channels + c] - B[p * channels + c]);
        if (a > m) m = a; else if (a !== a) m = Infinity;
      }
      if (m > thr) {
        I[n] = p;
        for (let c = 0; c < channels; c++) {
          D[n * channels + c] = X[p * channels + c] - B[p * channels + c];
          B[p * channels + c] = X[p * channels + c];
        }
        n++;
      }
    }
    return {n, bad};
  }

  private markOne(stamp: Uint32Array, gen: number, cand: Int32Array, ctr: Uint32Array, c0: number, op: number) {
    if (stamp[op] !== gen) {
      stamp[op] = gen;
      cand[ctr[c0]++] = op;
    }
  }

  deltaConvMark(g: Int32Array, list: Handle, lcH: Handle, lcOff: number, stampH: Handle, gen: number, candH: Handle,
                ctrH: Handle, ctrOff: number) {
    this.count('deltaConvMark');
    const [, inH, inW, , outH, outW, , fH, fW, sH, sW, dH, dW, padT, padL] = g;
    const L = this.i32(list), n = this.u32(lcH)[lcOff / 4];
    const stamp = this.u32(stampH), cand = this.i32(candH), ctr = this.u32(ctrH), c0 = ctrOff / 4;
    for (let i = 0; i < n; i++) {
      const p = L[i], b = Math.floor(p / (inH * inW)), r = p - b * inH * inW, y = Math.floor(r / inW), x = r - y * inW;
      for (let kh = 0; kh < fH; kh++) {
        const ty = y + padT - kh * dH;
        if (ty < 0 || ty % sH) continue;
        const oy = ty / sH;
        if (oy >= outH) continue;
        for (let kw = 0; kw < fW; kw++) {
          const tx = x + padL - kw * dW;
          if (tx < 0 || tx % sW) continue;
          const ox = tx / sW;
          if (ox < outW) this.markOne(stamp, gen, cand, ctr, c0, (b * outH + oy) * outW + ox);
        }
      }
    }
  }

  deltaConvCompute(g: Int32Array, xH: Handle, wH: Handle, biasH: Handle, alphaH: Handle, act: number, leaky: number,
                   candH: Handle, ctrH: Handle, ctrOff: number, eH: Handle, vals?: Handle, thr?: number, list?: Handle, groups?: Handle,
                   _stamp?: Handle, _gen?: number, countH?: Handle, countOff?: number) {
    this.count('deltaConvCompute');
    const [batch, inH, inW, inC, outH, outW, outC, fH, fW, sH, sW, dH, dW, padT, padL, depthwise] = g;
    const X = this.f32(xH), W = this.f32(wH), E = this.f32(eH);
    const bias = biasH ? this.f32(biasH) : null, alpha = alphaH ? this.f32(alphaH) : null;
    const cand = candH ? this.i32(candH) : null;
    const ctr = ctrH ? this.u32(ctrH) : null, c0 = ctrOff / 4;
    // a mark-free step: the candidates' count is the input's word; the kernel records it as CAND
    if (cand && countH) ctr![c0] = this.u32(countH)[countOff! / 4];
    const n = cand ? ctr![c0] : batch * outH * outW;
    const acc = new Float32Array(outC);
    let macs = 0;
    for (let k = 0; k < n; k++) {
      const op = cand ? cand[k] : k;
      const b = Math.floor(op / (outH * outW)), r = op - b * outH * outW, oy = Math.floor(r / outW), ox = r - oy * outW;
      acc.fill(0);
      let taps = 0;
      for (let kh = 0; kh < fH; kh++) {
        const iy = oy * sH - padT + kh * dH;
        if (iy < 0 || iy >= inH) continue;
        for (let kw = 0; kw < fW; kw++) {
          const ix = ox * sW - padL + kw * dW;
          if (ix < 0 || ix >= inW) continue;
          taps++;
          const x0 = ((b * inH + iy) * inW + ix) * inC, tap = kh * fW + kw;
          if (depthwise) {
            const mult = outC / inC;
            for (let o = 0; o < outC; o++) acc[o] = Math.fround(acc[o] + X[x0 + Math.floor(o / mult)] * W[tap * outC + o]);
          } else {
            for (let ci = 0; ci < inC; ci++) {
              const xv = X[x0 + ci], w0 = (tap * inC + ci) * outC;
              for (let co = 0; co < outC; co++) acc[co] = Math.fround(acc[co] + xv * W[w0 + co]);
            }
          }
        }
      }
      macs += taps * (depthwise ? outC : inC * outC);
      for (let o = 0; o < outC; o++) {
        let v = acc[o];
        if (bias) v = Math.fround(v + bias[o]);
        E[k * outC + o] = activate(act, v, leaky, alpha ? alpha[o] : 0);
      }
    }
    if (ctr) this.addMacs(ctr, c0, macs);
    if (vals !== undefined) {
      // fused truncation: the same rule as deltaTruncate; the group counters return to 0 (modulo) after a step
      this.buf(groups!);
      this.deltaTruncate(vals, eH, candH, ctrH, ctrOff, batch * outH * outW, outC, thr!, list!);
      this.launches.deltaTruncate--;
    }
  }

  private addMacs(ctr: Uint32Array, c0: number, macs: number) {
    const total = ctr[c0 + 2] + ctr[c0 + 3] * 2 ** 32 + macs;
    ctr[c0 + 2] = total % 2 ** 32;
    ctr[c0 + 3] = Math.floor(total / 2 ** 32);
  }

  deltaPixelMark(list: Handle, lcH: Handle, lcOff: number, all: number, pixels: number, stampH: Handle, gen: number,
                 candH: Handle, ctrH: Handle, ctrOff: number) {
    this.count('deltaPixelMark');
    const n = this.u32(lcH)[lcOff / 4];
    const stamp = this.u32(stampH), cand = this.i32(candH), ctr = this.u32(ctrH), c0 = ctrOff / 4;
    if (all) {
      if (n > 0) for (let p = 0; p < pixels; p++) this.markOne(stamp, gen, cand, ctr, c0, p);
    } else {
      const L = this.i32(list);
      for (let i = 0; i < n; i++) this.markOne(stamp, gen, cand, ctr, c0, L[i]);
    }
  }

  deltaPointwise(op: number, act: number, leaky: number, aH: Handle, _aElems: number, modeA: number, bH: Handle, _bElems: number,
                 modeB: number, candH: Handle, ctrH: Handle, ctrOff: number, pixels: number, C: number, eH: Handle, macsPer: number) {
    this.count('deltaPointwise');
    const A = this.f32(aH), Bv = bH ? this.f32(bH) : null, E = this.f32(eH);
    const cand = candH ? this.i32(candH) : null;
    const ctr = ctrH ? this.u32(ctrH) : null, c0 = ctrOff / 4;
    const n = cand ? ctr![c0] : pixels;
    const load = (v: Float32Array, mode: number, p: number, c: number) =>
      mode === 1 ? v[0] : mode === 2 ? v[c] : mode === 3 ? v[p] : v[p * C + c];
    for (let k = 0; k < n; k++) {
      const p = cand ? cand[k] : k;
      for (let c = 0; c < C; c++) {
        const a = load(A, modeA, p, c);
        let r: number;
        switch (op) {
          case 1: r = a + load(Bv!, modeB, p, c); break;
          case 2: r = a - load(Bv!, modeB, p, c); break;
          case 3: r = a * load(Bv!, modeB, p, c); break;
          case 4: r = a < 0 ? load(Bv!, modeB, p, c) * a : a; break;
          default: r = activate(act, a, leaky, 0);
        }
        E[k * C + c] = r;
      }
    }
    if (ctr) this.addMacs(ctr, c0, n * C * macsPer);
  }

  deltaTruncate(valsH: Handle, eH: Handle, candH: Handle, ctrH: Handle, ctrOff: number, _pixels: number, C: number, thr: number,
                listH: Handle) {
    this.count('deltaTruncate');
    const V = this.f32(valsH), E = this.f32(eH), cand = this.i32(candH), L = this.i32(listH);
    const ctr = this.u32(ctrH), c0 = ctrOff / 4;
    const n = ctr[c0];
    for (let k = 0; k < n; k++) {
      const p = cand[k];
      let change = false, bad = false;
      for (let c = 0; c < C; c++) {
        const e = E[k * C + c];
        if (!(Math.abs(e - V[p * C + c]) <= thr)) change = true;
        if (!Number.isFinite(e)) bad = true;
      }
      if (!change && !bad) continue;
      for (let c = 0; c < C; c++) V[p * C + c] = E[k * C + c];
      L[ctr[c0 + 1]++] = p;
      if (bad) ctr[c0 + 4] |= 1;
    }
  }
}
