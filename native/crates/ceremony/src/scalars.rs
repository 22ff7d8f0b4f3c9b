//! The scalar of every point of the file. With tau, alpha and beta known, each point is its scalar
//! times the generator: tau^i, alpha·tau^i, beta·tau^i, and the Lagrange-basis values L_i(tau)
//! that `powersoftau prepare phase2` writes (ffjavascript's inverse FFT of the monomial points
//! over the 2^k-th roots of unity it uses).

use ark_bn254::Fr;
use ark_ff::{batch_inversion, BigInteger, Field, LegendreSymbol, One, PrimeField, Zero};

use crate::CeremonyError;

/// Fr's two-adicity: ffjavascript's roots of unity go up to 2^28.
pub const MAX_DOMAIN_BITS: u32 = 28;

/// ffjavascript's primitive 2^bits-th root of unity: w[28] = nqr^t (nqr the least quadratic
/// non-residue from 2 up, t the odd part of r − 1), w[k] = w[k+1]².
pub fn root_of_unity(bits: u32) -> Fr {
    let mut nqr = Fr::from(2u64);
    while nqr.legendre() != LegendreSymbol::QuadraticNonResidue {
        nqr += Fr::one();
    }
    let mut t = Fr::MODULUS;
    for _ in 0..MAX_DOMAIN_BITS {
        t.div2();
    }
    let mut w = nqr.pow(t);
    for _ in bits..MAX_DOMAIN_BITS {
        w.square_in_place();
    }
    w
}

/// scale·tau^i for i in start..start + len.
pub fn powers(tau: Fr, scale: Fr, start: u64, len: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(len);
    let mut current = scale * tau.pow([start]);
    for _ in 0..len {
        out.push(current);
        current *= tau;
    }
    out
}

/// One domain of a Lagrange section: 2^bits points, and whether the top monomial point is missing
/// (the last domain of the tau·G1 section, where snarkjs puts the point at infinity in its place).
#[derive(Clone, Copy)]
pub struct Domain {
    pub bits: u32,
    pub without_top: bool,
}

/// scale·L_i(tau) for i in start..start + len over the domain, where L_i is the inverse DFT row:
/// L_i(tau) = (1/m)·Σ_j ω^(−ij)·tau^j = (tau^m − 1)/m · ω^i / (tau − ω^i); without the top term
/// the value loses (1/m)·ω^(−i(m−1))·tau^(m−1) = (1/m)·ω^i·tau^(m−1).
pub fn lagrange(
    tau: Fr,
    scale: Fr,
    domain: Domain,
    start: u64,
    len: usize,
) -> Result<Vec<Fr>, CeremonyError> {
    let m = 1u64 << domain.bits;
    let omega = root_of_unity(domain.bits);
    let m_inv = Fr::from(m).inverse().expect("m is not zero in Fr");
    let common = (tau.pow([m]) - Fr::one()) * m_inv * scale;
    let top = tau.pow([m - 1]) * m_inv * scale;
    let mut omega_i = omega.pow([start]);
    let mut roots = Vec::with_capacity(len);
    let mut denominators = Vec::with_capacity(len);
    for _ in 0..len {
        roots.push(omega_i);
        denominators.push(tau - omega_i);
        omega_i *= omega;
    }
    if denominators.iter().any(Zero::is_zero) {
        // tau is an m-th root of unity: the closed form divides by zero. A seed gives such a tau
        // with probability about 2^-226; say so rather than write a wrong file.
        return Err(CeremonyError::DegenerateTau(domain.bits));
    }
    batch_inversion(&mut denominators);
    Ok(roots
        .iter()
        .zip(denominators.iter())
        .map(|(w, inv)| {
            let value = common * w * inv;
            if domain.without_top {
                value - top * w
            } else {
                value
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    /// The closed form against the definition, the inverse DFT, summed term by term.
    #[test]
    fn lagrange_values_are_the_inverse_dft_of_the_powers() {
        let mut rng = ark_std::test_rng();
        let tau = Fr::rand(&mut rng);
        let scale = Fr::rand(&mut rng);
        for bits in 0..5 {
            for without_top in [false, true] {
                let m = 1u64 << bits;
                let omega = root_of_unity(bits);
                let got = lagrange(tau, scale, Domain { bits, without_top }, 0, m as usize).unwrap();
                let terms = if without_top { m - 1 } else { m };
                for (i, value) in got.iter().enumerate() {
                    let mut sum = Fr::zero();
                    for j in 0..terms {
                        sum += omega.pow([(i as u64 * j) % m]).inverse().unwrap() * tau.pow([j]);
                    }
                    assert_eq!(*value, sum * scale / Fr::from(m), "bits {bits} i {i}");
                }
                let tail = lagrange(tau, scale, Domain { bits, without_top }, m / 2, (m - m / 2) as usize);
                assert_eq!(tail.unwrap()[..], got[(m / 2) as usize..]);
            }
        }
    }

    #[test]
    fn roots_of_unity_have_their_order() {
        let w = root_of_unity(10);
        assert_eq!(w.pow([1u64 << 10]), Fr::one());
        assert_ne!(w.pow([1u64 << 9]), Fr::one());
        assert_eq!(root_of_unity(0), Fr::one());
    }

    #[test]
    fn powers_start_where_asked() {
        let tau = Fr::from(3u64);
        assert_eq!(powers(tau, Fr::from(2u64), 2, 2), vec![Fr::from(18u64), Fr::from(54u64)]);
    }
}
