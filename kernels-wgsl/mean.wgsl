// Mean over H,W of NHWC (global average pooling; gather family, gather.wgsl is appended). Two passes
// keep a step's work proportional to what changed, without an accumulator (no drift): `rows` recomputes
// the row sums sum_x float32(x / (H*W)) of the rows with a changed pixel (one workgroup per row,
// channels across invocations; the mark pass makes rows the candidates); then `main` (mode 2: every
// batch, skipped on the device when no row changed) sums each batch's rows: exact(b, c) below.
// Params (words): 8 H, 9 W. main's in0 = the row sums [N*H, C].

struct RowParams {
  rows: u32,       // N * H
  w: u32,
  channels: u32,
  dense: u32,      // 1: every row; 0: the candidate rows (counts[0])
  _unused: f32,
  plane: f32,      // H * W (each term is float32(x / plane), as tfjs-backend-cpu)
  _a: u32, _b: u32,
}

@group(0) @binding(20) var<uniform> mp: RowParams;
@group(0) @binding(21) var<storage, read> mx: array<f32>;
@group(0) @binding(22) var<storage, read_write> row_sums: array<f32>;
@group(0) @binding(23) var<storage, read> row_cand: array<u32>;
@group(0) @binding(24) var<storage, read_write> row_counts: array<atomic<u32>>;

var<workgroup> wg_rows: u32;

@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) {
    wg_rows = select(atomicLoad(&row_counts[0]), mp.rows, mp.dense == 1u);
  }
  let n = workgroupUniformLoad(&wg_rows);
  let C = mp.channels;
  for (var k = wid.x; k < n; k += nwg.x) {
    var row = k;
    if (mp.dense == 0u) {
      row = row_cand[k];
    }
    for (var c = lid; c < C; c += 64u) {
      var s = 0.0;
      for (var x = 0u; x < mp.w; x++) {
        s = s + mx[(row * mp.w + x) * C + c] / mp.plane;
      }
      row_sums[row * C + c] = s;
    }
  }
}

fn exact(op: u32, c: u32) -> f32 {
  let H = P(8);
  let C = P(1);
  var s = 0.0;
  for (var y = 0u; y < H; y++) {
    s = s + in0[(op * H + y) * C + c];
  }
  return s;
}

fn work(op: u32) -> u32 {
  return P(8);
}
