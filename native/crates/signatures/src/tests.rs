use super::*;
use k256::ecdsa::SigningKey;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn hex(s: &str) -> Vec<u8> {
    let s = s.trim_start_matches("0x");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn word(n: u8) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = n;
    w
}

const N: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

fn dev_domain() -> [u8; 32] {
    domain_separator(&ClaimDomain {
        name: "verilay",
        version: "1",
        chain_id: 31337,
        verifying_contract: hex("0x5FbDB2315678afecb367f032d93F642f64180aa3").try_into().unwrap(),
    })
}

fn vector_claim() -> ClaimFields {
    ClaimFields {
        model_id: word(1),
        task_id: word(2),
        input_commitment: word(3),
        output_commitment: word(4),
        trace_root: word(5),
        operator: hex("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").try_into().unwrap(),
    }
}

// Known answer: viem's hashDomain / hashTypedData / signTypedData for anvil's second account.
const VECTOR_SIGNATURE: &str = "0x41c2831f12c3aaefcdbde7365d7a79c9dd425eade58377ca8f8d2cea15aef47403012af182fca141c1fcc194f70af7b2b4426be2716918e951d57b74365498541b";

#[test]
fn hashes_the_domain_and_claim_as_viem_does() {
    assert_eq!(
        dev_domain().to_vec(),
        hex("0x9278fc3661a234b31b5cdbbc20c99c384027ba0ea903c4b27907d2aa58d09884")
    );
    assert_eq!(
        claim_digest(&dev_domain(), &vector_claim()).to_vec(),
        hex("0x46c63a8fb5e1cf376987d25e0e713b14db40d6b1c402238567396fb6c0ac3b96")
    );
}

#[test]
fn recovers_viems_signature_to_its_signer() {
    let digest = claim_digest(&dev_domain(), &vector_claim());
    assert_eq!(recover_address(&digest, &hex(VECTOR_SIGNATURE)), Ok(vector_claim().operator));
}

fn sign(key: &SigningKey, digest: &[u8; 32]) -> Vec<u8> {
    let (sig, id) = key.sign_prehash_recoverable(digest).unwrap();
    // k256 signs low-s already; normalise anyway so the test does not depend on it.
    let (sig, id) = match sig.normalize_s() {
        Some(low) => (low, RecoveryId::from_byte(id.to_byte() ^ 1).unwrap()),
        None => (sig, id),
    };
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + id.to_byte());
    out
}

fn random_key(rng: &mut StdRng) -> SigningKey {
    loop {
        let bytes: [u8; 32] = rng.gen();
        if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
            return key;
        }
    }
}

#[test]
fn recovers_random_keys_over_random_claims() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let key = random_key(&mut rng);
        let mut claim =
            ClaimFields::from_bytes(&rng.gen::<[u8; 32]>().repeat(6)[..FIELDS_LEN].try_into().unwrap());
        claim.operator = address_of(key.verifying_key());
        let digest = claim_digest(&dev_domain(), &claim);
        let signature = sign(&key, &digest);
        assert_eq!(recover_address(&digest, &signature), Ok(claim.operator));
        // Any other claim recovers someone else (or nobody).
        let mut other = claim.clone();
        other.task_id[0] ^= 1;
        assert_ne!(recover_address(&claim_digest(&dev_domain(), &other), &signature), Ok(claim.operator));
    }
}

#[test]
fn refuses_what_ecdsa_recover_refuses() {
    let digest = claim_digest(&dev_domain(), &vector_claim());
    let good = hex(VECTOR_SIGNATURE);
    // The high-s twin (r, n - s, v ^ 1) recovers the same key for ecrecover; it is refused.
    let n = hex(N);
    let mut twin = good.clone();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = n[i] as i16 - good[32 + i] as i16 - borrow;
        twin[32 + i] = d.rem_euclid(256) as u8;
        borrow = (d < 0) as i16;
    }
    twin[64] = if good[64] == 27 { 28 } else { 27 };
    assert_eq!(recover_address(&digest, &twin), Err(SignatureError::HighS));
    for v in [0u8, 1, 26, 29, 255] {
        let mut bad = good.clone();
        bad[64] = v;
        assert_eq!(recover_address(&digest, &bad), Err(SignatureError::V(v)));
    }
    for len in [0usize, 1, 64, 66, 130] {
        let bad = vec![1u8; len];
        assert_eq!(recover_address(&digest, &bad), Err(SignatureError::Length(len)));
    }
    let mut zero = vec![0u8; 65];
    zero[64] = 27;
    assert_eq!(recover_address(&digest, &zero), Err(SignatureError::Scalar));
    let mut r_is_n = good.clone();
    r_is_n[..32].copy_from_slice(&n);
    assert_eq!(recover_address(&digest, &r_is_n), Err(SignatureError::Scalar));
}

#[test]
fn garbage_gives_typed_errors_never_a_panic() {
    let mut rng = StdRng::seed_from_u64(11);
    let digest = claim_digest(&dev_domain(), &vector_claim());
    let mut unrecoverable = 0;
    for _ in 0..2000 {
        let len = if rng.gen_bool(0.8) { SIGNATURE_LEN } else { rng.gen_range(0..200) };
        let mut sig: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        if len == SIGNATURE_LEN && rng.gen_bool(0.7) {
            sig[64] = 27 + rng.gen_range(0..2);
            sig[32] &= 0x7f; // low s, so recovery itself is tried
        }
        match recover_address(&digest, &sig) {
            Ok(_) => {}
            Err(SignatureError::Unrecoverable) => unrecoverable += 1,
            Err(e) => assert!(!e.code().is_empty()),
        }
    }
    // r values with no curve point exist (about half of all x): some must be met.
    assert!(unrecoverable > 0);
}

#[test]
fn batches_in_order_and_refuses_mismatched_counts() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut fields = Vec::new();
    let mut signatures = Vec::new();
    let mut expected = Vec::new();
    for i in 0..20 {
        let key = random_key(&mut rng);
        let mut claim = vector_claim();
        claim.task_id = word(i);
        claim.operator = address_of(key.verifying_key());
        for w in
            [claim.model_id, claim.task_id, claim.input_commitment, claim.output_commitment, claim.trace_root]
        {
            fields.extend_from_slice(&w);
        }
        fields.extend_from_slice(&claim.operator);
        let mut sig = sign(&key, &claim_digest(&dev_domain(), &claim));
        if i % 5 == 4 {
            sig.pop();
            expected.push(Err(SignatureError::Length(64)));
        } else {
            expected.push(Ok(claim.operator));
        }
        signatures.push(sig);
    }
    assert_eq!(recover_claim_signers(&dev_domain(), &fields, &signatures), Some(expected));
    assert_eq!(recover_claim_signers(&dev_domain(), &fields[1..], &signatures), None);
    assert_eq!(recover_claim_signers(&dev_domain(), &fields, &signatures[1..]), None);
}
