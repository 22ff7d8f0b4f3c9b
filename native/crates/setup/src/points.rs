//! Points as snarkjs stores and hashes them, and the weighted sums of phase 2: every key point is
//! Σ coefficient · (a powers-of-tau Lagrange point), the r1cs giving the coefficients.

use ark_bn254::{Fq, Fq2, Fr};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{AdditiveGroup, BigInt, PrimeField, Zero};
use rayon::prelude::*;

use crate::SetupError;

/// A coefficient, sorted by cost: circom's are mostly small integers or their negatives (a few
/// doublings and additions), the rest full scalars (GLV).
#[derive(Clone, Copy, Debug)]
pub enum Coef {
    Small { k: u64, negative: bool },
    Full(Fr),
}

impl Coef {
    /// From the r1cs' little-endian bytes, read as an integer mod r (as snarkjs' multiexp does:
    /// every point has order r).
    pub fn from_le(bytes: &[u8; 32]) -> Self {
        let c = Fr::from_le_bytes_mod_order(bytes);
        let small = |x: Fr| {
            let b = x.into_bigint();
            (b.0[1..].iter().all(|l| *l == 0)).then_some(b.0[0])
        };
        if let Some(k) = small(c) {
            Coef::Small { k, negative: false }
        } else if let Some(k) = small(-c) {
            Coef::Small { k, negative: true }
        } else {
            Coef::Full(c)
        }
    }

    pub const ONE: Coef = Coef::Small { k: 1, negative: false };

    pub fn times<P: SWCurveConfig<ScalarField = Fr>>(&self, base: &Affine<P>) -> Projective<P> {
        match *self {
            Coef::Small { k, negative } => {
                let mut acc = Projective::<P>::zero();
                for bit in (0..64 - k.leading_zeros()).rev() {
                    acc.double_in_place();
                    if (k >> bit) & 1 == 1 {
                        acc += base;
                    }
                }
                if negative {
                    -acc
                } else {
                    acc
                }
            }
            // Through the projective group: bn254's GLV (the affine default is double-and-add).
            Coef::Full(f) => base.into_group().mul_bigint(f.into_bigint()),
        }
    }
}

/// One term of a key point's sum: which base table, which point in it, which coefficient.
#[derive(Clone, Copy)]
pub struct Entry {
    pub table: u8,
    pub index: u32,
    pub coef: u32,
}

/// Σ coef·base per list, normalised (an empty list is the point at infinity, as snarkjs writes).
pub fn weighted_sums<P: SWCurveConfig<ScalarField = Fr>>(
    lists: &[Vec<Entry>],
    tables: &[&[Affine<P>]],
    coefs: &[Coef],
) -> Vec<Affine<P>> {
    let sums: Vec<Projective<P>> = lists
        .par_iter()
        .map(|list| {
            list.iter().fold(Projective::<P>::zero(), |acc, e| {
                acc + coefs[e.coef as usize].times(&tables[e.table as usize][e.index as usize])
            })
        })
        .collect();
    Projective::normalize_batch(&sums)
}

/// Every point times one scalar (the beacon's 1/delta), normalised.
pub fn scale<P: SWCurveConfig<ScalarField = Fr>>(points: &[Affine<P>], k: Fr) -> Vec<Affine<P>> {
    let k = k.into_bigint();
    let scaled: Vec<Projective<P>> = points.par_iter().map(|p| p.into_group().mul_bigint(k)).collect();
    Projective::normalize_batch(&scaled)
}

fn limbs(bytes: &[u8]) -> BigInt<4> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    BigInt::new(limbs)
}

/// An Fq from its Montgomery form's little-endian bytes; a value past the modulus is refused.
fn fq_lem(bytes: &[u8]) -> Result<Fq, SetupError> {
    let b = limbs(bytes);
    if b >= Fq::MODULUS {
        return Err(SetupError::Format("ptau: a coordinate is not below the field modulus".into()));
    }
    Ok(Fq::new_unchecked(b))
}

pub fn g1_from_lem(bytes: &[u8]) -> Result<Affine<ark_bn254::g1::Config>, SetupError> {
    if bytes[..64].iter().all(|b| *b == 0) {
        return Ok(Affine::identity());
    }
    let p = Affine::new_unchecked(fq_lem(&bytes[..32])?, fq_lem(&bytes[32..64])?);
    if !p.is_on_curve() {
        return Err(SetupError::Format("ptau: a G1 point is not on the curve".into()));
    }
    Ok(p)
}

pub fn g2_from_lem(bytes: &[u8]) -> Result<Affine<ark_bn254::g2::Config>, SetupError> {
    if bytes[..128].iter().all(|b| *b == 0) {
        return Ok(Affine::identity());
    }
    let x = Fq2::new(fq_lem(&bytes[..32])?, fq_lem(&bytes[32..64])?);
    let y = Fq2::new(fq_lem(&bytes[64..96])?, fq_lem(&bytes[96..128])?);
    let p = Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(SetupError::Format("ptau: a G2 point is not on the curve".into()));
    }
    Ok(p)
}

/// Decodes a run of LEM points in parallel.
pub fn decode_all<T: Send>(
    bytes: &[u8],
    size: usize,
    f: impl Fn(&[u8]) -> Result<T, SetupError> + Sync + Send,
) -> Result<Vec<T>, SetupError> {
    bytes.par_chunks_exact(size).map(f).collect()
}
