// Micro-benchmark of the sparsify kernel (kernels-cuda/sparsify.cu) on one GPU.
//   node scripts/cuda/pack-device.mjs && carry/cuda/run.sh   (or, with dist built: esbuild this file)
// For pixels x channels x changed fraction: per repetition the baseline is restored from a pristine copy,
// L2 is optionally evicted (a 256 MiB memset: "cold"), and the launch alone (count reset + kernel) is
// timed with CUDA events; median of the repetitions. Bytes = what the kernel must move: read x and base
// (8 B/element), write delta + base for active elements (8 B/element) and 4 B/active pixel of index.
// Also: a device-to-device copy (the bandwidth ceiling, bytes read + written) and the host-side cost of
// one sparsify call through Node-API plus synchronize (hrtime).
import {writeFileSync} from 'fs';
import * as native from '../../src/cuda/native';
import {prng} from '../../test/util/prng';

const median = (a: ArrayLike<number>) => { const s = Array.from(a).sort((x, y) => x - y); return s[s.length >> 1]; };

function main(): void {
  const out = process.argv[2];
  const reps = Number(process.env.REPS ?? 50);
  const info = native.deviceInfo();
  if (info.count === 0) { console.log(`skipped: ${info.reason}`); process.exit(2); }
  const k = native.cuda();
  const results: Record<string, unknown>[] = [];
  // Copy ceiling: 1 GiB device-to-device (long enough for hrtime around synchronize to be accurate).
  const big = 1 << 30;
  const a = k.alloc(big), b = k.alloc(big);
  k.copy(b, 0, a, 0, big); k.synchronize();
  const ct: number[] = [];
  for (let r = 0; r < 10; r++) {
    const t0 = process.hrtime.bigint();
    k.copy(b, 0, a, 0, big); k.synchronize();
    ct.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const copyUs = median(ct);
  const copyGBs = (2 * big) / copyUs / 1e3;
  k.free(a); k.free(b);
  console.log(`device copy: ${copyGBs.toFixed(0)} GB/s (1 GiB, read + write, median of 10, hrtime around synchronize)`);

  const flush = k.alloc(256 << 20);
  const thr = 0.03;
  for (const pixels of [100_000, 1_000_000]) {
    for (const C of [3, 32]) {
      const n = pixels * C;
      const rand = prng(pixels + C);
      const base = new Float32Array(n);
      for (let i = 0; i < n; i++) base[i] = rand() * 2 - 1;
      const hB = k.alloc(n * 4), hP = k.alloc(n * 4), hX = k.alloc(n * 4), hI = k.alloc(pixels * 4), hD = k.alloc(n * 4), hC = k.alloc(4);
      k.upload(hP, base);
      for (const frac of [0, 0.02, 0.3, 1]) {
        const x = base.slice();
        for (let i = 0; i < n; i++) x[i] += (rand() * 2 - 1) * thr * 0.5;  // noise below the threshold everywhere
        for (let p = 0; p < pixels; p++) if (frac === 1 || rand() < frac) x[p * C + Math.floor(rand() * C)] += 0.5;
        k.upload(hX, x);
        k.copy(hB, 0, hP, 0, n * 4);
        const count = k.sparsify(hB, hX, pixels, C, thr, hI, hD, hC, 0, true)!;
        const row: Record<string, unknown> = {pixels, channels: C, changed: frac, active: count};
        for (const [name, fl] of [['cold', flush], ['warm', 0]] as const) {
          const t = k.timeSparsify(hB, hX, pixels, C, thr, hI, hD, hC, 0, hP, reps, fl);
          const us = median(t);
          const bytes = 8 * n + count * (8 * C + 4);
          row[`${name}_us`] = Number(us.toFixed(2));
          row[`${name}_GBs`] = Number((bytes / us / 1e3).toFixed(0));
          row[`${name}_of_copy`] = Number((bytes / us / 1e3 / copyGBs).toFixed(2));
        }
        // Host path: one call through Node-API + synchronize (warm), median of 200.
        const ht: number[] = [];
        for (let r = 0; r < 200; r++) {
          k.copy(hB, 0, hP, 0, n * 4); k.synchronize();
          const t0 = process.hrtime.bigint();
          k.sparsify(hB, hX, pixels, C, thr, hI, hD, hC, 0, false); k.synchronize();
          ht.push(Number(process.hrtime.bigint() - t0) / 1e3);
        }
        row.host_call_sync_us = Number(median(ht).toFixed(1));
        row.bytes = 8 * n + count * (8 * C + 4);
        results.push(row);
        console.log(JSON.stringify(row));
      }
      for (const h of [hB, hP, hX, hI, hD, hC]) k.free(h);
    }
  }
  k.free(flush);
  // Fixed cost: 1 pixel, 1 channel.
  const h1 = k.alloc(4), h2 = k.alloc(4), h3 = k.alloc(4), h4 = k.alloc(4), h5 = k.alloc(4), h6 = k.alloc(4);
  k.upload(h2, new Float32Array([1]));
  const tiny = median(k.timeSparsify(h1, h2, 1, 1, thr, h3, h4, h5, 0, h6, 200, 0));
  console.log(`fixed cost (1 pixel): ${tiny.toFixed(2)} us (memset + launch, CUDA events)`);
  const doc = {
    what: 'sparsify kernel (kernels-cuda/sparsify.cu), median of CUDA-event-timed launches (count reset + kernel)',
    device: info.devices[0], driverVersion: info.driverVersion, runtimeVersion: info.runtimeVersion,
    build: k.buildInfo(), threshold: thr, reps,
    copy_GBs: Number(copyGBs.toFixed(0)), fixed_cost_us: Number(tiny.toFixed(2)), results,
  };
  if (out) writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  console.table(results.map((r) => ({px: r.pixels, C: r.channels, chg: r.changed, active: r.active,
    cold_us: r.cold_us, cold_GBs: r.cold_GBs, warm_us: r.warm_us, warm_GBs: r.warm_GBs, host_us: r.host_call_sync_us})));
}
main();
