#!/usr/bin/env node
// Decodes a clip into raw RGB frames for benchmarks/webgpu/bench.cjs (same frames for every backend):
//   node benchmarks/webgpu/frames.mjs CLIP WxH START COUNT OUT [--delta-xz]
// OUT.rgb (COUNT frames of H x W x 3 bytes) + OUT.json ({width, height, frames, clip, start}).
// --delta-xz: OUT.rgbd.xz instead (each frame minus the previous one, mod 256, then xz -9): a third of
// the size for a fixed camera, for carrying to the GPU machine; bench.cjs undoes the delta.
import {spawnSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';

const [clip, size, start, count, out] = process.argv.slice(2);
const deltaXz = process.argv.includes('--delta-xz');
const [width, height] = size.split('x').map(Number);
const ffmpeg = process.env.FFMPEG || 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg';
const fps = spawnSync(ffmpeg, ['-i', clip], {encoding: 'utf8'}).stderr.match(/(\d+(?:\.\d+)?) fps/)?.[1] ?? '25';
const r = spawnSync(ffmpeg, ['-loglevel', 'error', '-ss', String(Number(start) / Number(fps)), '-i', clip,
  '-frames:v', count, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {maxBuffer: 1 << 30});
if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
const frame = width * height * 3, n = Math.floor(r.stdout.length / frame);
const data = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, n * frame);
writeFileSync(`${out}.json`, JSON.stringify({width, height, frames: n, clip: clip.split('/').pop(), start: Number(start)}));
if (!deltaXz) {
  writeFileSync(`${out}.rgb`, data);
} else {
  const d = new Uint8Array(data.length);
  d.set(data.subarray(0, frame));
  for (let i = frame; i < data.length; i++) d[i] = (data[i] - data[i - frame]) & 255;
  writeFileSync(`${out}.rgbd`, d);
  const x = spawnSync('xz', ['-9', '-T2', '-f', `${out}.rgbd`]);
  if (x.status !== 0) throw new Error(`xz: ${x.stderr}`);
}
console.log(`${out}: ${n} frames ${width}x${height} from ${clip} @${start}`);
void readFileSync;
