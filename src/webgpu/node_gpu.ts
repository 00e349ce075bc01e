/**
 * WebGPU in Node through the npm `webgpu` package (Dawn): sets `navigator.gpu` and the GPU* globals
 * that tfjs-backend-webgpu and delta-webgpu use. Without a GPU, Dawn runs on a software Vulkan driver
 * (lavapipe from mesa 25, or Chromium's SwiftShader): docs/webgpu-setup.md. Does not load tfjs-webgpu.
 */
import {existsSync} from 'node:fs';

/** Software Vulkan drivers Dawn accepts here, by name: their ICD file and Dawn's adapter name. */
export const SOFTWARE_ADAPTERS: Readonly<Record<string, {icd: string; adapter: string}>> = {
  lavapipe: {icd: '/usr/share/vulkan/icd.d/lvp_icd.json', adapter: 'llvmpipe'},
  swiftshader: {icd: '/usr/lib/chromium/vk_swiftshader_icd.json', adapter: 'SwiftShader'},
};

/**
 * Makes `navigator.gpu` available in Node (a no-op where it already exists, e.g. in a browser).
 * `adapter`: a name from SOFTWARE_ADAPTERS, or undefined for Dawn's default choice (a real GPU when
 * there is one). Returns false, with the reason, when the `webgpu` package is not installed.
 */
export function installNodeWebGPU(adapter?: string): {ok: boolean; why: string} {
  const g = globalThis as {navigator?: {gpu?: unknown}};
  if (g.navigator?.gpu) return {ok: true, why: 'navigator.gpu is present'};
  let dawn: {create(options: string[]): unknown; globals: Record<string, unknown>};
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    dawn = require('webgpu');
  } catch {
    return {ok: false, why: 'the `webgpu` npm package (Dawn) is not installed'};
  }
  const known = adapter !== undefined ? SOFTWARE_ADAPTERS[adapter] : undefined;
  if (adapter !== undefined && !known) {
    throw new Error(`tfjs-backend-delta: unknown WebGPU adapter '${adapter}' (one of ${Object.keys(SOFTWARE_ADAPTERS).join(', ')})`);
  }
  // A named software driver may live outside the loader's search path (SwiftShader ships with Chromium);
  // without a name the loader's own discovery stands, so a real GPU is not hidden.
  if (known && !process.env.VK_ICD_FILENAMES) {
    const icds = Object.values(SOFTWARE_ADAPTERS).map((a) => a.icd).filter((p) => existsSync(p));
    if (icds.length) process.env.VK_ICD_FILENAMES = icds.join(':');
  }
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  if (!g.navigator) (globalThis as {navigator?: object}).navigator = {};
  g.navigator!.gpu = dawn.create(known ? [`adapter=${known.adapter}`] : []);
  return {ok: true, why: `Dawn (npm webgpu)${known ? ` on ${adapter}` : ''}`};
}
