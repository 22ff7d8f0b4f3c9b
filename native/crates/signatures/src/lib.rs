//! verilay native core: signatures. Pure Rust (no Node types); the `node` crate binds it.
//!
//! A verilay claim is signed by its operator as EIP-712 typed data (libs/protocol's
//! `claimTypedData`): domain `EIP712Domain(string name,string version,uint256 chainId,address
//! verifyingContract)`, struct `Claim(bytes32 modelId,bytes32 taskId,bytes32 inputCommitment,bytes32
//! outputCommitment,bytes32 traceRoot,address operator)`. This crate hashes it and recovers the
//! signer's address with secp256k1 public-key recovery, refusing exactly what OpenZeppelin's
//! `ECDSA.recover` refuses on chain (libs/chain's `recoverClaimSigner` does the same in JS).

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh;
use sha3::{Digest, Keccak256};

/// Bytes of one claim's signed fields in a batch record: five bytes32 then the operator address.
pub const FIELDS_LEN: usize = 5 * 32 + 20;
/// An Ethereum signature: r (32), s (32), v (1).
pub const SIGNATURE_LEN: usize = 65;

/// Why a signature recovers no signer. Each is a rejection the JS path gives too (it returns null).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("a signature is {SIGNATURE_LEN} bytes (r, s, v), got {0}")]
    Length(usize),
    #[error("v must be 27 or 28, got {0}")]
    V(u8),
    #[error("s is in the upper half of the curve order (a malleable twin; ECDSA.recover refuses it)")]
    HighS,
    #[error("r or s is zero or not below the curve order")]
    Scalar,
    #[error("no public key recovers from this signature and digest")]
    Unrecoverable,
}

impl SignatureError {
    /// The stable code the binding reports (`NativeError.nativeCode` in JS).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length(_) => "SIGNATURE_LENGTH",
            Self::V(_) => "SIGNATURE_V",
            Self::HighS => "SIGNATURE_HIGH_S",
            Self::Scalar => "SIGNATURE_SCALAR",
            Self::Unrecoverable => "SIGNATURE_UNRECOVERABLE",
        }
    }
}

/// The EIP-712 domain of verilay claims (name and version are "verilay" and "1" in practice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimDomain<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub chain_id: u64,
    pub verifying_contract: [u8; 20],
}

/// The signed fields of a claim, in leaf order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFields {
    pub model_id: [u8; 32],
    pub task_id: [u8; 32],
    pub input_commitment: [u8; 32],
    pub output_commitment: [u8; 32],
    pub trace_root: [u8; 32],
    pub operator: [u8; 20],
}

impl ClaimFields {
    /// Reads the `FIELDS_LEN` bytes of a batch record: modelId, taskId, inputCommitment,
    /// outputCommitment, traceRoot (32 bytes each), operator (20 bytes).
    pub fn from_bytes(bytes: &[u8; FIELDS_LEN]) -> Self {
        let word = |i: usize| -> [u8; 32] { bytes[32 * i..32 * (i + 1)].try_into().expect("32 bytes") };
        Self {
            model_id: word(0),
            task_id: word(1),
            input_commitment: word(2),
            output_commitment: word(3),
            trace_root: word(4),
            operator: bytes[160..].try_into().expect("20 bytes"),
        }
    }
}

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// An address as an ABI word: 12 zero bytes, then the 20 bytes.
fn address_word(address: &[u8; 20]) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(address);
    word
}

