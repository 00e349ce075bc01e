#!/usr/bin/env node
// Where a bench.cjs --cpuprofile profile spends host time: self time per (function, caller), in ms per frame.
//   node benchmarks/webgpu/cpuprofile-top.cjs FILE.cpuprofile [--frames N (timed frames; default 1)] [--top 25]
// Native calls (Dawn's methods) have no script: they show as '(native)' under the JS function that made them,
// which is what tells Dawn's cost per call site apart from tfjs' and ours.
'use strict';
const {readFileSync} = require('node:fs');
const argv = process.argv.slice(2);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : d; };
const file = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
if (!file) throw new Error('usage: cpuprofile-top.cjs FILE.cpuprofile [--frames N] [--top K]');
const frames = Number(opt('--frames', 1)), top = Number(opt('--top', 25));
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => {
  const f = n.callFrame;
  if (!f.url) return f.functionName && !f.functionName.startsWith('(') ? `${f.functionName} (native)` : (f.functionName || '(native)');
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
};
// a sample's time is the gap to the next sample
const us = new Map();
for (let i = 0; i < p.samples.length; i++) us.set(p.samples[i], (us.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
const self = new Map();
let total = 0, idle = 0;
for (const [id, t] of us) {
  const n = byId.get(id), caller = byId.get(parent.get(id));
  total += t;
  if (n.callFrame.functionName === '(idle)') idle += t;
  const key = `${name(n)}  <-  ${caller ? name(caller) : '-'}`;
  self.set(key, (self.get(key) ?? 0) + t);
}
const ms = (t) => (t / 1000 / frames).toFixed(3).padStart(9);
console.log(`${file}: ${ms(total)} ms a frame sampled, ${ms(idle)} idle (awaiting the GPU), ${frames} frame(s)`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(t)}  ${k}`);
