// The integer kernels of native/crates/kernels (and libs/inference) as WGSL compute shaders, one
// entry point per op. Every dispatch runs a batch: invocation i is task b = i / per, item
// j = i % per of that task (an output element, or a row for the ops that reduce along one), and
// it reads and writes only task b's part of each buffer, in the same order whatever the batch:
// the bits of a task never depend on the batch size, the workgroup size or the scheduling.
// int32 sums and products wrap (as the CPU kernels' do); wider values use wide.wgsl.

// P: the layer's parameters (u32 words). 0 x_len, 1 y_len, 2 s_len, 3 per (items per task);
// 8..15 a requantization: 8 on, 9 zeroPoint, 10 lo, 11 hi, 12 channels, 13 inner, 14 the offset
// of its (multiplier, shift) pairs in A; 16.. the op's own.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<i32>;
@group(0) @binding(2) var<storage, read> S: array<i32>;
// int8 weights, four to a word (little-endian).
@group(0) @binding(3) var<storage, read> W: array<u32>;
// Biases, requantization scales, norm weights, rope and softmax tables.
@group(0) @binding(4) var<storage, read> A: array<i32>;
@group(0) @binding(5) var<storage, read_write> Y: array<i32>;
struct Run {
  batch: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}
@group(0) @binding(6) var<uniform> R: Run;
// F[0] != 0: an embedding met a token id outside its vocabulary (the CPU then gives the error).
@group(0) @binding(7) var<storage, read_write> F: array<atomic<u32>>;

// Invocations per workgroup, set when the pipelines are made (GpuOptions::workgroup). Each
// invocation computes its own element or row alone, so no result depends on it (exact.rs runs 1,
// 7, 64 and 256).
override WG: u32 = 64u;

struct Item {
  b: u32,
  j: u32,
  ok: bool,
}

fn item(gid: vec3<u32>, nwg: vec3<u32>) -> Item {
  let i = gid.x + gid.y * nwg.x * WG;
  let per = P[3];
  if (per == 0u || i >= R.batch * per) {
    return Item(0u, 0u, false);
  }
  return Item(i / per, i % per, true);
}

fn pi(k: u32) -> i32 {
  return bitcast<i32>(P[k]);
}

fn w8(idx: u32) -> i32 {
  return extractBits(bitcast<i32>(W[idx >> 2u]), (idx & 3u) * 8u, 8u);
}

/// The layer's requantization of element j (of the shape it was built for), if it has one.
fn fused(v: i32, j: u32) -> i32 {
  if (P[8] == 0u) {
    return v;
  }
  let c = (j / P[13]) % P[12];
  let at = P[14] + 2u * c;
  return requantize_value(v, A[at], u32(A[at + 1u]), pi(9), pi(10), pi(11));
}

// 16 in, 17 out, 18 bias offset. Each row of [T, in] (or the one row).
@compute @workgroup_size(WG)
fn dense(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let n = P[16];
  let m = P[17];
  let t = it.j / m;
  let o = it.j % m;
  var acc = A[P[18] + o];
  let xo = it.b * P[0] + t * n;
  let wo = o * n;
  for (var k = 0u; k < n; k = k + 1u) {
    acc = acc + w8(wo + k) * X[xo + k];
  }
  Y[it.b * P[1] + it.j] = fused(acc, it.j);
}

