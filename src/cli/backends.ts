/**
 * Which tfjs backends the CLI can run on here: the delta backends of this build (with the dense
 * reference each is compared against) and the dense backends the benchmark measures. Backends are
 * registered lazily, so a run on delta-cpu never loads wasm and vice versa.
 */
import * as tf from '@tensorflow/tfjs-core';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {installNodeWebGPU} from '../webgpu/node_gpu';
import {CliError, UsageError} from './errors';

export const DELTA_BACKENDS = ['delta-cuda', 'delta-webgpu', 'delta-cpu'] as const;
export type DeltaBackendName = typeof DELTA_BACKENDS[number];
export const DENSE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type DenseBackendName = typeof DENSE_BACKENDS[number];
export type BackendName = DeltaBackendName | DenseBackendName;

/** The dense backend each delta backend is compared against (the same platform, without deltas). */
export const REFERENCE_BACKEND: Record<DeltaBackendName, DenseBackendName> = {
  'delta-cpu': 'cpu',
  'delta-webgpu': 'webgpu',
  // tfjs has no dense CUDA backend in Node without tfjs-node-gpu: wasm (runs everywhere) is the reference
  'delta-cuda': 'wasm',
};

/** The registration module of a delta backend in this build (dist/cjs/<dir>/register.js). */
function deltaModule(name: DeltaBackendName): string {
  return join(__dirname, '..', name.replace('delta-', ''), 'register.js');
}

export interface Availability { ok: boolean; why: string }

/** delta-cuda's addon and a CUDA device: the addon's own probe (never throws), with its reason. */
function cudaDevice(): {ok: boolean; why: string} {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const info = (require('../cuda/native') as typeof import('../cuda/native')).deviceInfo();
  if (info.count > 0) return {ok: true, why: `CUDA device ${info.devices[0]?.name ?? '0'}`};
  const gpu = existsSync('/dev/nvidia0') || spawnSync('nvidia-smi', ['-L'], {encoding: 'utf8'}).status === 0;
  return {ok: false, why: `${info.reason ?? 'no CUDA device'}${gpu ? ' (an NVIDIA GPU is present)' : ''}`};
}

let webGpuSetup: {ok: boolean; why: string} | null = null;

/** navigator.gpu, in Node through the `webgpu` package (Dawn) when it is installed. */
function hasWebGpu(): boolean {
  if (typeof (globalThis as {navigator?: {gpu?: unknown}}).navigator?.gpu === 'object') return true;
  webGpuSetup ??= installNodeWebGPU();
  return webGpuSetup.ok;
}

function noWebGpuReason(): string {
  return `no WebGPU in this Node (${webGpuSetup?.why ?? 'navigator.gpu is missing'})`;
}

/** Backends this build has but does not pick by itself, with the reason. */
const EXPERIMENTAL: Partial<Record<DeltaBackendName, string>> = {
  'delta-webgpu': 'experimental in this build (correct, not yet faster than dense on changed frames): choose it with --backend delta-webgpu',
};

/** Whether a delta backend can run here, and why (or why not), in words. */
export function deltaAvailability(name: DeltaBackendName): Availability {
  const built = existsSync(deltaModule(name));
  if (name === 'delta-cpu') return {ok: built, why: built ? 'pure TypeScript, runs everywhere' : 'not in this build'};
  if (!built) return {ok: false, why: 'not in this build'};
  if (name === 'delta-cuda') return cudaDevice();
  return hasWebGpu() ? {ok: true, why: `WebGPU is present (${webGpuSetup?.why ?? 'navigator.gpu'})`} : {ok: false, why: noWebGpuReason()};
}

/** The best delta backend here: delta-cuda if a GPU, else delta-webgpu if an adapter, else delta-cpu. */
export function bestDeltaBackend(): {name: DeltaBackendName; reasons: string[]} {
  const reasons: string[] = [];
  for (const name of DELTA_BACKENDS) {
    const a = deltaAvailability(name);
    const experimental = a.ok ? EXPERIMENTAL[name] : undefined;
    reasons.push(`${name}: ${a.why}${experimental ? `, but ${experimental}` : ''}`);
    if (a.ok && !experimental) return {name, reasons};
  }
  throw new CliError(`no delta backend can run here (${reasons.join('; ')})`);
}

export function isDeltaBackend(name: string): name is DeltaBackendName {
  return (DELTA_BACKENDS as readonly string[]).includes(name);
}

export function parseBackend(name: string, option: string, allowDense: boolean): BackendName {
  const all: readonly string[] = allowDense ? [...DELTA_BACKENDS, ...DENSE_BACKENDS] : DELTA_BACKENDS;
  if (!all.includes(name)) throw new UsageError(`--${option}: unknown backend '${name}' (one of ${all.join(', ')})`);
  return name as BackendName;
}

/** Registers a backend (importing its module) and makes it the active tfjs backend. */
export async function useBackend(name: BackendName): Promise<void> {
  if (isDeltaBackend(name)) {
    const a = deltaAvailability(name);
    if (!a.ok) throw new CliError(`backend ${name} cannot run here: ${a.why}`);
    require(deltaModule(name));
  } else if (name === 'cpu') {
    require('@tensorflow/tfjs-backend-cpu');
  } else if (name === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  } else if (name === 'webgpu') {
    if (!hasWebGpu()) throw new CliError(`backend webgpu cannot run here: ${noWebGpuReason()}`);
    try {
      require('@tensorflow/tfjs-backend-webgpu');
    } catch {
      throw new CliError('backend webgpu: @tensorflow/tfjs-backend-webgpu is not installed');
    }
  }
  if (!(await tf.setBackend(name))) throw new CliError(`tfjs could not initialise the ${name} backend`);
}

/** Whether a dense backend can run here (the benchmark skips the others, saying why). */
export function denseAvailability(name: DenseBackendName): Availability {
  if (name === 'webgpu') {
    if (!hasWebGpu()) return {ok: false, why: noWebGpuReason()};
    try {
      require.resolve('@tensorflow/tfjs-backend-webgpu');
    } catch {
      return {ok: false, why: '@tensorflow/tfjs-backend-webgpu is not installed'};
    }
  }
  return {ok: true, why: ''};
}
