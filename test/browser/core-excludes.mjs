// tfjs-core specs not run in the browser suite, each with its reason. Same rule as
// test/core-suites/suites.mjs: only for reasons that have nothing to do with our kernels, i.e. the spec
// also fails on tfjs's own 'webgpu' backend in this browser (check: DELTA_CORE_BACKEND=webgpu
// DELTA_BROWSER_PAGES=core node test/browser/run.mjs).
export const BROWSER_EXCLUDES = [
  {describe: 'sigmoid', spec: 'propagates NaNs',
   reason: "tfjs-backend-webgpu 4.22's own sigmoid returns 0 for NaN on Chromium 156's SwiftShader adapter (fails on 'webgpu' too)"},
];
