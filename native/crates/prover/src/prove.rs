//! Groth16 proving with snarkjs' witness map (src/groth16_prove.js): A·w and B·w evaluated on
//! the domain, C = A·B there (the zkey carries no C matrix), each interpolated and re-evaluated on
//! the odd coset of the 2n-th roots of unity, and H's scalars are A·B − C on that coset (the zkey's
//! H bases already hold the division by the vanishing polynomial).

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, PrimeField, UniformRand, Zero};
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rand::rngs::OsRng;
use rayon::prelude::*;

use crate::error::{ProverError, Result};
use crate::fft::CosetFft;
use crate::msm::{msm, FixedBaseMsm};
use crate::zkey::{read_witness, Coeff, ProvingKey};

/// A proving key made ready to prove: the parsed zkey and its prepared verification key (every
/// proof is checked before it is handed out).
pub struct Prover {
    pub key: ProvingKey,
    pvk: PreparedVerifyingKey<Bn254>,
    fft: CosetFft,
    #[doc(hidden)]
    pub h: FixedBaseMsm<ark_bn254::g1::Config>,
}

/// A proof and its public signals (the witness' wires 1..=nPublic).
pub struct ProofOutput {
    pub proof: Proof<Bn254>,
    pub public_signals: Vec<Fr>,
}

impl Prover {
    /// Loads a snarkjs .zkey (see `ProvingKey::from_zkey`).
    pub fn from_zkey(bytes: &[u8]) -> Result<Self> {
        Self::new(ProvingKey::from_zkey(bytes)?)
    }

    pub fn new(key: ProvingKey) -> Result<Self> {
        let n = key.domain_size;
        let bad_domain = || ProverError::ZkeyInvalid(format!("no FFT domain of size {n}"));
        let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(bad_domain)?;
        let odd = Radix2EvaluationDomain::<Fr>::new(2 * n).ok_or_else(bad_domain)?.element(1);
        let fft = CosetFft::new(n, domain.group_gen, odd);
        let pvk = prepare_verifying_key(&key.verifying_key());
        let h = FixedBaseMsm::new(&key.h);
        Ok(Prover { key, pvk, fft, h })
    }

    /// Proves from witness bytes (.wtns or raw), with fresh random r and s; the proof is verified
    /// before it is returned (a witness that breaks a constraint gives `WitnessUnsatisfied`).
    pub fn prove_bytes(&self, witness: &[u8]) -> Result<ProofOutput> {
        let witness = read_witness(witness, self.key.n_vars)?;
        self.prove(&witness)
    }

    pub fn prove(&self, witness: &[Fr]) -> Result<ProofOutput> {
        let key = &self.key;
        if witness.len() != key.n_vars {
            return Err(ProverError::WitnessLength { expected: key.n_vars, got: witness.len() });
        }
        let w: Vec<_> = witness.par_iter().map(|x| x.into_bigint()).collect();
        let private = &w[key.n_public + 1..];
        // The witness map and H's MSM are the longest chain; the witness MSMs run beside them.
        let ((a, b1), (b2, (c, h))) = rayon::join(
            || rayon::join(|| msm(&key.a, &w), || msm(&key.b1, &w)),
            || {
                rayon::join(
                    || msm(&key.b2, &w),
                    || rayon::join(|| msm(&key.c, private), || self.h.msm(&self.h_scalars(witness))),
                )
            },
        );

        let (r, s) = (Fr::rand(&mut OsRng), Fr::rand(&mut OsRng));
        let delta_g1 = key.delta_g1.into_group();
        let pi_a: G1Projective = a + key.alpha_g1 + delta_g1 * r;
        let pi_b: G2Projective = b2 + key.beta_g2 + key.delta_g2.into_group() * s;
        let pi_b1: G1Projective = b1 + key.beta_g1 + delta_g1 * s;
        let pi_c: G1Projective = c + h + pi_a * s + pi_b1 * r - delta_g1 * (r * s);
        let proof: Proof<Bn254> =
            Proof { a: pi_a.into_affine(), b: pi_b.into_affine(), c: pi_c.into_affine() };
        // SAFETY: B2 bases are only checked to be on the curve; one outside G2's subgroup puts B
        // outside it, which the chain's pairing precompile refuses whatever the self-check says.
        if !proof.b.is_in_correct_subgroup_assuming_on_curve() {
            return Err(ProverError::ZkeyInvalid(
                "its B2 bases (section 7) hold points outside G2's subgroup: the proof's B is not in G2"
                    .into(),
            ));
        }

        let public_signals = witness[1..=key.n_public].to_vec();
        if !self.verify(&proof, &public_signals) {
            return Err(ProverError::WitnessUnsatisfied);
        }
        Ok(ProofOutput { proof, public_signals })
    }

