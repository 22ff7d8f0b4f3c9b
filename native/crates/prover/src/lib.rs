//! verilay native core: a Groth16 prover (BN254) that reads the very .zkey snarkjs' phase 2 wrote
//! and makes proofs snarkjs' verifier and the generated Solidity verifier accept. Pure Rust (no
//! Node types); the `node` crate binds it. Keys are parsed once (`Prover::from_zkey`) and prove
//! many times.

mod batch_affine;
mod binfile;
pub mod error;
mod fft;
#[doc(hidden)]
pub mod msm;
pub mod prove;
pub mod zkey;

pub use error::{ProverError, Result};
pub use prove::{ProofOutput, Prover, SnarkjsProof};
pub use zkey::{read_witness, ProvingKey};
