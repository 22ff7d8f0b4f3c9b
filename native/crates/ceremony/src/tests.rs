//! Whole-file checks of a written powers of tau, read back from disk: pairing relations between
//! sampled points (which do not trust the scalars the writer used) and the Lagrange sections'
//! sums. The byte-for-byte comparison with snarkjs and `snarkjs powersoftau verify` run in
//! libs/zk/src/dev-ptau.spec.ts.

use std::collections::HashMap;
use std::path::PathBuf;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_ff::{BigInt, One};

use crate::scalars::root_of_unity;
use crate::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("verilay-ceremony-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Section id -> bytes, after checking the header.
fn sections(bytes: &[u8]) -> HashMap<u32, &[u8]> {
    assert_eq!(&bytes[..4], b"ptau");
    let count = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    let mut at = 12;
    let mut out = HashMap::new();
    for _ in 0..count {
        let id = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        out.insert(id, &bytes[at + 12..at + 12 + size]);
        at += 12 + size;
    }
    assert_eq!(at, bytes.len(), "sections cover the file");
    out
}

fn fq(bytes: &[u8]) -> Fq {
    let limbs: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
    Fq::new_unchecked(BigInt::new(limbs.try_into().unwrap()))
}

fn g1(section: &[u8], i: usize) -> G1Affine {
    let b = &section[i * 64..i * 64 + 64];
    let p = G1Affine::new_unchecked(fq(&b[..32]), fq(&b[32..]));
    assert!(p.is_on_curve(), "G1 point {i} is on the curve");
    p
}

fn g2(section: &[u8], i: usize) -> G2Affine {
    let b = &section[i * 128..i * 128 + 128];
    let p = G2Affine::new_unchecked(
        Fq2::new(fq(&b[..32]), fq(&b[32..64])),
        Fq2::new(fq(&b[64..96]), fq(&b[96..])),
    );
    assert!(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve(), "G2 point {i}");
    p
}

#[test]
fn a_written_file_holds_consistent_powers_and_lagrange_points() {
    let power = 5;
    let path = scratch("p5.ptau");
    let mut calls = 0;
    let summary = write_ptau(&path, power, &Beacon::development(), &mut |_| calls += 1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    assert!(calls > 0);
    let s = sections(&bytes);
    let n = 1usize << power;
    let (tau1, tau2, alpha1, beta1, beta2) = (s[&2], s[&3], s[&4], s[&5], s[&6]);
    assert_eq!((tau1.len(), tau2.len(), alpha1.len()), ((2 * n - 1) * 64, n * 128, n * 64));
    assert_eq!(g1(tau1, 0), G1Affine::generator());
    assert_eq!(g2(tau2, 0), G2Affine::generator());
    let t2 = g2(tau2, 1);
    let gen2 = G2Affine::generator();
    // e(tau^(i+1)·G1, G2) = e(tau^i·G1, tau·G2) for sampled i in every G1 section.
    for i in [0, 1, 7, n - 2] {
        assert_eq!(Bn254::pairing(g1(tau1, i + 1), gen2), Bn254::pairing(g1(tau1, i), t2));
        assert_eq!(Bn254::pairing(g1(alpha1, i + 1), gen2), Bn254::pairing(g1(alpha1, i), t2));
        assert_eq!(Bn254::pairing(g1(beta1, i + 1), gen2), Bn254::pairing(g1(beta1, i), t2));
        assert_eq!(
            Bn254::pairing(G1Affine::generator(), g2(tau2, i + 1)),
            Bn254::pairing(g1(tau1, 1), g2(tau2, i))
        );
    }
    assert_eq!(Bn254::pairing(g1(tau1, 2 * n - 3), t2), Bn254::pairing(g1(tau1, 2 * n - 2), gen2));
    // beta·G2 matches beta·G1.
    assert_eq!(Bn254::pairing(g1(beta1, 0), gen2), Bn254::pairing(G1Affine::generator(), g2(beta2, 0)));

    // Lagrange sections: over each domain of size m, Σ L_i(tau) = 1 and Σ ω^i·L_i(tau) = tau (m ≥ 4;
    // the last tau·G1 domain lacks its top monomial, which changes neither sum).
    let check = |section: &[u8], top: u32, at_one: G1Affine, at_tau: G1Affine| {
        let mut offset = 0;
        for bits in 0..=top {
            let m = 1usize << bits;
            let omega = root_of_unity(bits);
            let (mut sum, mut weighted, mut w) =
                (G1Projective::default(), G1Projective::default(), Fr::one());
            for i in 0..m {
                let p = g1(section, offset + i);
                sum += p;
                weighted += p * w;
                w *= omega;
            }
            assert_eq!(sum.into_affine(), at_one, "Σ L_i, domain 2^{bits}");
            if bits >= 2 {
                assert_eq!(weighted.into_affine(), at_tau, "Σ ω^i L_i, domain 2^{bits}");
            }
            offset += m;
        }
        assert_eq!(offset * 64, section.len());
    };
    check(s[&12], power + 1, G1Affine::generator(), g1(tau1, 1));
    check(s[&14], power, g1(alpha1, 0), g1(alpha1, 1));
    check(s[&15], power, g1(beta1, 0), g1(beta1, 1));
    let lagrange2 = s[&13];
    let (mut sum2, mut offset) = (ark_bn254::G2Projective::default(), 0);
    for i in 0..n {
        sum2 += g2(lagrange2, (n - 1) + i);
        offset = (n - 1) + i + 1;
    }
    assert_eq!(offset * 128, lagrange2.len());
    assert_eq!(sum2.into_affine(), gen2);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_same_power_and_beacon_give_the_same_bytes_and_another_beacon_others() {
    let (a, b, c) = (scratch("a.ptau"), scratch("b.ptau"), scratch("c.ptau"));
    write_ptau(&a, 3, &Beacon::development(), &mut |_| ()).unwrap();
    write_ptau(&b, 3, &Beacon::development(), &mut |_| ()).unwrap();
    let other = Beacon { hash: vec![1, 2, 3], ..Beacon::development() };
    write_ptau(&c, 3, &other, &mut |_| ()).unwrap();
    let (a, b, c) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap(), std::fs::read(c).unwrap());
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn refuses_bad_powers_and_beacons_and_leaves_nothing_behind() {
    let path = scratch("bad.ptau");
    assert!(matches!(
        write_ptau(&path, 0, &Beacon::development(), &mut |_| ()),
        Err(CeremonyError::InvalidPower(0))
    ));
    assert!(matches!(
        write_ptau(&path, 28, &Beacon::development(), &mut |_| ()),
        Err(CeremonyError::InvalidPower(28))
    ));
    // What -1 becomes as a u32 must not wrap past the check.
    assert!(matches!(
        write_ptau(&path, u32::MAX, &Beacon::development(), &mut |_| ()),
        Err(CeremonyError::InvalidPower(u32::MAX))
    ));
    let empty = Beacon { hash: vec![], ..Beacon::development() };
    assert!(matches!(write_ptau(&path, 3, &empty, &mut |_| ()), Err(CeremonyError::InvalidBeacon)));
    let nowhere = std::path::Path::new("/nonexistent-dir/for/sure/x.ptau");
    assert!(matches!(write_ptau(nowhere, 3, &Beacon::development(), &mut |_| ()), Err(CeremonyError::Io(_))));
    assert!(!path.exists());
}

#[test]
fn the_development_beacon_is_sha256_of_its_text() {
    let beacon = Beacon::development();
    let hex: String = beacon.hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "a8b5506efb05d05864d00e7048c7ec5708a13f9746a56d881bd1a9cd08e68e86");
}