// 16 c, 17 h, 18 w, 19 oh, 20 ow, 21 kh, 22 kw, 23 sh, 24 sw, 25 ph, 26 pw, 27 bias offset.
@compute @workgroup_size(WG)
fn conv2d(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let c = P[16];
  let h = i32(P[17]);
  let w = i32(P[18]);
  let oh = P[19];
  let ow = P[20];
  let kh = P[21];
  let kw = P[22];
  let o = it.j / (oh * ow);
  let rem = it.j % (oh * ow);
  let top = i32((rem / ow) * P[23]) - i32(P[25]);
  let left = i32((rem % ow) * P[24]) - i32(P[26]);
  var acc = A[P[27] + o];
  let xb = it.b * P[0];
  for (var ci = 0u; ci < c; ci = ci + 1u) {
    for (var ky = 0u; ky < kh; ky = ky + 1u) {
      let yy = top + i32(ky);
      if (yy < 0 || yy >= h) {
        continue;
      }
      for (var kx = 0u; kx < kw; kx = kx + 1u) {
        let xx = left + i32(kx);
        if (xx < 0 || xx >= w) {
          continue;
        }
        let wv = w8(((o * c + ci) * kh + ky) * kw + kx);
        acc = acc + wv * X[xb + (ci * u32(h) + u32(yy)) * u32(w) + u32(xx)];
      }
    }
  }
  Y[it.b * P[1] + it.j] = acc;
}

// A requantize layer (P[8] is set).
@compute @workgroup_size(WG)
fn requantize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  Y[it.b * P[1] + it.j] = fused(X[it.b * P[0] + it.j], it.j);
}

@compute @workgroup_size(WG)
fn relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  Y[it.b * P[1] + it.j] = max(X[it.b * P[0] + it.j], 0);
}

// Pools: 16 c, 17 h, 18 w, 19 oh, 20 ow, 21 kh, 22 kw, 23 sh, 24 sw. Returns the window's first
// element's index in X.
fn window(b: u32, j: u32) -> u32 {
  let oh = P[19];
  let ow = P[20];
  let ci = j / (oh * ow);
  let rem = j % (oh * ow);
  return b * P[0] + (ci * P[17] + (rem / ow) * P[23]) * P[18] + (rem % ow) * P[24];
}

@compute @workgroup_size(WG)
fn maxpool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let at = window(it.b, it.j);
  var best = X[at];
  for (var ky = 0u; ky < P[21]; ky = ky + 1u) {
    for (var kx = 0u; kx < P[22]; kx = kx + 1u) {
      best = max(best, X[at + ky * P[18] + kx]);
    }
  }
  Y[it.b * P[1] + it.j] = best;
}

/// floor((sum + floor(n / 2)) / n) with the sum in 64 bits.
@compute @workgroup_size(WG)
fn avgpool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let at = window(it.b, it.j);
  let n = P[21] * P[22];
  var sum = vec2<u32>(0u, 0u);
  for (var ky = 0u; ky < P[21]; ky = ky + 1u) {
    for (var kx = 0u; kx < P[22]; kx = kx + 1u) {
      sum = w_add(sum, w_from_i32(X[at + ky * P[18] + kx]));
    }
  }
  let q = w_floor_div(w_add(sum, w_from_u32(n / 2u)), w_from_u32(n));
  Y[it.b * P[1] + it.j] = bitcast<i32>(q.x);
}

// 16 n: the index of the first maximum of each row of n (v1: one row, the whole tensor).
@compute @workgroup_size(WG)
fn argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let n = P[16];
  let xo = it.b * P[0] + it.j * n;
  var best = 0u;
  for (var k = 1u; k < n; k = k + 1u) {
    if (X[xo + k] > X[xo + best]) {
      best = k;
    }
  }
  Y[it.b * P[1] + it.j] = i32(best);
}

// 16 vocab, 17 dim.
@compute @workgroup_size(WG)
fn embedding(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let dim = P[17];
  let id = X[it.b * P[0] + it.j / dim];
  if (id < 0 || u32(id) >= P[16]) {
    atomicOr(&F[0], 1u);
    Y[it.b * P[1] + it.j] = 0;
    return;
  }
  Y[it.b * P[1] + it.j] = w8(u32(id) * dim + it.j % dim);
}

