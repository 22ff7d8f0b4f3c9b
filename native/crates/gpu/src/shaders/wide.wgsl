// Exact 64-bit integers from 32-bit ones (WGSL core has no i64): a value is vec2<u32>(lo, hi),
// two's complement. Every kernel that needs more than 32 bits (requantization products, sums of
// squares, divisions, square roots) goes through these; nothing here touches a float.

fn w_from_i32(a: i32) -> vec2<u32> {
  return vec2<u32>(bitcast<u32>(a), select(0u, 0xffffffffu, a < 0));
}

fn w_from_u32(a: u32) -> vec2<u32> {
  return vec2<u32>(a, 0u);
}

fn w_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn w_neg(a: vec2<u32>) -> vec2<u32> {
  let lo = ~a.x + 1u;
  return vec2<u32>(lo, ~a.y + select(0u, 1u, lo == 0u));
}

fn w_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return w_add(a, w_neg(b));
}

fn w_is_neg(a: vec2<u32>) -> bool {
  return (a.y >> 31u) == 1u;
}

/// Signed a < b.
fn w_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  let ah = bitcast<i32>(a.y);
  let bh = bitcast<i32>(b.y);
  if (ah != bh) {
    return ah < bh;
  }
  return a.x < b.x;
}

/// Unsigned a < b.
fn u_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  if (a.y != b.y) {
    return a.y < b.y;
  }
  return a.x < b.x;
}

/// Unsigned 32 x 32 -> 64, by 16-bit halves (each partial product fits 32 bits).
fn u_mul(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(lo, hi);
}

/// |a| as u32 (exact for i32's minimum too).
fn abs_u(a: i32) -> u32 {
  let u = bitcast<u32>(a);
  return select(u, ~u + 1u, a < 0);
}

/// |a| of a 64-bit value (exact below 2^63 in magnitude).
fn w_abs(a: vec2<u32>) -> vec2<u32> {
  return select(a, w_neg(a), w_is_neg(a));
}

/// Signed 32 x 32 -> 64.
fn w_mul_i32(a: i32, b: i32) -> vec2<u32> {
  let m = u_mul(abs_u(a), abs_u(b));
  return select(m, w_neg(m), (a < 0) != (b < 0));
}

/// Signed 64 x 32 -> 64, for products known to stay below 2^63 in magnitude.
fn w_mul_w_i32(a: vec2<u32>, b: i32) -> vec2<u32> {
  let m = w_abs(a);
  let bu = abs_u(b);
  var p = u_mul(m.x, bu);
  p.y = p.y + m.y * bu;
  return select(p, w_neg(p), w_is_neg(a) != (b < 0));
}

/// a << s, s in [0, 63].
fn w_shl(a: vec2<u32>, s: u32) -> vec2<u32> {
  if (s == 0u) {
    return a;
  }
  if (s < 32u) {
    return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
  }
  return vec2<u32>(0u, a.x << (s - 32u));
}

/// a >> s, arithmetic (a floor division by 2^s), s in [0, 63].
fn w_sar(a: vec2<u32>, s: u32) -> vec2<u32> {
  if (s == 0u) {
    return a;
  }
  let hi = bitcast<i32>(a.y);
  if (s < 32u) {
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), bitcast<u32>(hi >> s));
  }
  return vec2<u32>(bitcast<u32>(hi >> (s - 32u)), bitcast<u32>(hi >> 31u));
}

/// a >> s, logical, s in [0, 63].
fn u_shr(a: vec2<u32>, s: u32) -> vec2<u32> {
  if (s == 0u) {
    return a;
  }
  if (s < 32u) {
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
  }
  return vec2<u32>(a.y >> (s - 32u), 0u);
}

struct DivMod {
  q: vec2<u32>,
  r: vec2<u32>,
}

/// Unsigned n / d and n % d by long division (d > 0 and below 2^63).
fn u_divmod(n: vec2<u32>, d: vec2<u32>) -> DivMod {
  var q = vec2<u32>(0u, 0u);
  var r = vec2<u32>(0u, 0u);
  var top = 0u;
  if (n.y != 0u) {
    top = 63u - countLeadingZeros(n.y);
  } else if (n.x != 0u) {
    top = 31u - countLeadingZeros(n.x);
  } else {
    return DivMod(q, r);
  }
  for (var i = i32(top); i >= 0; i = i - 1) {
    let bit = select((n.x >> u32(i)) & 1u, (n.y >> u32(i - 32)) & 1u, i >= 32);
    r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
    if (!u_lt(r, d)) {
      r = w_sub(r, d);
      if (i >= 32) {
        q.y = q.y | (1u << u32(i - 32));
      } else {
        q.x = q.x | (1u << u32(i));
      }
    }
  }
  return DivMod(q, r);
}

/// floor(n / d) for signed n and 0 < d < 2^63 (Rust's div_euclid for a positive divisor).
fn w_floor_div(n: vec2<u32>, d: vec2<u32>) -> vec2<u32> {
  let dm = u_divmod(w_abs(n), d);
  if (!w_is_neg(n)) {
    return dm.q;
  }
  let up = select(0u, 1u, dm.r.x != 0u || dm.r.y != 0u);
  return w_neg(w_add(dm.q, vec2<u32>(up, 0u)));
}

/// floor(sqrt(m)) for m < 2^64, digit by digit.
fn u_isqrt(m_in: vec2<u32>) -> vec2<u32> {
  var m = m_in;
  var res = vec2<u32>(0u, 0u);
  var bit = vec2<u32>(0u, 1u << 30u);
  while (u_lt(m, bit)) {
    bit = u_shr(bit, 2u);
    if (bit.x == 0u && bit.y == 0u) {
      return res;
    }
  }
  loop {
    if (bit.x == 0u && bit.y == 0u) {
      break;
    }
    let t = w_add(res, bit);
    if (!u_lt(m, t)) {
      m = w_sub(m, t);
      res = w_add(u_shr(res, 1u), bit);
    } else {
      res = u_shr(res, 1u);
    }
    bit = u_shr(bit, 2u);
  }
  return res;
}

/// clamp(a, lo, hi) as i32 (lo <= hi).
fn w_clamp(a: vec2<u32>, lo: i32, hi: i32) -> i32 {
  if (w_lt(a, w_from_i32(lo))) {
    return lo;
  }
  if (w_lt(w_from_i32(hi), a)) {
    return hi;
  }
  return bitcast<i32>(a.x);
}

/// `clamp(floor((x * multiplier + 2^(shift-1)) / 2^shift) + zeroPoint)`: the rounding rule
/// (docs/model-format.md). multiplier in [1, 2^31 - 1], shift in [0, 62]: |p| < 2^62.
fn requantize_value(x: i32, multiplier: i32, shift: u32, zero_point: i32, lo: i32, hi: i32) -> i32 {
  var p = w_mul_i32(x, multiplier);
  if (shift > 0u) {
    p = w_sar(w_add(p, w_shl(vec2<u32>(1u, 0u), shift - 1u)), shift);
  }
  return w_clamp(w_add(p, w_from_i32(zero_point)), lo, hi);
}
