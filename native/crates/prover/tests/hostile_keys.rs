//! Keys a hostile party could serve: each is refused at load or its proofs are refused, never a
//! proof that passes the prover's own check but fails on chain.

use ark_bn254::{Fq, Fq2, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::UniformRand;
use ark_std::test_rng;
use verilay_prover::{Prover, ProverError};

const ZKEY: &[u8] = include_bytes!("fixtures/multiplier.zkey");
const WTNS: &[u8] = include_bytes!("fixtures/multiplier.wtns");

/// Byte offset of the data of section `kind` in an iden3 container.
fn section_offset(bytes: &[u8], kind: u32) -> usize {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let count = word(8);
    let mut at = 12;
    for _ in 0..count {
        let k = word(at);
        let len = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        if k == kind {
            return at + 12;
        }
        at += 12 + len;
    }
    panic!("no section {kind}");
}

/// A point on the twist E'(Fq2) outside the order-r subgroup (the twist's cofactor is not 1).
fn twist_point_outside_subgroup() -> G2Affine {
    let rng = &mut test_rng();
    loop {
        let x = Fq2::new(Fq::rand(rng), Fq::rand(rng));
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
    }
}

/// A G2 point as the zkey stores it: x.c0, x.c1, y.c0, y.c1, each Montgomery little-endian.
fn g2_bytes(p: &G2Affine) -> Vec<u8> {
    let (x, y) = p.xy().unwrap();
    [x.c0, x.c1, y.c0, y.c1].iter().flat_map(|f| f.0 .0.iter().flat_map(|l| l.to_le_bytes())).collect()
}

#[test]
fn a_b2_base_outside_the_g2_subgroup_never_gives_a_proof() {
    // Wire 1 (the public output, 108) has a non-zero witness value: its B2 base enters pi_b.
    let at = section_offset(ZKEY, 7) + 128;
    let honest = Prover::from_zkey(ZKEY).unwrap().key.b2[1];
    let t = twist_point_outside_subgroup();
    let crafted = (honest + t).into_affine();
    assert!(crafted.is_on_curve() && !crafted.is_in_correct_subgroup_assuming_on_curve());
    let mut bytes = ZKEY.to_vec();
    bytes[at..at + 128].copy_from_slice(&g2_bytes(&crafted));
    match Prover::from_zkey(&bytes) {
        Err(e) => assert_eq!(e.code(), "ZKEY_INVALID"),
        Ok(sut) => {
            let out = sut.prove_bytes(WTNS);
            // The chain's pairing precompile refuses a G2 point outside the subgroup: such a
            // proof must not come out, whatever the self-check says.
            if let Ok(out) = &out {
                assert!(
                    out.proof.b.is_in_correct_subgroup_assuming_on_curve(),
                    "a proof whose B is outside G2's subgroup passed the self-check"
                );
            }
            assert!(matches!(out, Err(ProverError::ZkeyInvalid(_))), "{:?}", out.err());
        }
    }
}

#[test]
fn a_verification_key_point_outside_the_g2_subgroup_is_refused_at_load() {
    // Section 2: n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2.
    let header = section_offset(ZKEY, 2);
    let beta2 = header + 4 + 32 + 4 + 32 + 12 + 64 + 64;
    for (name, at) in [("beta2", beta2), ("gamma2", beta2 + 128), ("delta2", beta2 + 256 + 64)] {
        let mut bytes = ZKEY.to_vec();
        bytes[at..at + 128].copy_from_slice(&g2_bytes(&twist_point_outside_subgroup()));
        let err = Prover::from_zkey(&bytes).err().unwrap_or_else(|| panic!("{name} accepted"));
        assert_eq!(err.code(), "ZKEY_INVALID", "{name}");
    }
}

#[test]
fn extreme_headers_and_identity_points_give_errors_or_checked_proofs_never_a_panic() {
    let header = section_offset(ZKEY, 2);
    let counts = header + 4 + 32 + 4 + 32; // nVars, nPublic, domainSize
    for (field, value) in
        [(0, u32::MAX), (0, 0), (1, u32::MAX), (1, 5), (1, 6), (2, 1 << 27), (2, 1 << 31), (2, 0), (2, 1)]
    {
        let mut bytes = ZKEY.to_vec();
        bytes[counts + 4 * field..counts + 4 * field + 4].copy_from_slice(&value.to_le_bytes());
        let err = Prover::from_zkey(&bytes).err().unwrap_or_else(|| panic!("field {field} = {value} loaded"));
        assert_eq!(err.code(), "ZKEY_INVALID");
    }
    // Every point of the verification key, and every base section, zeroed (the point at infinity).
    let vkey_points = header + 4 + 32 + 4 + 32 + 12;
    let mut regions: Vec<(usize, usize)> = [64, 64, 128, 128, 64, 128]
        .iter()
        .scan(vkey_points, |at, &len| {
            *at += len;
            Some((*at - len, len))
        })
        .collect();
    for kind in 3..=9 {
        let at = section_offset(ZKEY, kind);
        let len = u64::from_le_bytes(ZKEY[at - 8..at].try_into().unwrap()) as usize;
        regions.push((at + if kind == 4 { 4 } else { 0 }, len - if kind == 4 { 4 } else { 0 }));
    }
    for (at, len) in regions {
        let mut bytes = ZKEY.to_vec();
        bytes[at..at + len].fill(0);
        if let Ok(sut) = Prover::from_zkey(&bytes) {
            match sut.prove_bytes(WTNS) {
                Ok(out) => assert!(sut.verify(&out.proof, &out.public_signals)),
                Err(e) => assert!(matches!(e, ProverError::WitnessUnsatisfied), "{e}"),
            }
        }
    }
}
