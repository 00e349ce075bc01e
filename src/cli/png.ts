/**
 * PNG output without native dependencies: an RGB raster with the few drawing operations --render
 * needs (blend a mask, lines, dots), encoded with node:zlib (8-bit RGB, filter 0 per row).
 */
import {deflateSync} from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes width x height RGB pixels (row-major, 3 bytes each) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;                                  // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;   // 8-bit, RGB, deflate, no filter set, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, {level: 6})), chunk('IEND', new Uint8Array(0))]);
}

export type Rgb = [number, number, number];

export class Raster {
  readonly pixels: Uint8Array;

  constructor(readonly width: number, readonly height: number, fill: Rgb = [0, 0, 0]) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < this.pixels.length; i += 3) this.pixels.set(fill, i);
  }

  /** An RGB image scaled up by an integer factor (nearest neighbour). */
  static fromRgb(rgb: Uint8Array, width: number, height: number, scale = 1): Raster {
    const r = new Raster(width * scale, height * scale);
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) {
        const s = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 3;
        r.pixels.set(rgb.subarray(s, s + 3), (y * r.width + x) * 3);
      }
    }
    return r;
  }

  blend(x: number, y: number, color: Rgb, alpha: number): void {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.pixels[i + c] = Math.round(this.pixels[i + c] * (1 - alpha) + color[c] * alpha);
  }

  /** Tints the pixels where mask (sourceWidth x sourceHeight, upscaled to this raster) is set. */
  tintMask(mask: Uint8Array, sourceWidth: number, sourceHeight: number, color: Rgb, alpha: number): void {
    const sx = sourceWidth / this.width, sy = sourceHeight / this.height;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        if (mask[Math.floor(y * sy) * sourceWidth + Math.floor(x * sx)]) this.blend(x, y, color, alpha);
      }
    }
  }

  dot(cx: number, cy: number, radius: number, color: Rgb, alpha = 1): void {
    for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
      for (let x = Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) this.blend(x, y, color, alpha);
      }
    }
  }

  /** A line of the given thickness (dots along it: simple, and thick lines look round). */
  line(x0: number, y0: number, x1: number, y1: number, thickness: number, color: Rgb, alpha = 1): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const visited = new Set<number>();
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      const x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
      const r = thickness / 2;
      for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
        for (let xx = Math.floor(x - r); xx <= Math.ceil(x + r); xx++) {
          const key = yy * this.width + xx;
          // blend each pixel once per line, so alpha < 1 does not stack up along it
          if ((xx - x) ** 2 + (yy - y) ** 2 <= r * r && !visited.has(key)) { visited.add(key); this.blend(xx, yy, color, alpha); }
        }
      }
    }
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }
}
