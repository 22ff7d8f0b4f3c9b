//! Moving heads in and out of the last axis, and argmax per row (docs/model-format.md).

/// `[T, H·hd]` to `[H, T, hd]`: `y[h][t][j] = x[t][h·hd + j]`.
pub fn split_heads(heads: usize, dim: usize, x: &[i32]) -> Vec<i32> {
    let hd = dim / heads;
    let mut y = Vec::with_capacity(x.len());
    for h in 0..heads {
        for row in x.chunks_exact(dim) {
            y.extend_from_slice(&row[h * hd..(h + 1) * hd]);
        }
    }
    y
}

/// `[H, T, hd]` to `[T, H·hd]`: `y[t][h·hd + j] = x[h][t][j]`.
pub fn merge_heads(heads: usize, t: usize, x: &[i32]) -> Vec<i32> {
    let hd = x.len() / (heads * t);
    let mut y = Vec::with_capacity(x.len());
    for row in 0..t {
        for h in 0..heads {
            let at = (h * t + row) * hd;
            y.extend_from_slice(&x[at..at + hd]);
        }
    }
    y
}

/// The index of the first maximum of each row of `n`.
pub fn argmax_rows(n: usize, x: &[i32]) -> Vec<i32> {
    x.chunks_exact(n).flat_map(crate::ops::argmax).collect()
}
