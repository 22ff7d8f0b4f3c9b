//! Rotary position embedding in fixed point, LLaMA's rotate-half pairing (docs/model-format.md,
//! `rope`).

use crate::dtype::DType;

/// The rotation's tables and output: `cos`/`sin` are `[positions][half]`.
pub struct Rope<'a> {
    pub shift: u32,
    pub dtype: DType,
    pub half: usize,
    pub cos: &'a [i16],
    pub sin: &'a [i16],
}

/// On `[H, T, 2·half]`, for `i < half`: `y_i = R(x_i·cos − x_{i+h}·sin)`,
/// `y_{i+h} = R(x_{i+h}·cos + x_i·sin)`, `R(v) = clamp(⌊(v + 2^(shift−1)) / 2^shift⌋)`, where cos
/// and sin are those of the row's position t. x is int8 or int16 and cos, sin int16, so
/// |v| <= 2^31 and v + 2^29 is exact in i64.
pub fn rope(p: &Rope, x: &[i32]) -> Vec<i32> {
    let (half, positions) = (p.half, p.cos.len() / p.half);
    let round = 1i64 << (p.shift - 1);
    let r = |v: i64| p.dtype.clamp((v + round) >> p.shift);
    let mut y = vec![0i32; x.len()];
    for (row, (xr, yr)) in x.chunks_exact(2 * half).zip(y.chunks_exact_mut(2 * half)).enumerate() {
        let t = row % positions;
        let (cos, sin) = (&p.cos[t * half..(t + 1) * half], &p.sin[t * half..(t + 1) * half]);
        let (x1, x2) = xr.split_at(half);
        let (y1, y2) = yr.split_at_mut(half);
        for i in 0..half {
            let (a, b, c, s) = (x1[i] as i64, x2[i] as i64, cos[i] as i64, sin[i] as i64);
            y1[i] = r(a * c - b * s);
            y2[i] = r(b * c + a * s);
        }
    }
    y
}
