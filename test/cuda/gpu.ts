// Shared by the delta-cuda GPU specs: is there a device, registering the backend, comparing a computation
// on delta-cuda with tfjs' own dense 'cpu' backend (the oracle) on the same inputs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cuda';
import {deviceInfo, DeltaCudaBackend} from 'tfjs-backend-delta/cuda';

/** Why the GPU specs cannot run here (null: they can). */
export function noGpuReason(): string | null {
  const info = deviceInfo();
  return info.count > 0 ? null : (info.reason ?? 'no CUDA device');
}

/** Call at the top of a GPU spec: marks it pending with the reason when there is no device. */
export function needGpu(): void {
  const why = noGpuReason();
  if (why) pending(`delta-cuda GPU spec skipped: ${why}`);
}

export async function useCuda(): Promise<DeltaCudaBackend> {
  if (tf.getBackend() !== 'delta-cuda' && !(await tf.setBackend('delta-cuda'))) {
    throw new Error('tf.setBackend(delta-cuda) failed');
  }
  return tf.backend() as DeltaCudaBackend;
}

/** max |a - b| / max(max |ref|, 1e-6); NaN == NaN and equal infinities count as equal. */
export function relDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) return Infinity;
  let m = 0, r = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = ref[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) { r = Math.max(r, Number.isFinite(y) ? Math.abs(y) : 0); continue; }
    const d = Math.abs(x - y);
    if (!(d <= m)) m = d;
    if (Number.isFinite(y)) r = Math.max(r, Math.abs(y));
  }
  return m / Math.max(r, 1e-6);
}

export interface Compared {
  worst: number;
  problems: string[];
  /** Kernels delta-cuda ran on the CPU during the computation. */
  cpuKernels: string[];
}

/**
 * Runs `make` (which builds its inputs itself, deterministically) on 'cpu' and on 'delta-cuda' and
 * compares every output: same shape and dtype, values within `tol` (relDiff). Leaves delta-cuda active.
 */
export async function compareWithCpu(make: () => tf.Tensor | tf.Tensor[], tol: number): Promise<Compared> {
  await tf.setBackend('cpu');
  const refT = tf.tidy(make);
  const refs = Array.isArray(refT) ? refT : [refT];
  const refVals = await Promise.all(refs.map((t) => t.data()));
  const refMeta = refs.map((t) => ({shape: t.shape, dtype: t.dtype}));
  tf.dispose(refs);
  const b = await useCuda();
  b.resetCpuFallbacks();
  const before = tf.memory().numTensors;
  const gotT = tf.tidy(make);
  const gots = Array.isArray(gotT) ? gotT : [gotT];
  const problems: string[] = [];
  let worst = 0;
  for (let i = 0; i < gots.length; i++) {
    const g = gots[i], m = refMeta[i];
    if (!m) { problems.push(`output ${i}: extra output`); continue; }
    if (g.shape.join() !== m.shape.join()) problems.push(`output ${i}: shape [${g.shape}] vs cpu [${m.shape}]`);
    if (g.dtype !== m.dtype) problems.push(`output ${i}: dtype ${g.dtype} vs cpu ${m.dtype}`);
    const v = await g.data();
    const e = relDiff(v as ArrayLike<number>, refVals[i] as ArrayLike<number>);
    worst = Math.max(worst, e);
    if (!(e <= tol)) problems.push(`output ${i}: rel diff ${e.toExponential(2)} > ${tol}`);
  }
  if (gots.length !== refs.length) problems.push(`${gots.length} outputs vs cpu ${refs.length}`);
  tf.dispose(gots);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) problems.push(`${leaked} tensors leaked`);
  return {worst, problems, cpuKernels: Object.keys(b.cpuFallbacks())};
}
