//! circomlibjs' published vectors (its test/poseidon.js), the optimised rounds against the
//! reference rounds for every width, and the tensor commitment's pinned vector (the one
//! libs/commitments/src/commitments.spec.ts pins for the JS path).

use ark_ff::{BigInteger, PrimeField, UniformRand};
use verilay_poseidon::{
    commit, fr_from_be_bytes, fr_to_hex32, hash, hash_reference, pack, DType, Fr, PoseidonError, Values,
    MAX_INPUTS,
};

fn fr(n: u64) -> Fr {
    Fr::from(n)
}

#[test]
fn equals_circomlibjs_published_vectors() {
    assert_eq!(
        fr_to_hex32(hash(&[fr(1), fr(2)]).unwrap()),
        "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
    );
    assert_eq!(
        fr_to_hex32(hash(&[fr(1), fr(2), fr(3), fr(4)]).unwrap()),
        "0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465"
    );
}

#[test]
fn sparse_rounds_equal_the_reference_rounds_for_every_width() {
    let mut rng = ark_std::test_rng();
    for n in 1..=MAX_INPUTS {
        for _ in 0..5 {
            let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            assert_eq!(hash(&inputs).unwrap(), hash_reference(&inputs), "{n} inputs");
        }
        let edge: Vec<Fr> =
            (0..n).map(|i| if i % 2 == 0 { Fr::from(0u64) } else { -Fr::from(1u64) }).collect();
        assert_eq!(hash(&edge).unwrap(), hash_reference(&edge), "{n} inputs, 0 and r - 1");
    }
}

#[test]
fn refuses_widths_circomlib_does_not_have() {
    assert_eq!(hash(&[]), Err(PoseidonError::Width(0)));
    assert_eq!(hash(&[fr(1); 17]), Err(PoseidonError::Width(17)));
}

#[test]
fn commits_tensors_as_the_js_path_does() {
    // libs/commitments' pinned vector: 784 int8 values (i % 255) - 127, salt 0.
    let data: Vec<i32> = (0..784).map(|i| (i % 255) - 127).collect();
    let h = commit(Values::I32(&data), DType::Int8, fr(0)).unwrap();
    assert_eq!(fr_to_hex32(h), "0x09d492738d592901753616f5c0b63d6fce684469a981ca1a11af76a34fd8a1d2");
    let doubles: Vec<f64> = data.iter().map(|&v| v as f64).collect();
    assert_eq!(commit(Values::F64(&doubles), DType::Int8, fr(0)).unwrap(), h);
}

#[test]
fn packs_lanes_little_endian_with_the_dtype_offset() {
    let words = pack(Values::I32(&[-128, 0, 127]), DType::Int8).unwrap();
    assert_eq!(words, vec![Fr::from(128u64 * 256 + 255 * 65536)]);
    let words = pack(Values::I32(&[-1; 8]), DType::Int32).unwrap();
    assert_eq!(words.len(), 2);
    assert_eq!(words[1], Fr::from((1u64 << 31) - 1));
    assert_eq!(pack(Values::I32(&[1; 32]), DType::Int8).unwrap()[1], Fr::from(129u64));
}

#[test]
fn refuses_values_outside_the_dtype() {
    let err = pack(Values::I32(&[0, 128]), DType::Int8).unwrap_err();
    assert_eq!(err.to_string(), "element 1 is 128, outside int8 or not an integer");
    assert!(pack(Values::I32(&[-1]), DType::Uint8).is_err());
    assert!(pack(Values::F64(&[0.5]), DType::Int16).is_err());
    assert!(pack(Values::F64(&[f64::NAN]), DType::Int32).is_err());
    assert!(pack(Values::F64(&[f64::INFINITY]), DType::Int32).is_err());
    assert!(pack(Values::F64(&[2147483648.0]), DType::Int32).is_err());
    assert!(pack(Values::F64(&[-2147483648.0]), DType::Int32).is_ok());
}

#[test]
fn reads_field_elements_canonically() {
    let r_minus_1 = -Fr::from(1u64);
    let bytes = verilay_poseidon::fr_to_be_bytes(r_minus_1);
    assert_eq!(fr_from_be_bytes(&bytes), Some(r_minus_1));
    let modulus: Vec<u8> = Fr::MODULUS.to_bytes_be();
    assert_eq!(fr_from_be_bytes(&modulus.try_into().unwrap()), None);
}
