// The library's Node-only helper installNodeWebGPU (src/webgpu/node_gpu.ts) imports existsSync from
// node:fs; in the browser navigator.gpu exists and that helper never runs. Vite aliases node:fs here.
export function existsSync(): boolean {
  throw new Error('node:fs is not available in the browser');
}
