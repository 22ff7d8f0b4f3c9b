//! verilay native core: circomlib's Poseidon over BN254 (every width, 1..=16 inputs) and
//! verilay's tensor commitment built on it, the state commitment of a model with slots, and the
//! trace root over a task's commitments. Pure Rust (no Node types); the `node` crate binds it.

mod grain;
mod permutation;
mod state;
mod tensor;
mod trace;

pub use ark_bn254::Fr;
pub use permutation::{hash, hash_reference, MAX_INPUTS};
pub use state::{state_commitment, STATE_TAG};
pub use tensor::{commit, pack, DType, Values, PACK_BITS, WORDS_PER_HASH};
pub use trace::trace_root;

use ark_ff::{BigInteger, PrimeField};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PoseidonError {
    #[error("Poseidon takes 1 to {MAX_INPUTS} inputs, got {0}")]
    Width(usize),
    /// Close to the JS path's message (libs/commitments packTensor: `element 3 is 128, outside
    /// int8`), which the binding's caller throws in its place.
    #[error("element {index} is {value}, outside {dtype} or not an integer")]
    OutsideDType { index: usize, value: f64, dtype: &'static str },
    #[error("{0} is not a field element below the BN254 modulus")]
    NotInField(String),
}

/// A field element from 32 big-endian bytes, refusing values at or above the modulus.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut le = *bytes;
    le.reverse();
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(le[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    }
    Fr::from_bigint(ark_ff::BigInteger256::new(limbs))
}

/// 32 big-endian bytes of a field element.
pub fn fr_to_be_bytes(x: Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// `0x` and 64 lowercase hex digits (libs/commitments' `toHex32`).
pub fn fr_to_hex32(x: Fr) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for b in fr_to_be_bytes(x) {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}
