//! The prover's errors: each has a stable code the binding passes on (`[ZKEY_INVALID] ...`).

/// Why a key could not be loaded or a proof could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProverError {
    /// The bytes are not a well-formed BN254 Groth16 proving key as snarkjs writes it.
    #[error("not a usable Groth16 proving key (.zkey): {0}")]
    ZkeyInvalid(String),
    /// The witness bytes are neither a .wtns file nor raw field elements, or hold a value out of range.
    #[error("malformed witness: {0}")]
    WitnessInvalid(String),
    /// The witness has another number of values than the key's circuit has wires.
    #[error("the witness has {got} values; this proving key's circuit has {expected} wires")]
    WitnessLength { expected: usize, got: usize },
    /// The proof made from the witness does not verify: the witness breaks a constraint of this
    /// key's circuit (or belongs to another circuit of the same size), or the key's proving
    /// sections do not belong to its own verification key (a corrupt or crafted key).
    #[error(
        "the witness does not satisfy this proving key's circuit, or the key's proving sections do not match its verification key (its proof does not verify)"
    )]
    WitnessUnsatisfied,
}

impl ProverError {
    /// The stable code JS sees (`NativeError.nativeCode`).
    pub fn code(&self) -> &'static str {
        match self {
            ProverError::ZkeyInvalid(_) => "ZKEY_INVALID",
            ProverError::WitnessInvalid(_) => "WITNESS_INVALID",
            ProverError::WitnessLength { .. } => "WITNESS_LENGTH",
            ProverError::WitnessUnsatisfied => "WITNESS_UNSATISFIED",
        }
    }
}

pub type Result<T> = std::result::Result<T, ProverError>;