// 16 heads, 17 m, 18 k, 19 n, 20 transposeB: [heads, m, k] x [heads, k, n] ([heads, n, k]).
@compute @workgroup_size(WG)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let m = P[17];
  let k = P[18];
  let n = P[19];
  let h = it.j / (m * n);
  let r = it.j % (m * n);
  let xo = it.b * P[0] + (h * m + r / n) * k;
  let so = it.b * P[2] + h * k * n;
  let col = r % n;
  var acc = 0;
  if (P[20] != 0u) {
    for (var q = 0u; q < k; q = q + 1u) {
      acc = acc + X[xo + q] * S[so + col * k + q];
    }
  } else {
    for (var q = 0u; q < k; q = q + 1u) {
      acc = acc + X[xo + q] * S[so + q * n + col];
    }
  }
  Y[it.b * P[1] + it.j] = fused(acc, it.j);
}

// 16: 0 add, 1 mul (element-wise with the slot's tensor).
@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let a = X[it.b * P[0] + it.j];
  let s = S[it.b * P[2] + it.j];
  Y[it.b * P[1] + it.j] = fused(select(a + s, a * s, P[16] == 1u), it.j);
}

fn square_u(v: i32) -> vec2<u32> {
  let a = abs_u(v);
  return u_mul(a, a);
}

// rmsnorm, per row: 16 dim, 17/18 eps (lo, hi), 19 lo, 20 hi, 21 weight offset.
@compute @workgroup_size(WG)
fn rmsnorm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let dim = P[16];
  let xo = it.b * P[0] + it.j * dim;
  let yo = it.b * P[1] + it.j * dim;
  var squares = vec2<u32>(0u, 0u);
  for (var k = 0u; k < dim; k = k + 1u) {
    squares = w_add(squares, square_u(X[xo + k]));
  }
  let m = w_add(u_divmod(squares, w_from_u32(dim)).q, vec2<u32>(P[17], P[18]));
  let r = u_isqrt(m);
  let den = w_shl(r, 1u);
  for (var k = 0u; k < dim; k = k + 1u) {
    let num = w_add(w_shl(w_mul_i32(X[xo + k], A[P[21] + k]), 1u), r);
    Y[yo + k] = w_clamp(w_floor_div(num, den), pi(19), pi(20));
  }
}

// layernorm, per row: 16 dim, 17/18 eps, 19 lo, 20 hi, 21 weight offset, 22 bias offset.
// m = floor((d·Q − s²) / d²) + eps without 128 bits: with s = d·a + b (0 <= b < d) and
// u = Q − d·a² − 2·a·b = d·c + e (0 <= e < d), d·Q − s² = d·u − b², so m = c − [d·e < b²] + eps.
@compute @workgroup_size(WG)
fn layernorm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let dim = P[16];
  let d = w_from_u32(dim);
  let xo = it.b * P[0] + it.j * dim;
  let yo = it.b * P[1] + it.j * dim;
  var s = vec2<u32>(0u, 0u);
  var squares = vec2<u32>(0u, 0u);
  for (var k = 0u; k < dim; k = k + 1u) {
    let v = X[xo + k];
    s = w_add(s, w_from_i32(v));
    squares = w_add(squares, square_u(v));
  }
  let a = bitcast<i32>(w_floor_div(s, d).x);
  let b = w_sub(s, w_mul_i32(a, i32(dim))).x;
  let u = w_sub(w_sub(squares, u_mul(dim, abs_u(a) * abs_u(a))), w_shl(w_mul_i32(a, i32(b)), 1u));
  let ce = u_divmod(u, d);
  var m = ce.q;
  if (u_lt(u_mul(dim, ce.r.x), u_mul(b, b))) {
    m = w_sub(m, vec2<u32>(1u, 0u));
  }
  m = w_add(m, vec2<u32>(P[17], P[18]));
  let r = u_isqrt(m);
  let dr = u_mul(dim, r.x);
  let den = w_shl(dr, 1u);
  for (var k = 0u; k < dim; k = k + 1u) {
    let c = w_sub(w_mul_i32(i32(dim), X[xo + k]), s);
    let num = w_add(w_shl(w_mul_w_i32(c, A[P[21] + k]), 1u), dr);
    let q = w_add(w_floor_div(num, den), w_from_i32(A[P[22] + k]));
    Y[yo + k] = w_clamp(q, pi(19), pi(20));
  }
}

