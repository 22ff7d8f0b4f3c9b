//! snarkjs' Groth16 proving key (.zkey), read once into arkworks types.
//!
//! Layout (snarkjs src/zkey_utils.js, zkey_new.js): section 1 the protocol (1 = Groth16); 2 the
//! curve's moduli, nVars, nPublic, domainSize and the verification key's points; 3 IC (nPublic+1
//! G1); 4 the A and B matrices' coefficients; 5 A, 6 B1 (G1), 7 B2 (G2), 8 C (G1, private wires
//! only), 9 H (domainSize G1, the Lagrange basis on the odd coset of the 2n-th roots). Points are
//! affine, each coordinate in Montgomery form little-endian (ffjavascript's `toRprLEM`), the point
//! at infinity all zeros. Coefficients are stored as c·R² mod r (so that one Montgomery product
//! with a witness value in standard form lands in Montgomery form).

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ff::{BigInt, PrimeField};
use rayon::prelude::*;

use crate::binfile::{BinFile, Reader};
use crate::error::{ProverError, Result};

/// One non-zero entry of the A (matrix 0) or B (matrix 1) constraint matrix.
#[derive(Clone, Copy, Debug)]
pub struct Coeff {
    pub constraint: u32,
    pub signal: u32,
    pub value: Fr,
}

/// A loaded proving key: parse once, prove many times.
pub struct ProvingKey {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub alpha_g1: G1Affine,
    pub beta_g1: G1Affine,
    pub beta_g2: G2Affine,
    pub gamma_g2: G2Affine,
    pub delta_g1: G1Affine,
    pub delta_g2: G2Affine,
    pub ic: Vec<G1Affine>,
    pub a_coeffs: Vec<Coeff>,
    pub b_coeffs: Vec<Coeff>,
    pub a: Vec<G1Affine>,
    pub b1: Vec<G1Affine>,
    pub b2: Vec<G2Affine>,
    /// Bases of the private wires (nPublic+1 ..nVars).
    pub c: Vec<G1Affine>,
    pub h: Vec<G1Affine>,
}

const G1_BYTES: usize = 64;
const G2_BYTES: usize = 128;
const FR_BYTES: usize = 32;
/// snarkjs' largest domain is 2^28 (BN254's two-adicity); the odd coset needs one power more.
const MAX_DOMAIN_LOG2: u32 = 27;

fn invalid(message: impl Into<String>) -> ProverError {
    ProverError::ZkeyInvalid(message.into())
}

fn bigint(bytes: &[u8]) -> BigInt<4> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    BigInt::new(limbs)
}

/// A base-field element in Montgomery form, refused at or above the modulus.
fn fq_montgomery(bytes: &[u8]) -> Option<Fq> {
    let raw = bigint(bytes);
    (raw < Fq::MODULUS).then(|| Fq::new_unchecked(raw))
}

pub(crate) fn g1(bytes: &[u8]) -> Option<G1Affine> {
    if bytes.iter().all(|&b| b == 0) {
        return Some(G1Affine::identity());
    }
    let p = G1Affine::new_unchecked(fq_montgomery(&bytes[..32])?, fq_montgomery(&bytes[32..64])?);
    // BN254's G1 has cofactor 1: on the curve is in the group.
    p.is_on_curve().then_some(p)
}

pub(crate) fn g2(bytes: &[u8]) -> Option<G2Affine> {
    if bytes.iter().all(|&b| b == 0) {
        return Some(G2Affine::identity());
    }
    let f = |i: usize| fq_montgomery(&bytes[32 * i..32 * (i + 1)]);
    let p = G2Affine::new_unchecked(Fq2::new(f(0)?, f(1)?), Fq2::new(f(2)?, f(3)?));
    // On the curve only: the subgroup check costs a scalar multiplication, too much for every B2
    // base. The verification key's G2 points are checked (`g2_in_subgroup`) and so is each proof's
    // B (`Prover::prove`), the one G2 point of a proof the chain's pairing sees.
    p.is_on_curve().then_some(p)
}

/// A G2 point on the curve and in its order-r subgroup (the twist's cofactor is not 1: the
/// chain's pairing precompile refuses any other point).
pub(crate) fn g2_in_subgroup(bytes: &[u8]) -> Option<G2Affine> {
    g2(bytes).filter(|p: &G2Affine| p.is_in_correct_subgroup_assuming_on_curve())
}

