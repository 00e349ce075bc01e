/**
 * Browser stand-in for ../webgpu/node_gpu.ts (which loads Node's `fs` and the npm `webgpu` package):
 * the browser builds (scripts/build-browser.mjs) substitute this file for it, so that bundlers never
 * see a Node module. Same exports, same signatures: in a browser `navigator.gpu` is the browser's own.
 */

/** Software Vulkan drivers by name: none to choose from in a browser (the browser picks its adapter). */
export const SOFTWARE_ADAPTERS: Readonly<Record<string, {icd: string; adapter: string}>> = Object.freeze({});

/**
 * In a browser: reports whether the browser offers WebGPU; installs nothing. `adapter` is ignored (the
 * browser picks the adapter), as the Node version ignores it where navigator.gpu already exists.
 */
export function installNodeWebGPU(_adapter?: string): {ok: boolean; why: string} {
  const gpu = (globalThis as {navigator?: {gpu?: unknown}}).navigator?.gpu;
  return gpu ? {ok: true, why: 'navigator.gpu is present'}
      : {ok: false, why: 'this browser offers no WebGPU (navigator.gpu is missing: needs a secure context, https or localhost)'};
}