// rope on [H, positions, 2·half], per pair: 16 shift, 17 lo, 18 hi, 19 half, 20 positions,
// 21 cos offset, 22 sin offset.
fn rope_round(v: vec2<u32>) -> i32 {
  let shift = P[16];
  return w_clamp(w_sar(w_add(v, w_shl(vec2<u32>(1u, 0u), shift - 1u)), shift), pi(17), pi(18));
}

@compute @workgroup_size(WG)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let half = P[19];
  let row = it.j / half;
  let i = it.j % half;
  let t = row % P[20];
  let at = row * 2u * half + i;
  let a = X[it.b * P[0] + at];
  let b = X[it.b * P[0] + at + half];
  let c = A[P[21] + t * half + i];
  let s = A[P[22] + t * half + i];
  // |x|, |cos|, |sin| <= 2^15: each product fits 32 bits, their sum or difference 33.
  Y[it.b * P[1] + at] = rope_round(w_sub(w_from_i32(a * c), w_from_i32(b * s)));
  Y[it.b * P[1] + at + half] = rope_round(w_add(w_from_i32(b * c), w_from_i32(a * s)));
}

// softmax, per row of n: 16 m, 17 n, 18 causal, 19 fracBits, 20 table offset.
fn softmax_e(mx: i32, v: i32) -> u32 {
  let d = u32(mx - v);
  let z = d >> P[19];
  if (z > 15u) {
    return 0u;
  }
  return u32(A[P[20] + (d & ((1u << P[19]) - 1u))]) >> z;
}

@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let n = P[17];
  let xo = it.b * P[0] + it.j * n;
  let yo = it.b * P[1] + it.j * n;
  var valid = n;
  if (P[18] != 0u) {
    valid = it.j % P[16] + 1u;
  }
  var mx = X[xo];
  for (var c = 1u; c < valid; c = c + 1u) {
    mx = max(mx, X[xo + c]);
  }
  var sum = vec2<u32>(0u, 0u);
  for (var c = 0u; c < valid; c = c + 1u) {
    sum = w_add(sum, w_from_u32(softmax_e(mx, X[xo + c])));
  }
  let den = w_shl(sum, 1u);
  for (var c = 0u; c < n; c = c + 1u) {
    if (c < valid) {
      let num = w_add(w_from_u32(510u * softmax_e(mx, X[xo + c])), sum);
      Y[yo + c] = bitcast<i32>(u_divmod(num, den).q.x);
    } else {
      Y[yo + c] = 0;
    }
  }
}

// polyGate: 16 clip, 17 a, 18 b, 19 bias, and a requantization. x·g is taken mod 2^32, as the
// CPU kernels take it (wrapping i32 arithmetic gives exactly that).
@compute @workgroup_size(WG)
fn poly_gate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let v = X[it.b * P[0] + it.j];
  let clip = pi(16);
  let t = min(abs(v), clip) - clip;
  let g = pi(19) + sign(v) * (pi(17) * t * t + pi(18));
  Y[it.b * P[1] + it.j] = fused(v * g, it.j);
}

// [T, H·hd] to [H, T, hd]: 16 heads, 17 dim.
@compute @workgroup_size(WG)
fn split_heads(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let dim = P[17];
  let hd = dim / P[16];
  let t_len = P[0] / dim;
  let h = it.j / (t_len * hd);
  let t = (it.j / hd) % t_len;
  Y[it.b * P[1] + it.j] = X[it.b * P[0] + t * dim + h * hd + it.j % hd];
}

// [H, T, hd] to [T, H·hd]: 16 heads, 17 T.
@compute @workgroup_size(WG)
fn merge_heads(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let it = item(gid, nwg);
  if (!it.ok) {
    return;
  }
  let heads = P[16];
  let t_len = P[17];
  let hd = P[0] / (heads * t_len);
  let t = it.j / (heads * hd);
  let r = it.j % (heads * hd);
  Y[it.b * P[1] + it.j] = X[it.b * P[0] + ((r / hd) * t_len + t) * hd + r % hd];
}
