//! circomlib's Poseidon (x^5, 8 full rounds, its partial round counts), evaluated with sparse
//! partial rounds: the same function as circomlibjs' reference, with about a quarter of its
//! multiplications for t = 17.
//!
//! Two exact rewrites of the reference rounds (`x ← M · S(x + c_r)`), both checked against
//! circomlibjs:
//! 1. Constants: in a partial round only `x_0` goes through the S-box, so `c_r[1..]` commutes
//!    with it and is pushed through `M` into the next round's constants. Each partial round then
//!    adds one scalar, and the remainder lands in the first full round after them.
//! 2. Matrices: with `A = diag(1, Â)` (which commutes with a partial S-box and with adding a
//!    scalar to `x_0`), a round's matrix `N` factors as `N = B · A`, `B = [[n00, ŵ], [v, I]]`
//!    sparse; `A` moves into the previous round's matrix (`A · M`), which is factored again. The
//!    first partial round's `A` ends up in the last full round before them.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{Field, Zero};

use crate::grain;
use crate::PoseidonError;

/// Full rounds of every width (circomlib's `N_ROUNDS_F`).
const FULL_ROUNDS: usize = 8;
/// Partial rounds for t = 2..=17 (circomlib's `N_ROUNDS_P`).
const PARTIAL_ROUNDS: [usize; 16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
/// Most inputs of one hash (t = 17).
pub const MAX_INPUTS: usize = 16;

/// One sparse partial-round matrix `[[n00, w], [v, I]]`: its first row `[n00, w]` and `v`.
struct Sparse {
    row0: Vec<Fr>,
    v: Vec<Fr>,
}

/// Everything one width needs, derived once.
struct Params {
    /// Constants of the R_F full rounds (the first after the partial rounds carries their remainder).
    full_constants: Vec<Vec<Fr>>,
    mds: Vec<Vec<Fr>>,
    /// `A · M` for the last full round before the partial rounds.
    pre_sparse: Vec<Vec<Fr>>,
    partial_constants: Vec<Fr>,
    sparse: Vec<Sparse>,
}

fn mat_vec(m: &[Vec<Fr>], x: &[Fr]) -> Vec<Fr> {
    m.iter().map(|row| row.iter().zip(x).map(|(a, b)| *a * b).sum()).collect()
}

fn mat_mul(a: &[Vec<Fr>], b: &[Vec<Fr>]) -> Vec<Vec<Fr>> {
    let n = b[0].len();
    a.iter()
        .map(|row| (0..n).map(|j| row.iter().zip(b).map(|(x, brow)| *x * brow[j]).sum()).collect())
        .collect()
}

/// Gauss-Jordan inverse; every matrix inverted here is a product of MDS submatrices, so invertible.
fn invert(m: &[Vec<Fr>]) -> Vec<Vec<Fr>> {
    let n = m.len();
    let mut a: Vec<Vec<Fr>> = m.to_vec();
    let mut inv: Vec<Vec<Fr>> =
        (0..n).map(|i| (0..n).map(|j| if i == j { Fr::from(1u64) } else { Fr::zero() }).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !a[r][col].is_zero()).expect("MDS submatrices are invertible");
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let scale = a[col][col].inverse().expect("pivot is non-zero");
        for j in 0..n {
            a[col][j] *= scale;
            inv[col][j] *= scale;
        }
        for r in 0..n {
            if r != col && !a[r][col].is_zero() {
                let f = a[r][col];
                for j in 0..n {
                    let (ac, ic) = (a[col][j], inv[col][j]);
                    a[r][j] -= f * ac;
                    inv[r][j] -= f * ic;
                }
            }
        }
    }
    inv
}

