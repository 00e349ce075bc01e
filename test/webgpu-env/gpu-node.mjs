// WebGPU in Node 20 through the npm `webgpu` package (dawn.node), on the software Vulkan drivers
// that scripts/webgpu/setup.sh installs. One process can use both: VK_ICD_FILENAMES lists every
// ICD found, and Dawn's `adapter=<name substring>` option picks one.
import {existsSync} from 'node:fs';
import {create, globals} from 'webgpu';

export const ICDS = {
  // Debian `chromium`: SwiftShader (Subzero JIT), Vulkan 1.0/1.1-level, 4-wide "subgroups".
  swiftshader: {icd: '/usr/lib/chromium/vk_swiftshader_icd.json', adapter: 'SwiftShader'},
  // mesa-vulkan-drivers 25 from bookworm-backports: lavapipe (llvmpipe, LLVM JIT, 256-bit SIMD).
  lavapipe: {icd: '/usr/share/vulkan/icd.d/lvp_icd.json', adapter: 'llvmpipe'},
};

/** Names of the software ICDs present on this machine (in ICDS order). */
export function availableIcds() {
  return Object.keys(ICDS).filter((k) => existsSync(ICDS[k].icd));
}

/** Puts GPUBufferUsage, GPUMapMode, GPUBuffer, GPUTexture... on globalThis (tfjs-webgpu needs them:
 *  it uses GPUBufferUsage.* and `instanceof GPUBuffer`). Idempotent. */
export function installGlobals() {
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) globalThis[k] = v;
  }
}

/**
 * A GPU object (navigator.gpu equivalent) for one software adapter: 'swiftshader' | 'lavapipe'.
 * Sets VK_ICD_FILENAMES (all present ICDs) unless the caller set it. Extra Dawn options may be
 * passed (e.g. 'enable-dawn-features=allow_unsafe_apis').
 *
 * Keep the returned object referenced while using it; drop the reference (and any
 * globalThis.navigator.gpu) at the end or Node does not exit (dawn.node keeps the loop alive).
 */
export function createGpu(which, extraOptions = []) {
  if (!ICDS[which]) throw new Error(`unknown adapter ${which}; one of ${Object.keys(ICDS).join(', ')}`);
  if (!existsSync(ICDS[which].icd)) throw new Error(`${which}: ${ICDS[which].icd} missing (run scripts/webgpu/setup.sh)`);
  if (!process.env.VK_ICD_FILENAMES) {
    process.env.VK_ICD_FILENAMES = availableIcds().map((k) => ICDS[k].icd).join(':');
  }
  installGlobals();
  return create([`adapter=${ICDS[which].adapter}`, ...extraOptions]);
}
