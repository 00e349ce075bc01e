// installNodeWebGPU (src/webgpu/node_gpu.ts) require()s the `webgpu` npm package (Dawn for Node) inside a
// try/catch; the bundler would otherwise pull that Node addon into the page. In a browser navigator.gpu
// is native and that helper never runs; if it did, this makes it report "not installed".
throw new Error('the `webgpu` npm package (Dawn for Node) is not used in the browser');
