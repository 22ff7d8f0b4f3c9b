//! circom's .r1cs (iden3 format): the header (section 1) and the constraints (section 2), each a
//! triple of linear combinations (signal id, coefficient) over Fr.

use std::path::Path;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

use crate::binfile::{u32_at, BinFile};
use crate::SetupError;

/// One term of a linear combination: the signal and its coefficient's 32 little-endian bytes as
/// the file has them (snarkjs copies them into the key's coefficient section and multiplies by
/// them as integers).
#[derive(Clone, Copy, Debug)]
pub struct Term {
    pub signal: u32,
    pub coef: [u8; 32],
}

pub struct R1cs {
    pub n_vars: u32,
    pub n_public: u32,
    /// Per constraint: the A, B and C combinations.
    pub constraints: Vec<[Vec<Term>; 3]>,
}

pub fn read(path: &Path) -> Result<R1cs, SetupError> {
    let mut file = BinFile::open(path, b"r1cs", "r1cs")?;
    let header_section = file.section(1)?;
    let header = file.read_in(header_section, 0, header_section.size.min(1 << 12))?;
    let n8 = u32_at(&header, 0)? as usize;
    let prime = header.get(4..4 + n8).ok_or_else(|| SetupError::Truncated("r1cs: header".into()))?;
    if n8 != 32 || prime != Fr::MODULUS.to_bytes_le().as_slice() {
        return Err(SetupError::WrongCurve);
    }
    let at = 4 + n8;
    let n_wires = u32_at(&header, at)?;
    let n_outputs = u32_at(&header, at + 4)?;
    let n_pub_inputs = u32_at(&header, at + 8)?;
    // nPrvIn (u32) and nLabels (u64) sit between the inputs and the constraint count.
    let n_constraints = u32_at(&header, at + 24)?;
    let n_public = n_outputs
        .checked_add(n_pub_inputs)
        .filter(|p| *p < n_wires)
        .ok_or_else(|| SetupError::Format("r1cs: more public signals than wires".into()))?;

    let section = file.section(2)?;
    // Each constraint has at least three term counts (12 bytes): a header claiming more
    // constraints than the section holds is refused before anything is allocated.
    if (n_constraints as u64) * 12 > section.size {
        return Err(SetupError::Truncated("r1cs: fewer constraints than the header says".into()));
    }
    let bytes = file.read_in(section, 0, section.size)?;
    let mut pos = 0usize;
    let mut constraints = Vec::with_capacity(n_constraints as usize);
    for _ in 0..n_constraints {
        let mut lcs: [Vec<Term>; 3] = Default::default();
        for lc in lcs.iter_mut() {
            let count = u32_at(&bytes, pos)? as usize;
            pos += 4;
            if count.saturating_mul(36) > bytes.len() - pos {
                return Err(SetupError::Truncated("r1cs: a constraint ends early".into()));
            }
            lc.reserve(count);
            for _ in 0..count {
                let signal = u32_at(&bytes, pos)?;
                if signal >= n_wires {
                    return Err(SetupError::Format(format!("r1cs: signal {signal} of {n_wires} wires")));
                }
                let coef = bytes[pos + 4..pos + 36].try_into().expect("32 bytes");
                lc.push(Term { signal, coef });
                pos += 36;
            }
        }
        constraints.push(lcs);
    }
    Ok(R1cs { n_vars: n_wires, n_public, constraints })
}