/// hashStruct(EIP712Domain): computed once per domain and passed to `claim_digest`.
pub fn domain_separator(domain: &ClaimDomain) -> [u8; 32] {
    let type_hash =
        keccak256(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    let mut chain_id = [0u8; 32];
    chain_id[24..].copy_from_slice(&domain.chain_id.to_be_bytes());
    let mut encoded = Vec::with_capacity(5 * 32);
    encoded.extend_from_slice(&type_hash);
    encoded.extend_from_slice(&keccak256(domain.name.as_bytes()));
    encoded.extend_from_slice(&keccak256(domain.version.as_bytes()));
    encoded.extend_from_slice(&chain_id);
    encoded.extend_from_slice(&address_word(&domain.verifying_contract));
    keccak256(&encoded)
}

/// hashStruct(Claim).
pub fn claim_struct_hash(fields: &ClaimFields) -> [u8; 32] {
    let type_hash = keccak256(
        b"Claim(bytes32 modelId,bytes32 taskId,bytes32 inputCommitment,bytes32 outputCommitment,bytes32 traceRoot,address operator)",
    );
    let mut encoded = [0u8; 7 * 32];
    for (i, word) in [
        &type_hash,
        &fields.model_id,
        &fields.task_id,
        &fields.input_commitment,
        &fields.output_commitment,
        &fields.trace_root,
        &address_word(&fields.operator),
    ]
    .into_iter()
    .enumerate()
    {
        encoded[32 * i..32 * (i + 1)].copy_from_slice(word);
    }
    keccak256(&encoded)
}

/// The EIP-712 digest an operator signs: keccak256(0x1901 || domainSeparator || hashStruct(claim)).
pub fn claim_digest(domain_separator: &[u8; 32], fields: &ClaimFields) -> [u8; 32] {
    let mut encoded = [0u8; 2 + 32 + 32];
    encoded[..2].copy_from_slice(&[0x19, 0x01]);
    encoded[2..34].copy_from_slice(domain_separator);
    encoded[34..].copy_from_slice(&claim_struct_hash(fields));
    keccak256(&encoded)
}

/// The address of a secp256k1 public key: the last 20 bytes of keccak256 of its uncompressed x||y.
pub fn address_of(key: &VerifyingKey) -> [u8; 20] {
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    hash[12..].try_into().expect("20 bytes")
}

/// The address whose key signed `digest`.
///
/// SAFETY: accepts exactly what OpenZeppelin's `ECDSA.recover` accepts (the contract's check):
/// 65 bytes, v in {27, 28}, 0 < s <= n/2, 0 < r < n. The verifier must not accept a signature the
/// chain refuses: a leaf it posts with one is the sequencer's fault and slashes the sequencer.
pub fn recover_address(digest: &[u8; 32], signature: &[u8]) -> Result<[u8; 20], SignatureError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::Length(signature.len()));
    }
    let v = signature[64];
    if v != 27 && v != 28 {
        return Err(SignatureError::V(v));
    }
    // from_slice refuses r or s that is zero or not below n.
    let sig = Signature::from_slice(&signature[..64]).map_err(|_| SignatureError::Scalar)?;
    if bool::from(sig.s().is_high()) {
        return Err(SignatureError::HighS);
    }
    let id = RecoveryId::from_byte(v - 27).ok_or(SignatureError::V(v))?;
    let key =
        VerifyingKey::recover_from_prehash(digest, &sig, id).map_err(|_| SignatureError::Unrecoverable)?;
    Ok(address_of(&key))
}

/// The signer of each claim of a batch: `fields` holds `FIELDS_LEN` bytes per claim, `signatures`
/// one signature per claim (any length: a wrong one is that claim's `SignatureError::Length`).
/// None when the two counts do not match.
pub fn recover_claim_signers<S: AsRef<[u8]>>(
    domain_separator: &[u8; 32],
    fields: &[u8],
    signatures: &[S],
) -> Option<Vec<Result<[u8; 20], SignatureError>>> {
    if fields.len() % FIELDS_LEN != 0 || fields.len() / FIELDS_LEN != signatures.len() {
        return None;
    }
    Some(
        fields
            .chunks_exact(FIELDS_LEN)
            .zip(signatures)
            .map(|(record, signature)| {
                let claim = ClaimFields::from_bytes(record.try_into().expect("FIELDS_LEN bytes"));
                recover_address(&claim_digest(domain_separator, &claim), signature.as_ref())
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
