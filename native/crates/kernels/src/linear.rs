//! The v2 linear ops: embedding, dense per row, matmul of two activations, element-wise add and
//! mul (docs/model-format.md, "Transformer extension").
//!
//! Sums and products wrap in i32, as v1's dense does (ops.rs): the wrapped result is the exact
//! result mod 2^32, which is the exact result for every loaded model (the loader proves each of
//! these within a signed 32-bit integer, partial sums included) and never a panic for any other.

use crate::ops;

/// `y[t][j] = W[x[t]][j]`; `Err(t)` names the first position whose id is outside the vocabulary.
pub fn embedding(vocab: usize, dim: usize, weights: &[i8], x: &[i32]) -> Result<Vec<i32>, usize> {
    let mut y = Vec::with_capacity(x.len() * dim);
    for (t, &id) in x.iter().enumerate() {
        let id = usize::try_from(id).ok().filter(|id| *id < vocab).ok_or(t)?;
        y.extend(weights[id * dim..(id + 1) * dim].iter().map(|w| *w as i32));
    }
    Ok(y)
}

/// v1's dense applied to each row of `[T, in]` (or the one row of `[in]`).
pub fn dense_rows(
    in_features: usize,
    out_features: usize,
    weights: &[i8],
    bias: &[i32],
    x: &[i32],
) -> Vec<i32> {
    x.chunks_exact(in_features)
        .flat_map(|row| ops::dense(in_features, out_features, weights, bias, row))
        .collect()
}

/// Shapes of a matmul: `[heads, m, k] x [heads, k, n]` (`[heads, n, k]` transposed).
#[derive(Clone, Copy, Debug)]
pub struct MatMulShape {
    pub heads: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub transpose_b: bool,
}

/// `y[h][i][j] = Σ_k x[h][i][k] · s[h][k][j]` (`s[h][j][k]` when transposed).
pub fn matmul(g: &MatMulShape, x: &[i32], s: &[i32]) -> Vec<i32> {
    let MatMulShape { heads, m, k, n, transpose_b } = *g;
    let mut y = vec![0i32; heads * m * n];
    for h in 0..heads {
        let (xh, sh) = (&x[h * m * k..(h + 1) * m * k], &s[h * k * n..(h + 1) * k * n]);
        let yh = &mut y[h * m * n..(h + 1) * m * n];
        for (xrow, yrow) in xh.chunks_exact(k).zip(yh.chunks_exact_mut(n)) {
            if transpose_b {
                for (yv, srow) in yrow.iter_mut().zip(sh.chunks_exact(k)) {
                    *yv = xrow.iter().zip(srow).fold(0i32, |a, (p, q)| a.wrapping_add(p.wrapping_mul(*q)));
                }
            } else {
                // Row by row of s: contiguous reads, and the compiler vectorises the inner loop.
                for (xv, srow) in xrow.iter().zip(sh.chunks_exact(n)) {
                    for (yv, sv) in yrow.iter_mut().zip(srow) {
                        *yv = yv.wrapping_add(xv.wrapping_mul(*sv));
                    }
                }
            }
        }
    }
    y
}

pub fn add(x: &[i32], s: &[i32]) -> Vec<i32> {
    x.iter().zip(s).map(|(a, b)| a.wrapping_add(*b)).collect()
}

pub fn mul(x: &[i32], s: &[i32]) -> Vec<i32> {
    x.iter().zip(s).map(|(a, b)| a.wrapping_mul(*b)).collect()
}
