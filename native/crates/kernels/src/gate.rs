//! The polynomial gate of SiLU and GELU (docs/model-format.md, `polyGate`).

use crate::dtype::Requant;

/// `g(x) = bias + sgn(x)·(a·(min(|x|, clip) − clip)² + b)`, y = requantize(x·g).
#[derive(Clone, Copy, Debug)]
pub struct PolyGate {
    pub clip: i64,
    pub a: i64,
    pub b: i64,
    pub bias: i64,
    pub requant: Requant,
}

impl PolyGate {
    /// The parameter bound every loaded model meets: |a|·clip² + |b| <= 2^30, clip in [1, 2^15].
    pub fn is_valid(&self) -> bool {
        (1..=1 << 15).contains(&self.clip)
            && [self.a, self.b, self.bias].iter().all(|v| (i32::MIN as i64..=i32::MAX as i64).contains(v))
            && self.a.abs() * self.clip * self.clip + self.b.abs() <= 1 << 30
            && self.requant.is_valid()
    }
}

/// x is int8 or int16 (checked at build) and the parameters valid, so |g| < 2^32 and |x·g| < 2^47
/// in i64. The product is requantized as an int32, i.e. mod 2^32 (libs/inference's Int32Array):
/// every loaded model proves |x·g| <= 2^31 − 1, where that is the exact product.
pub fn poly_gate(p: &PolyGate, x: &[i32]) -> Vec<i32> {
    x.iter()
        .map(|&v| {
            let v = v as i64;
            let t = v.abs().min(p.clip) - p.clip;
            let g = p.bias + v.signum() * (p.a * t * t + p.b);
            p.requant.apply((v * g) as i32)
        })
        .collect()
}