impl Params {
    fn derive(t: usize) -> Self {
        let rp = PARTIAL_ROUNDS[t - 2];
        let half = FULL_ROUNDS / 2;
        let (flat, mds) = grain::constants(t, FULL_ROUNDS, rp);
        let mut rounds: Vec<Vec<Fr>> = flat.chunks(t).map(<[Fr]>::to_vec).collect();

        // 1. Push each partial round's constants but the first through M into the next round.
        let mut partial_constants = Vec::with_capacity(rp);
        for r in half..half + rp {
            let mut rest = rounds[r].clone();
            partial_constants.push(rest[0]);
            rest[0] = Fr::zero();
            let carried = mat_vec(&mds, &rest);
            for (c, d) in rounds[r + 1].iter_mut().zip(carried) {
                *c += d;
            }
        }

        // 2. Factor the partial rounds' matrices from the last one back.
        let mut sparse = Vec::with_capacity(rp);
        let mut n = mds.clone();
        for _ in 0..rp {
            let hat: Vec<Vec<Fr>> = n[1..].iter().map(|row| row[1..].to_vec()).collect();
            let hat_inv = invert(&hat);
            // w = n0* · Â^-1 (a row vector)
            let w = (0..t - 1).map(|j| (0..t - 1).map(|k| n[0][k + 1] * hat_inv[k][j]).sum::<Fr>());
            let row0 = std::iter::once(n[0][0]).chain(w).collect();
            let v = n[1..].iter().map(|row| row[0]).collect();
            sparse.push(Sparse { row0, v });
            // A = diag(1, Â); the previous round's matrix becomes A · M.
            let mut a = vec![vec![Fr::zero(); t]; t];
            a[0][0] = Fr::from(1u64);
            for i in 1..t {
                a[i][1..].copy_from_slice(&hat[i - 1]);
            }
            n = mat_mul(&a, &mds);
        }
        sparse.reverse();

        let full_constants = rounds[..half].iter().chain(&rounds[half + rp..]).cloned().collect();
        Params { full_constants, mds, pre_sparse: n, partial_constants, sparse }
    }
}

fn params(t: usize) -> &'static Params {
    static ALL: [OnceLock<Params>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    ALL[t - 2].get_or_init(|| Params::derive(t))
}

#[inline(always)]
fn pow5(x: &mut Fr) {
    let mut y = x.square();
    y.square_in_place();
    *x *= y;
}

/// A row of a width-T matrix as an array (the rows were built with T entries).
#[inline(always)]
fn row<const T: usize>(r: &[Fr]) -> &[Fr; T] {
    r.try_into().expect("rows have t entries")
}

/// `m · state`, each entry one `sum_of_products` (Montgomery reduction deferred where the
/// modulus leaves spare bits, as BN254's does).
#[inline(always)]
fn mix<const T: usize>(m: &[Vec<Fr>], state: &mut [Fr; T]) {
    let x = *state;
    for (out, r) in state.iter_mut().zip(m) {
        *out = Fr::sum_of_products(row::<T>(r), &x);
    }
}

fn permute<const T: usize>(p: &Params, inputs: &[Fr]) -> Fr {
    let mut state = [Fr::zero(); T];
    state[1..].copy_from_slice(inputs);
    let half = FULL_ROUNDS / 2;
    let full = |state: &mut [Fr; T], r: usize, m: &[Vec<Fr>]| {
        for (x, c) in state.iter_mut().zip(&p.full_constants[r]) {
            *x += c;
            pow5(x);
        }
        mix(m, state);
    };
    for r in 0..half {
        full(&mut state, r, if r == half - 1 { &p.pre_sparse } else { &p.mds });
    }
    for (c, s) in p.partial_constants.iter().zip(&p.sparse) {
        state[0] += c;
        pow5(&mut state[0]);
        let x0 = state[0];
        state[0] = Fr::sum_of_products(row::<T>(&s.row0), &state);
        for (x, v) in state[1..].iter_mut().zip(&s.v) {
            *x += *v * x0;
        }
    }
    for r in half..FULL_ROUNDS {
        full(&mut state, r, &p.mds);
    }
    state[0]
}

/// circomlibjs' `poseidon(inputs)` (initial state 0, one output) for 1..=16 inputs.
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let t = inputs.len() + 1;
    let p = match t {
        2..=17 => params(t),
        _ => return Err(PoseidonError::Width(inputs.len())),
    };
    macro_rules! widths {
        ($($w:literal)*) => {
            match t {
                $($w => permute::<$w>(p, inputs),)*
                _ => unreachable!("t is 2..=17"),
            }
        };
    }
    Ok(widths!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17))
}

/// The unoptimised rounds, exactly as circomlibjs' reference writes them (tests only).
#[doc(hidden)]
pub fn hash_reference(inputs: &[Fr]) -> Fr {
    let t = inputs.len() + 1;
    let rp = PARTIAL_ROUNDS[t - 2];
    let (c, m) = grain::constants(t, FULL_ROUNDS, rp);
    let mut state: Vec<Fr> = std::iter::once(Fr::zero()).chain(inputs.iter().copied()).collect();
    for r in 0..FULL_ROUNDS + rp {
        for (i, x) in state.iter_mut().enumerate() {
            *x += c[r * t + i];
        }
        if r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + rp {
            state.iter_mut().for_each(pow5);
        } else {
            pow5(&mut state[0]);
        }
        state = mat_vec(&m, &state);
    }
    state[0]
}
