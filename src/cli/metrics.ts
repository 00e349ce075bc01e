/** Small statistics shared by the CLI, the benchmark and the model tests. */

export function median(v: number[]): number {
  return percentile(v, 50);
}

/** The p-th percentile (linear interpolation between order statistics); NaN for an empty list. */
export function percentile(v: number[], p: number): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function mean(v: number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/**
 * max|a-b| / max(max|ref|, floor): relative error of an output against the reference. A NaN on one
 * side only is an infinite error; NaN on both sides at one position counts as equal.
 */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== ref.length) return Infinity;
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], r = ref[i];
    if (Number.isNaN(x) || Number.isNaN(r)) {
      if (Number.isNaN(x) !== Number.isNaN(r)) return Infinity;
      continue;
    }
    const d = Math.abs(x - r);
    if (d > maxDiff) maxDiff = d;
    const m = Math.abs(r);
    if (m > maxRef) maxRef = m;
  }
  return maxDiff / Math.max(maxRef, floor);
}

/** Accumulates absolute errors of outputs against a reference over many frames. */
export class ErrorAccumulator {
  maxAbs = 0;
  private sumAbs = 0;
  private count = 0;
  maxRel = 0;

  add(a: ArrayLike<number>, ref: ArrayLike<number>): void {
    const n = Math.min(a.length, ref.length);
    for (let i = 0; i < n; i++) {
      const d = Math.abs(a[i] - ref[i]);
      if (!(d <= this.maxAbs)) this.maxAbs = d;           // NaN sticks
      this.sumAbs += d;
    }
    this.count += n;
    const rel = relErr(a, ref);
    if (!(rel <= this.maxRel)) this.maxRel = rel;
  }

  get meanAbs(): number { return this.count ? this.sumAbs / this.count : NaN; }
}
