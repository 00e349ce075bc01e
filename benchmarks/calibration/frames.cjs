/**
 * Pre-decoded frame packs for the calibration evaluation on machines without ffmpeg (the GPU server).
 * Format: the offline bundle's (scripts/bundle.mjs, test/cuda/data.ts): brotli of the first frame's RGB bytes
 * followed by each later frame as its bytewise difference (mod 256) from the previous one. File name:
 *   <clip>-<W>x<H>-<fit>[-from<S>].frames.br     frames S, S+1, ... of the clip (S = 0 without -from)
 * so a pack of frames 100-399 needs no frames 0-99.
 */
const {readFileSync} = require('node:fs');
const {basename} = require('node:path');
const {brotliCompressSync, brotliDecompressSync, constants: zc} = require('node:zlib');

const NAME = /^(.+)-(\d+)x(\d+)-(stretch|pad)(?:-from(\d+))?\.frames\.br$/;

function packName(clip, width, height, fit, start) {
  return `${clip}-${width}x${height}-${fit}${start ? `-from${start}` : ''}.frames.br`;
}

/** {clip, width, height, fit, start} from a pack's file name; a clear error for any other name. */
function parsePackName(file) {
  const m = NAME.exec(basename(file));
  if (!m) throw new Error(`${file}: not a frame pack name (<clip>-<W>x<H>-<stretch|pad>[-from<S>].frames.br)`);
  return {clip: m[1], width: Number(m[2]), height: Number(m[3]), fit: m[4], start: Number(m[5] ?? 0)};
}

function encodePack(frames) {
  const fb = frames[0].length;
  const buf = Buffer.alloc(fb * frames.length);
  frames.forEach((f, i) => {
    if (f.length !== fb) throw new Error(`frame ${i}: ${f.length} bytes, frame 0 has ${fb}`);
    const o = i * fb;
    if (i === 0) buf.set(f, 0);
    else { const p = frames[i - 1]; for (let k = 0; k < fb; k++) buf[o + k] = (f[k] - p[k]) & 255; }
  });
  return brotliCompressSync(buf, {params: {[zc.BROTLI_PARAM_QUALITY]: 9, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length}});
}

function decodePack(file) {
  const info = parsePackName(file);
  const raw = brotliDecompressSync(readFileSync(file));
  const fb = info.width * info.height * 3;
  if (raw.length % fb !== 0) throw new Error(`${file}: ${raw.length} bytes is not a whole number of ${info.width}x${info.height} frames`);
  const frames = [];
  let prev = null;
  for (let off = 0; off < raw.length; off += fb) {
    const f = new Uint8Array(raw.subarray(off, off + fb));
    if (prev) for (let i = 0; i < fb; i++) f[i] = (f[i] + prev[i]) & 255;
    frames.push(f);
    prev = f;
  }
  return {...info, frames};
}

/**
 * Frames start..start+count-1 of one clip from packs (one or more files, e.g. 0-49 and 100-399), at the
 * packs' size. Errors name the missing frames or a pack of another clip/size.
 */
function framesFromPacks(packs, start, count) {
  const out = new Array(count);
  for (const p of packs) {
    for (let i = 0; i < p.frames.length; i++) {
      const f = p.start + i;
      if (f >= start && f < start + count) out[f - start] = p.frames[i];
    }
  }
  const missing = [];
  for (let i = 0; i < count; i++) if (!out[i]) missing.push(start + i);
  if (missing.length) {
    throw new Error(`frames ${missing[0]}..${missing[missing.length - 1]} (${missing.length}) are not in the packs ` +
        `(${packs.map((p) => `${p.start}-${p.start + p.frames.length - 1}`).join(', ')})`);
  }
  return out;
}

/**
 * Bilinear resize of an RGB frame (half-pixel centres, as tf.image.resizeBilinear with halfPixelCenters),
 * rounded to bytes: a model whose size differs from the pack's by a pixel (selfie 256 from posenet's 257)
 * reads a resampled frame instead of a pack of its own.
 */
function resizeBilinear(src, sw, sh, dw, dh) {
  const dst = new Uint8Array(dw * dh * 3);
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * sh / dh - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(sh - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sw / dw - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(sw - 1, x0 + 1), wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = src[(y0 * sw + x0) * 3 + c], b = src[(y0 * sw + x1) * 3 + c];
        const d = src[(y1 * sw + x0) * 3 + c], e = src[(y1 * sw + x1) * 3 + c];
        dst[(y * dw + x) * 3 + c] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
      }
    }
  }
  return dst;
}

module.exports = {packName, parsePackName, encodePack, decodePack, framesFromPacks, resizeBilinear};
