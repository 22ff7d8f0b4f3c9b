//! RMSNorm and LayerNorm with an exact integer square root (docs/model-format.md, `rmsnorm`,
//! `layernorm`).

use crate::dtype::DType;

/// `⌊√m⌋` exactly, integers only (Newton's iteration from above: it decreases to the floor root).
pub fn isqrt(m: u64) -> u64 {
    if m < 2 {
        return m;
    }
    // A start above the root: 2^ceil(bits / 2) > √m.
    let bits = 64 - m.leading_zeros();
    let mut r = 1u64 << bits.div_ceil(2);
    loop {
        let next = (r + m / r) / 2;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// Per row of `dim`: `m = ⌊Σ x² / dim⌋ + eps`, `r = ⌊√m⌋`, `y = clamp(⌊(2·x·w + r) / (2r)⌋)`.
///
/// libs/inference's loader keeps Σ x² + eps and 2·max|x|·max|w| + r below 2^53 (docs/model-format.md);
/// x is int8 or int16 (checked at build), so even unchecked Σ x² <= dim · 2^30 < 2^63 for any dim a
/// slice can hold below 2^33, and |2·x·w + r| < 2^48: exact in i64. eps >= 1, so m >= 1 and r >= 1.
pub fn rmsnorm(dim: usize, weight: &[i32], eps: i64, dtype: DType, x: &[i32]) -> Vec<i32> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks_exact(dim) {
        let squares: i64 = row.iter().map(|v| *v as i64 * *v as i64).sum();
        let m = squares / dim as i64 + eps;
        let r = isqrt(m as u64) as i64;
        y.extend(
            row.iter()
                .zip(weight)
                .map(|(v, w)| dtype.clamp((2 * *v as i64 * *w as i64 + r).div_euclid(2 * r))),
        );
    }
    y
}

/// Per row of `dim`: `s = Σ x`, `c = dim·x − s`, `m = ⌊(dim·Σ x² − s²) / dim²⌋ + eps`, `r = ⌊√m⌋`,
/// `y = clamp(⌊(2·c·w + dim·r) / (2·dim·r)⌋ + bias)`.
///
/// libs/inference's loader keeps every term below 2^53; here they are i128, so the kernel is exact
/// on any int8/int16 row a model can hold (dim <= 2^22: dim·Σ x² and s² < 2^74, |2·c·w| < 2^70).
/// dim·Σ x² >= s² (Cauchy–Schwarz), so m >= eps >= 1 and r >= 1.
pub fn layernorm(dim: usize, weight: &[i32], bias: &[i32], eps: i64, dtype: DType, x: &[i32]) -> Vec<i32> {
    let d = dim as i128;
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks_exact(dim) {
        let s: i128 = row.iter().map(|v| *v as i128).sum();
        let squares: i128 = row.iter().map(|v| *v as i128 * *v as i128).sum();
        let m = (d * squares - s * s).div_euclid(d * d) + eps as i128;
        let r = isqrt(u64::try_from(m).unwrap_or(u64::MAX)) as i128;
        y.extend(row.iter().zip(weight).zip(bias).map(|((v, w), b)| {
            let q = (2 * (d * *v as i128 - s) * *w as i128 + d * r).div_euclid(2 * d * r) + *b as i128;
            dtype.clamp(q.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
        }));
    }
    y
}
