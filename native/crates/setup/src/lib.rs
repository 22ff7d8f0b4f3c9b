//! verilay native core: the Groth16 phase-2 setup. Pure Rust (no Node types); the `node` crate
//! binds it.
//!
//! From a circuit's .r1cs and a powers of tau prepared for phase 2 (any: the committed 2^14 one,
//! the native development ones, a production ceremony), it writes the .zkey that
//! `snarkjs zkey new` followed by `snarkjs zkey beacon` writes, byte for byte. Like snarkjs it
//! needs no toxic waste: every key point is a sum of the ceremony's Lagrange points weighted by
//! the r1cs coefficients (mostly small integers: a few doublings), then the beacon's delta scales
//! C and H. No intermediate key is written; csHash and the contribution record are computed as
//! snarkjs computes them, so `snarkjs zkey verify` accepts the key and a snarkjs-made key of the
//! same inputs has the same bytes.

mod binfile;
mod points;
mod r1cs;
mod zkey;

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("truncated input: {0}")]
    Truncated(String),
    #[error("malformed input: {0}")]
    Format(String),
    #[error("the r1cs or powers of tau is not over bn128")]
    WrongCurve,
    #[error("the powers of tau is not prepared for phase 2 (no Lagrange sections)")]
    NotPrepared,
    #[error("{constraints} constraints (with the public rows) need a larger powers of tau than 2^{power}")]
    CeremonyTooSmall { constraints: u64, power: u32 },
    #[error("a zkey beacon has 1 to 255 hash bytes and 10 to 63 as its iterations exponent")]
    InvalidBeacon,
    #[error("the domain is the ceremony's size past 2^14: snarkjs hashes 64 bytes past the tau·G1 section, pass ffjavascript's reading of them")]
    OverreadPointNeeded,
    #[error("i/o: {0}")]
    Io(String),
}

/// The public beacon that ends phase 2 (`snarkjs zkey beacon <old> <new> <name> <hash> <exp>`).
#[derive(Clone, Debug)]
pub struct ZkeyBeacon {
    pub hash: Vec<u8>,
    pub iterations_exp: u32,
    pub name: String,
}

impl ZkeyBeacon {
    fn check(&self) -> Result<(), SetupError> {
        let ok = (1..256).contains(&self.hash.len()) && (10..=63).contains(&self.iterations_exp);
        ok.then_some(()).ok_or(SetupError::InvalidBeacon)
    }
}

/// Which of the setup's steps runs (`done` of `total` steps): the ceremony's progress report.
pub use verilay_ceremony::Progress;

/// What was written, and the hashes snarkjs prints for it.
#[derive(Clone, Debug)]
pub struct ZkeySummary {
    pub bytes: u64,
    pub domain_size: u64,
    /// The circuit hash (`zkey new`'s csHash).
    pub cs_hash: [u8; 64],
    /// The beacon contribution's hash (`zkey beacon` prints it).
    pub contribution_hash: [u8; 64],
}

/// Writes the phase-2 key of the circuit in `r1cs_path` on the powers of tau in `ptau_path`, ended
/// by `beacon`, to `zkey_path` (through a scratch file renamed into place). `overread`: the 64
/// bytes snarkjs hashes for the H point it reads past the tau·G1 section (uncompressed, as
/// ffjavascript's wasm computes them), needed only when the circuit's domain is the ceremony's
/// own size and larger than 2^14 (else OverreadPointNeeded); libs/zk computes it.
pub fn write_zkey(
    r1cs_path: &Path,
    ptau_path: &Path,
    zkey_path: &Path,
    beacon: &ZkeyBeacon,
    overread: Option<&[u8; 64]>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ZkeySummary, SetupError> {
    let r1cs = r1cs::read(r1cs_path)?;
    zkey::write(&r1cs, ptau_path, zkey_path, beacon, overread, progress)
}

#[cfg(test)]
mod tests;