fn points<T: Send>(
    bytes: &[u8],
    size: usize,
    what: &str,
    parse: impl Fn(&[u8]) -> Option<T> + Sync,
) -> Result<Vec<T>> {
    bytes
        .par_chunks_exact(size)
        .enumerate()
        .map(|(i, chunk)| {
            parse(chunk).ok_or_else(|| invalid(format!("{what} point {i} is not on the curve")))
        })
        .collect()
}

fn expect_len(section: &[u8], expected: u64, what: &str) -> Result<()> {
    if section.len() as u64 != expected {
        return Err(invalid(format!("{what} has {} bytes; the header implies {expected}", section.len())));
    }
    Ok(())
}

impl ProvingKey {
    /// Reads a snarkjs Groth16 .zkey for BN254 (what `snarkjs zkey new|contribute|beacon` write).
    pub fn from_zkey(bytes: &[u8]) -> Result<Self> {
        let bin = BinFile::parse(bytes, b"zkey").map_err(invalid)?;
        let mut header = Reader::new(bin.section(1).map_err(invalid)?);
        let protocol = header.u32().map_err(invalid)?;
        if protocol != 1 {
            return Err(invalid(format!("protocol {protocol} is not Groth16 (1)")));
        }

        let mut r = Reader::new(bin.section(2).map_err(invalid)?);
        let e = |m: String| invalid(format!("Groth16 header: {m}"));
        let n8q = r.u32().map_err(e)?;
        if n8q != 32 || bigint(r.take(32).map_err(e)?) != Fq::MODULUS {
            return Err(invalid("the curve is not BN254 (bn128): its base field modulus differs"));
        }
        let n8r = r.u32().map_err(e)?;
        if n8r != 32 || bigint(r.take(32).map_err(e)?) != Fr::MODULUS {
            return Err(invalid("the curve is not BN254 (bn128): its scalar field modulus differs"));
        }
        let n_vars = r.u32().map_err(e)? as usize;
        let n_public = r.u32().map_err(e)? as usize;
        let domain_size = r.u32().map_err(e)? as usize;
        if !domain_size.is_power_of_two() || domain_size.trailing_zeros() > MAX_DOMAIN_LOG2 {
            return Err(invalid(format!(
                "domain size {domain_size} is not a power of two up to 2^{MAX_DOMAIN_LOG2}"
            )));
        }
        if n_public + 1 > n_vars {
            return Err(invalid(format!("{n_public} public signals need more than {n_vars} wires")));
        }
        let mut g1_at = |what: &str| -> Result<G1Affine> {
            g1(r.take(G1_BYTES).map_err(e)?).ok_or_else(|| invalid(format!("{what} is not on the curve")))
        };
        let alpha_g1 = g1_at("alpha_1")?;
        let beta_g1 = g1_at("beta_1")?;
        let mut g2_at = |what: &str| -> Result<G2Affine> {
            g2_in_subgroup(r.take(G2_BYTES).map_err(e)?).ok_or_else(|| {
                invalid(format!("{what} is not in G2 (off the curve or outside its subgroup)"))
            })
        };
        let beta_g2 = g2_at("beta_2")?;
        let gamma_g2 = g2_at("gamma_2")?;
        let delta_g1 =
            g1(r.take(G1_BYTES).map_err(e)?).ok_or_else(|| invalid("delta_1 is not on the curve"))?;
        let delta_g2 = g2_in_subgroup(r.take(G2_BYTES).map_err(e)?)
            .ok_or_else(|| invalid("delta_2 is not in G2 (off the curve or outside its subgroup)"))?;

        let (vars, public, domain) = (n_vars as u64, n_public as u64, domain_size as u64);
        let ic_bytes = bin.section(3).map_err(invalid)?;
        expect_len(ic_bytes, (public + 1) * G1_BYTES as u64, "IC (section 3)")?;
        let (a_coeffs, b_coeffs) = coefficients(bin.section(4).map_err(invalid)?, n_vars, domain_size)?;
        let sections = [5, 6, 7, 8, 9].map(|k| bin.section(k).map_err(invalid));
        let [a, b1, b2, c, h] = sections;
        let (a, b1, b2, c, h) = (a?, b1?, b2?, c?, h?);
        expect_len(a, vars * G1_BYTES as u64, "A (section 5)")?;
        expect_len(b1, vars * G1_BYTES as u64, "B1 (section 6)")?;
        expect_len(b2, vars * G2_BYTES as u64, "B2 (section 7)")?;
        expect_len(c, (vars - public - 1) * G1_BYTES as u64, "C (section 8)")?;
        expect_len(h, domain * G1_BYTES as u64, "H (section 9)")?;

        Ok(ProvingKey {
            n_vars,
            n_public,
            domain_size,
            alpha_g1,
            beta_g1,
            beta_g2,
            gamma_g2,
            delta_g1,
            delta_g2,
            ic: points(ic_bytes, G1_BYTES, "IC", g1)?,
            a_coeffs,
            b_coeffs,
            a: points(a, G1_BYTES, "A", g1)?,
            b1: points(b1, G1_BYTES, "B1", g1)?,
            b2: points(b2, G2_BYTES, "B2", g2)?,
            c: points(c, G1_BYTES, "C", g1)?,
            h: points(h, G1_BYTES, "H", g1)?,
        })
    }
}

