//! Binding of verilay-poseidon: circomlib's Poseidon and verilay's tensor commitment. Field
//! elements cross as 32 big-endian bytes; commitments come back as `0x` + 64 hex digits.
// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{Buffer, Float64Array, Int32Array};
use verilay_poseidon::{
    commit, fr_from_be_bytes, fr_to_be_bytes, fr_to_hex32, hash, DType, Fr, PoseidonError, Values, MAX_INPUTS,
};

use crate::error::{coded, guard};

pub(crate) fn map_error(error: PoseidonError) -> napi::Error {
    let code = match error {
        PoseidonError::Width(_) => "POSEIDON_WIDTH",
        PoseidonError::OutsideDType { .. } => "TENSOR_VALUE",
        PoseidonError::NotInField(_) => "FIELD_ELEMENT",
    };
    coded(code, error)
}

pub(crate) fn field_element(what: &str, bytes: &[u8]) -> napi::Result<Fr> {
    let word: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| coded("FIELD_ELEMENT", format!("{what} is 32 bytes, got {}", bytes.len())))?;
    fr_from_be_bytes(word).ok_or_else(|| map_error(PoseidonError::NotInField(what.into())))
}

/// circomlibjs' `poseidon(inputs)`: `inputs` is 1..=16 field elements of 32 big-endian bytes each.
#[napi]
pub fn poseidon_hash(inputs: Buffer) -> napi::Result<Buffer> {
    guard(|| {
        if inputs.len() % 32 != 0 || inputs.is_empty() || inputs.len() > 32 * MAX_INPUTS {
            return Err(coded(
                "POSEIDON_WIDTH",
                format!("Poseidon takes 1 to {MAX_INPUTS} inputs of 32 bytes, got {} bytes", inputs.len()),
            ));
        }
        let elements = inputs
            .chunks(32)
            .enumerate()
            .map(|(i, w)| field_element(&format!("input {i}"), w))
            .collect::<napi::Result<Vec<_>>>()?;
        Ok(fr_to_be_bytes(hash(&elements).map_err(map_error)?).to_vec().into())
    })
}

/// A dtype code from a JS number: taken as a double and checked, since napi's u32 conversion
/// truncates 4.5 to 4 and wraps 2^32 + 4 to 4.
fn dtype_of(code: f64) -> napi::Result<DType> {
    let exact = (code.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&code)).then_some(code as u32);
    exact.and_then(DType::from_code).ok_or_else(|| coded("TENSOR_DTYPE", format!("no dtype has code {code}")))
}

fn commit_values(dtype: f64, values: Values, salt: Option<Buffer>) -> napi::Result<String> {
    let salt = match salt {
        Some(bytes) => field_element("salt", &bytes)?,
        None => Fr::from(0u64),
    };
    Ok(fr_to_hex32(commit(values, dtype_of(dtype)?, salt).map_err(map_error)?))
}

/// The tensor commitment of int32 values (a trace tensor) under `salt` (32 bytes; none: 0).
#[napi]
pub fn commit_tensor_i32(dtype: f64, data: Int32Array, salt: Option<Buffer>) -> napi::Result<String> {
    guard(|| commit_values(dtype, Values::I32(&data), salt))
}

/// The same for any numbers (checked to be integers of the dtype).
#[napi]
pub fn commit_tensor_f64(dtype: f64, data: Float64Array, salt: Option<Buffer>) -> napi::Result<String> {
    guard(|| commit_values(dtype, Values::F64(&data), salt))
}
