//! The prover against a real snarkjs key: tests/fixtures/multiplier.* (make-fixtures.sh), a
//! circuit with out = a·b·c + a, public [out, a], proven for a=3, b=5, c=7.

use ark_bn254::Fr;
use verilay_prover::{read_witness, Prover, ProverError, SnarkjsProof};

const ZKEY: &[u8] = include_bytes!("fixtures/multiplier.zkey");
const WTNS: &[u8] = include_bytes!("fixtures/multiplier.wtns");
const VKEY: &str = include_str!("fixtures/vkey.json");

fn prover() -> Prover {
    Prover::from_zkey(ZKEY).expect("the fixture key loads")
}

/// The witness section of the .wtns (raw field elements).
fn raw_witness() -> Vec<u8> {
    WTNS[WTNS.len() - 6 * 32..].to_vec()
}

#[test]
fn reads_the_verification_key_snarkjs_exports() {
    let sut = prover();
    assert_eq!((sut.key.n_vars, sut.key.n_public), (6, 2));
    let vk = sut.key.verifying_key();
    // Every coordinate of the parsed key appears, in decimal, in snarkjs' vkey.json.
    let mut coords = vec![vk.alpha_g1.x.to_string(), vk.alpha_g1.y.to_string()];
    for p in [vk.beta_g2, vk.gamma_g2, vk.delta_g2] {
        coords.extend([p.x.c0, p.x.c1, p.y.c0, p.y.c1].map(|f| f.to_string()));
    }
    for p in &vk.gamma_abc_g1 {
        coords.extend([p.x.to_string(), p.y.to_string()]);
    }
    for c in coords {
        assert!(VKEY.contains(&format!("\"{c}\"")), "{c} is not in vkey.json");
    }
}

#[test]
fn proves_and_verifies_from_wtns_and_raw_witness_bytes() {
    let sut = prover();
    for bytes in [WTNS.to_vec(), raw_witness()] {
        let out = sut.prove_bytes(&bytes).unwrap();
        assert_eq!(out.public_signals, vec![Fr::from(108u64), Fr::from(3u64)]);
        assert!(sut.verify(&out.proof, &out.public_signals));
        // A changed public signal fails.
        assert!(!sut.verify(&out.proof, &[Fr::from(109u64), Fr::from(3u64)]));
        let json = SnarkjsProof::from(&out);
        assert_eq!(json.pi_a[2], "1");
        assert_eq!(json.pi_b[2], vec!["1".to_string(), "0".to_string()]);
        assert_eq!(json.public_signals, vec!["108".to_string(), "3".to_string()]);
    }
}

#[test]
fn proofs_are_randomised() {
    let sut = prover();
    let (p, q) = (sut.prove_bytes(WTNS).unwrap(), sut.prove_bytes(WTNS).unwrap());
    assert_ne!(p.proof.a, q.proof.a);
}

#[test]
fn refuses_a_witness_that_breaks_a_constraint() {
    let sut = prover();
    let mut witness = read_witness(WTNS, 6).unwrap();
    witness[5] += Fr::from(1u64); // t != a·b
    assert_eq!(sut.prove(&witness).err(), Some(ProverError::WitnessUnsatisfied));
    let mut witness = read_witness(WTNS, 6).unwrap();
    witness[1] = Fr::from(109u64); // a wrong output
    assert_eq!(sut.prove(&witness).err(), Some(ProverError::WitnessUnsatisfied));
}

#[test]
fn refuses_witnesses_of_the_wrong_length_or_range() {
    let sut = prover();
    let raw = raw_witness();
    let err = sut.prove_bytes(&raw[..5 * 32]).err().unwrap();
    assert_eq!(err, ProverError::WitnessLength { expected: 6, got: 5 });
    assert_eq!(err.code(), "WITNESS_LENGTH");
    assert_eq!(sut.prove_bytes(&raw[..raw.len() - 1]).err().unwrap().code(), "WITNESS_LENGTH");
    let mut over = raw.clone();
    over[32 * 3..32 * 4].fill(0xff); // b >= r
    assert_eq!(sut.prove_bytes(&over).err().unwrap().code(), "WITNESS_INVALID");
    let mut no_one = raw.clone();
    no_one[0] = 2;
    assert_eq!(sut.prove_bytes(&no_one).err().unwrap().code(), "WITNESS_INVALID");
    let mut wtns = WTNS.to_vec();
    wtns.truncate(wtns.len() - 3);
    assert!(matches!(sut.prove_bytes(&wtns), Err(ProverError::WitnessInvalid(_))));
}

#[test]
fn refuses_non_keys_truncated_and_corrupt_keys() {
    let err = |bytes: &[u8]| Prover::from_zkey(bytes).err().expect("refused");
    assert_eq!(err(b"").code(), "ZKEY_INVALID");
    assert_eq!(err(WTNS).code(), "ZKEY_INVALID");
    assert_eq!(err(b"{\"protocol\":\"groth16\"}").code(), "ZKEY_INVALID");
    // Every truncation is refused with an error, never a panic.
    for len in 0..ZKEY.len() {
        assert!(matches!(Prover::from_zkey(&ZKEY[..len]), Err(ProverError::ZkeyInvalid(_))), "length {len}");
    }
    // A byte changed anywhere: refused, or (where the byte is not checked, e.g. a contribution's
    // transcript) loaded; a key that loads either proves what verifies or refuses the witness.
    let mut refused = 0;
    for at in (0..ZKEY.len()).step_by(7) {
        let mut bytes = ZKEY.to_vec();
        bytes[at] ^= 0x5a;
        match Prover::from_zkey(&bytes) {
            Err(e) => {
                assert_eq!(e.code(), "ZKEY_INVALID");
                refused += 1;
            }
            Ok(sut) => match sut.prove_bytes(WTNS) {
                Ok(out) => assert!(sut.verify(&out.proof, &out.public_signals)),
                Err(e) => {
                    assert!(matches!(e, ProverError::WitnessUnsatisfied | ProverError::WitnessLength { .. }))
                }
            },
        }
    }
    assert!(refused > 0);
}