/// Section 4: a u32 count, then (matrix, constraint, signal, c·R²) entries of 44 bytes.
fn coefficients(bytes: &[u8], n_vars: usize, domain_size: usize) -> Result<(Vec<Coeff>, Vec<Coeff>)> {
    const ENTRY: usize = 12 + FR_BYTES;
    let mut r = Reader::new(bytes);
    let count = r.u32().map_err(|m| invalid(format!("coefficients (section 4): {m}")))? as u64;
    expect_len(bytes, 4 + count * ENTRY as u64, "coefficients (section 4)")?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, entry) in bytes[4..].chunks_exact(ENTRY).enumerate() {
        let word = |k: usize| u32::from_le_bytes(entry[4 * k..4 * k + 4].try_into().expect("4 bytes"));
        let (matrix, constraint, signal) = (word(0), word(1), word(2));
        let stored = bigint(&entry[12..]);
        if constraint as usize >= domain_size
            || signal as usize >= n_vars
            || matrix > 1
            || stored >= Fr::MODULUS
        {
            return Err(invalid(format!(
                "coefficient {i} (matrix {matrix}, constraint {constraint}, signal {signal}) is out of range"
            )));
        }
        // Stored as c·R² mod r: read as a Montgomery form it is c·R; one more reduction gives c.
        let value = Fr::new_unchecked(Fr::new_unchecked(stored).into_bigint());
        let coeff = Coeff { constraint, signal, value };
        if matrix == 0 {
            a.push(coeff)
        } else {
            b.push(coeff)
        }
    }
    Ok((a, b))
}

/// Reads a witness: a snarkjs .wtns file (magic "wtns") or raw little-endian field elements
/// (32 bytes each, standard form). Either way it must have `n_vars` values, each below r, the
/// first one 1 (circom's constant wire).
pub fn read_witness(bytes: &[u8], n_vars: usize) -> Result<Vec<Fr>> {
    let bad = |m: String| ProverError::WitnessInvalid(m);
    let values = if bytes.starts_with(b"wtns") {
        let bin = BinFile::parse(bytes, b"wtns").map_err(bad)?;
        let mut header = Reader::new(bin.section(1).map_err(bad)?);
        let n8 = header.u32().map_err(bad)?;
        let modulus = header.take(n8 as usize).map_err(bad)?;
        if n8 != 32 || bigint(modulus) != Fr::MODULUS {
            return Err(bad("its field is not BN254's scalar field".into()));
        }
        let count = header.u32().map_err(bad)? as usize;
        let values = bin.section(2).map_err(bad)?;
        if count != n_vars {
            return Err(ProverError::WitnessLength { expected: n_vars, got: count });
        }
        if values.len() != count * FR_BYTES {
            return Err(bad(format!("its header says {count} values but it holds {} bytes", values.len())));
        }
        values
    } else {
        if bytes.len() % FR_BYTES != 0 || bytes.len() / FR_BYTES != n_vars {
            return Err(ProverError::WitnessLength { expected: n_vars, got: bytes.len() / FR_BYTES });
        }
        bytes
    };
    let witness = values
        .par_chunks_exact(FR_BYTES)
        .enumerate()
        .map(|(i, chunk)| {
            Fr::from_bigint(bigint(chunk))
                .ok_or_else(|| bad(format!("value {i} is not below the field modulus")))
        })
        .collect::<Result<Vec<Fr>>>()?;
    if witness.first() != Some(&Fr::from(1u64)) {
        return Err(bad("its first value (the constant wire) is not 1".into()));
    }
    Ok(witness)
}
