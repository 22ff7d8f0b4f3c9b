//! verilay native core: development powers of tau. Pure Rust (no Node types); the `node` crate
//! binds it.
//!
//! A development powers of tau has one contribution, a public beacon, so its toxic waste (tau,
//! alpha, beta) is known to anyone: fine for development and tests, never for production
//! (docs/trusted-setup.md). Knowing the secrets, every point is a fixed-base multiplication of the
//! generator by a scalar computed in Fr, so a 2^20 file takes minutes instead of snarkjs' hours.
//! The file is byte for byte what `snarkjs powersoftau new`, `beacon` (same hash and iterations)
//! and `prepare phase2` write, so `snarkjs powersoftau verify` accepts it.

mod beacon;
// snarkjs' hashing, sampling and point encodings, shared with the phase-2 setup (verilay-setup).
pub mod blake2b;
pub mod encode;
mod ptau;
pub mod rng;
mod scalars;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use beacon::{first_challenge, key_from_beacon, BeaconKey, KeyPart};

/// The largest power a file can have: its tau·G1 Lagrange section needs domains up to 2^(power+1),
/// and Fr has 2^28-th roots of unity.
pub const MAX_POWER: u32 = scalars::MAX_DOMAIN_BITS - 1;

#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("power must be between 1 and {MAX_POWER}, got {0}")]
    InvalidPower(u32),
    #[error("a beacon hash has 1 to 255 bytes and at most 2^63 iterations")]
    InvalidBeacon,
    #[error("the beacon's tau is a 2^{0}-th root of unity (the Lagrange points are undefined); pick another beacon")]
    DegenerateTau(u32),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// The public beacon of the one contribution (snarkjs `powersoftau beacon <hash> <iterationsExp>`).
#[derive(Clone, Debug)]
pub struct Beacon {
    pub hash: Vec<u8>,
    pub iterations_exp: u32,
    pub name: String,
}

/// The text whose sha256 is the development beacon hash (documented in docs/trusted-setup.md).
pub const DEV_BEACON_TEXT: &str = "verilay development powers of tau, version 1";
pub const DEV_BEACON_ITERATIONS_EXP: u32 = 10;
pub const DEV_BEACON_NAME: &str = "verilay development beacon (toxic waste public)";

impl Beacon {
    /// verilay's development beacon: sha256(DEV_BEACON_TEXT), 2^10 iterations.
    pub fn development() -> Self {
        Self {
            hash: Sha256::digest(DEV_BEACON_TEXT.as_bytes()).to_vec(),
            iterations_exp: DEV_BEACON_ITERATIONS_EXP,
            name: DEV_BEACON_NAME.into(),
        }
    }
}

/// How far a long write is: points written so far of all the file's points.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What was written, and the hashes `snarkjs powersoftau verify` prints.
#[derive(Clone, Debug)]
pub struct PtauSummary {
    pub power: u32,
    pub bytes: u64,
    pub first_challenge: [u8; 64],
    pub response_hash: [u8; 64],
    pub next_challenge: [u8; 64],
}

/// Writes a powers of tau of 2^power prepared for phase 2, with one beacon contribution, to
/// `path` (through a scratch file renamed into place: a crash never leaves a partial file there).
pub fn write_ptau(
    path: &Path,
    power: u32,
    beacon: &Beacon,
    progress: &mut dyn FnMut(Progress),
) -> Result<PtauSummary, CeremonyError> {
    ptau::write(path, power, beacon, progress)
}

#[cfg(test)]
mod tests;
