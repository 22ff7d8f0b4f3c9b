//! The kernels, each the same function as its namesake in libs/inference/src/ops.ts.
//!
//! Dense and conv2d accumulate with wrapping i32 arithmetic: libs/inference sums exactly (doubles,
//! |sum| < 2^53) and stores into an Int32Array (mod 2^32), and a wrapping sum equals the exact sum
//! mod 2^32, so the two agree for every model (validated models never wrap at all: their
//! accumulators stay below 2^31, analyze-model.ts).

use crate::dtype::Requantization;

pub fn dense(in_features: usize, out_features: usize, weights: &[i8], bias: &[i32], x: &[i32]) -> Vec<i32> {
    (0..out_features)
        .map(|o| {
            let row = &weights[o * in_features..(o + 1) * in_features];
            row.iter().zip(x).fold(bias[o], |acc, (w, v)| acc.wrapping_add((*w as i32).wrapping_mul(*v)))
        })
        .collect()
}

/// Shapes of a 2-D window op: input [c, h, w] and output [oc, oh, ow].
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

pub fn conv2d(g: &Geometry, out_channels: usize, weights: &[i8], bias: &[i32], x: &[i32]) -> Vec<i32> {
    let Geometry { c, h, w, oh, ow, kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw] } = *g;
    let mut y = vec![0i32; out_channels * oh * ow];
    for o in 0..out_channels {
        for oy in 0..oh {
            // Only the kernel rows and columns that land inside the input (padding reads 0).
            let top = (oy * sh) as isize - ph as isize;
            let ky0 = (-top).max(0) as usize;
            let ky1 = (h as isize - top).clamp(0, kh as isize) as usize;
            for ox in 0..ow {
                let left = (ox * sw) as isize - pw as isize;
                let kx0 = (-left).max(0) as usize;
                let kx1 = (w as isize - left).clamp(0, kw as isize) as usize;
                let mut acc = bias[o];
                if ky0 < ky1 && kx0 < kx1 {
                    for ci in 0..c {
                        for ky in ky0..ky1 {
                            let w_row = ((o * c + ci) * kh + ky) * kw;
                            let x_row = ((ci * h) as isize + top + ky as isize) as usize * w;
                            // kx0 >= -left, so the first column read is inside the row.
                            let x0 = (x_row as isize + left + kx0 as isize) as usize;
                            let ws = &weights[w_row + kx0..w_row + kx1];
                            let xs = &x[x0..x0 + (kx1 - kx0)];
                            for (wv, xv) in ws.iter().zip(xs) {
                                acc = acc.wrapping_add((*wv as i32).wrapping_mul(*xv));
                            }
                        }
                    }
                }
                y[(o * oh + oy) * ow + ox] = acc;
            }
        }
    }
    y
}

/// `shape`: x's, whose channel axis a per-channel scale follows.
pub fn requantize(x: &[i32], shape: &[usize], requant: &Requantization) -> Vec<i32> {
    crate::dtype::fused(x.to_vec(), shape, Some(requant))
}

pub fn relu(x: &[i32]) -> Vec<i32> {
    x.iter().map(|&v| v.max(0)).collect()
}

fn pool(g: &Geometry, x: &[i32], mut window: impl FnMut(&mut dyn Iterator<Item = i32>) -> i32) -> Vec<i32> {
    let Geometry { c, h, w, oh, ow, kernel: [kh, kw], stride: [sh, sw], .. } = *g;
    let mut y = Vec::with_capacity(c * oh * ow);
    for ci in 0..c {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut values = (0..kh).flat_map(|ky| {
                    let row = (ci * h + oy * sh + ky) * w + ox * sw;
                    x[row..row + kw].iter().copied()
                });
                y.push(window(&mut values));
            }
        }
    }
    y
}

/// Window maximum.
pub fn maxpool(g: &Geometry, x: &[i32]) -> Vec<i32> {
    pool(g, x, |values| values.max().unwrap_or(i32::MIN))
}

/// Window sum divided by the window size, rounded half up (`floor((sum + floor(n/2)) / n)`).
pub fn avgpool(g: &Geometry, x: &[i32]) -> Vec<i32> {
    let n = (g.kernel[0] * g.kernel[1]) as i64;
    pool(g, x, |values| {
        let sum: i64 = values.map(i64::from).sum();
        (sum + n / 2).div_euclid(n) as i32
    })
}

/// The index of the first maximum.
pub fn argmax(x: &[i32]) -> Vec<i32> {
    let mut best = 0;
    for (i, v) in x.iter().enumerate() {
        if *v > x[best] {
            best = i;
        }
    }
    vec![best as i32]
}
