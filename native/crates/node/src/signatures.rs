//! Binding of verilay-signatures: EIP-712 claim digests and signer recovery. Recovery of a batch
//! runs as an AsyncTask on libuv's thread pool, off the event loop.
// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use verilay_signatures::{
    claim_digest, domain_separator, recover_claim_signers, ClaimDomain, ClaimFields, SignatureError,
    FIELDS_LEN,
};

use crate::error::{coded, guard};

fn separator_of(buffer: &[u8]) -> napi::Result<[u8; 32]> {
    buffer.try_into().map_err(|_| {
        coded("SIGNATURE_DOMAIN", format!("a domain separator is 32 bytes, got {}", buffer.len()))
    })
}

fn check_fields(fields: &[u8], count: Option<usize>) -> napi::Result<usize> {
    if fields.len() % FIELDS_LEN != 0 {
        return Err(coded(
            "SIGNATURE_FIELDS",
            format!("claim fields are {FIELDS_LEN} bytes per claim, got {} bytes", fields.len()),
        ));
    }
    let n = fields.len() / FIELDS_LEN;
    match count {
        Some(count) if count != n => {
            Err(coded("SIGNATURE_FIELDS", format!("{n} claims' fields but {count} signatures")))
        }
        _ => Ok(n),
    }
}

/// hashStruct(EIP712Domain(name, version, chainId, verifyingContract)).
#[napi]
pub fn claim_domain_separator(
    name: String,
    version: String,
    chain_id: f64,
    verifying_contract: Buffer,
) -> napi::Result<Buffer> {
    guard(|| {
        // SAFETY: taken as a double and checked: napi's i64 conversion truncates 1.5 to 1 and NaN
        // to 0, which would hash another chain's domain (the JS path's BigInt(chainId) throws).
        let chain_id = (chain_id.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&chain_id))
            .then_some(chain_id as u64)
            .ok_or_else(|| {
                coded("SIGNATURE_DOMAIN", format!("chainId must be an integer in [0, 2^64), got {chain_id}"))
            })?;
        let contract: [u8; 20] = verifying_contract.as_ref().try_into().map_err(|_| {
            coded(
                "SIGNATURE_DOMAIN",
                format!("verifyingContract is 20 bytes, got {}", verifying_contract.len()),
            )
        })?;
        let domain = ClaimDomain { name: &name, version: &version, chain_id, verifying_contract: contract };
        Ok(domain_separator(&domain).to_vec().into())
    })
}

/// The EIP-712 digest of each claim (`FIELDS_LEN` bytes of fields per claim): 32 bytes each.
#[napi]
pub fn claim_digests(separator: Buffer, fields: Buffer) -> napi::Result<Buffer> {
    guard(|| {
        let separator = separator_of(&separator)?;
        check_fields(&fields, None)?;
        let mut out = Vec::with_capacity(fields.len() / FIELDS_LEN * 32);
        for record in fields.chunks_exact(FIELDS_LEN) {
            let claim = ClaimFields::from_bytes(record.try_into().expect("FIELDS_LEN bytes"));
            out.extend_from_slice(&claim_digest(&separator, &claim));
        }
        Ok(out.into())
    })
}

/// Per claim: the recovered signer (lowercase 0x-hex) or null, and the error code or null.
#[napi(object)]
pub struct RecoveredSigners {
    pub signers: Vec<Option<String>>,
    pub errors: Vec<Option<String>>,
}

pub struct RecoverSigners {
    separator: [u8; 32],
    fields: Vec<u8>,
    signatures: Vec<Vec<u8>>,
}

impl Task for RecoverSigners {
    type Output = Vec<Result<[u8; 20], SignatureError>>;
    type JsValue = RecoveredSigners;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| {
            recover_claim_signers(&self.separator, &self.fields, &self.signatures)
                .ok_or_else(|| coded("SIGNATURE_FIELDS", "claim fields and signatures do not pair up"))
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        guard(|| Ok(signers_of(output)))
    }
}

fn signers_of(output: Vec<Result<[u8; 20], SignatureError>>) -> RecoveredSigners {
    let mut signers = Vec::with_capacity(output.len());
    let mut errors = Vec::with_capacity(output.len());
    for result in output {
        match result {
            Ok(address) => {
                let hex: String = address.iter().map(|b| format!("{b:02x}")).collect();
                signers.push(Some(format!("0x{hex}")));
                errors.push(None);
            }
            Err(e) => {
                signers.push(None);
                errors.push(Some(format!("[{}] {e}", e.code())));
            }
        }
    }
    RecoveredSigners { signers, errors }
}

/// Recovers the signer of each claim on libuv's thread pool: `fields` holds `FIELDS_LEN` bytes per
/// claim, `signatures` one signature per claim. A bad signature is that claim's error, not the
/// call's; fields and signatures that do not pair up fail the call (`SIGNATURE_FIELDS`).
#[napi(ts_return_type = "Promise<RecoveredSigners>")]
pub fn recover_claim_signers_async(
    separator: Buffer,
    fields: Buffer,
    signatures: Vec<Buffer>,
) -> napi::Result<AsyncTask<RecoverSigners>> {
    guard(|| {
        let separator = separator_of(&separator)?;
        check_fields(&fields, Some(signatures.len()))?;
        Ok(AsyncTask::new(RecoverSigners {
            separator,
            fields: fields.to_vec(),
            signatures: signatures.iter().map(|s| s.to_vec()).collect(),
        }))
    })
}