    /// Groth16's pairing check under this key's verification key.
    pub fn verify(&self, proof: &Proof<Bn254>, public_signals: &[Fr]) -> bool {
        public_signals.len() == self.key.n_public
            && Groth16::<Bn254>::verify_proof(&self.pvk, proof, public_signals).unwrap_or(false)
    }

    /// H's scalars in standard form: A·B − C evaluated on the odd coset.
    #[doc(hidden)]
    pub fn h_scalars(&self, witness: &[Fr]) -> Vec<<Fr as PrimeField>::BigInt> {
        let n = self.key.domain_size;
        let (mut a, mut b) = rayon::join(
            || evaluate(&self.key.a_coeffs, witness, n),
            || evaluate(&self.key.b_coeffs, witness, n),
        );
        let mut c: Vec<Fr> = a.par_iter().zip(&b).map(|(x, y)| *x * y).collect();
        let to_coset = |v: &mut Vec<Fr>| self.fft.domain_to_coset(v);
        rayon::join(|| to_coset(&mut a), || rayon::join(|| to_coset(&mut b), || to_coset(&mut c)));
        a.par_iter().zip(&b).zip(&c).map(|((x, y), z)| (*x * y - z).into_bigint()).collect()
    }
}

/// One matrix times the witness, on the domain's n points (the public-input rows included:
/// snarkjs adds them to A as coefficients of 1).
fn evaluate(coeffs: &[Coeff], witness: &[Fr], n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::zero(); n];
    for coeff in coeffs {
        // Most wires hold 0 or 1: no multiplication for those.
        let w = &witness[coeff.signal as usize];
        if w.is_one() {
            out[coeff.constraint as usize] += coeff.value;
        } else if !w.is_zero() {
            out[coeff.constraint as usize] += coeff.value * w;
        }
    }
    out
}

impl ProvingKey {
    /// The verification key this proving key was made with (what `snarkjs zkey export
    /// verificationkey` writes).
    pub fn verifying_key(&self) -> VerifyingKey<Bn254> {
        VerifyingKey {
            alpha_g1: self.alpha_g1,
            beta_g2: self.beta_g2,
            gamma_g2: self.gamma_g2,
            delta_g2: self.delta_g2,
            gamma_abc_g1: self.ic.clone(),
        }
    }
}

/// A proof in snarkjs' JSON shape: decimal strings, projective with z = 1, G2 coordinates as
/// [c0, c1].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnarkjsProof {
    pub pi_a: Vec<String>,
    pub pi_b: Vec<Vec<String>>,
    pub pi_c: Vec<String>,
    pub public_signals: Vec<String>,
}

fn g1_json(p: &G1Affine) -> Vec<String> {
    match p.xy() {
        Some((x, y)) => vec![x.to_string(), y.to_string(), "1".into()],
        None => vec!["0".into(), "1".into(), "0".into()],
    }
}

fn g2_json(p: &G2Affine) -> Vec<Vec<String>> {
    let pair = |f: ark_bn254::Fq2| vec![f.c0.to_string(), f.c1.to_string()];
    match p.xy() {
        Some((x, y)) => vec![pair(x), pair(y), vec!["1".into(), "0".into()]],
        None => vec![pair(ark_bn254::Fq2::zero()), pair(ark_bn254::Fq2::ONE), pair(ark_bn254::Fq2::zero())],
    }
}

impl From<&ProofOutput> for SnarkjsProof {
    fn from(out: &ProofOutput) -> Self {
        SnarkjsProof {
            pi_a: g1_json(&out.proof.a),
            pi_b: g2_json(&out.proof.b),
            pi_c: g1_json(&out.proof.c),
            public_signals: out.public_signals.iter().map(|s| s.to_string()).collect(),
        }
    }
}
