//! Binding of verilay-setup: the Groth16 phase-2 setup (`snarkjs zkey new` + `zkey beacon`, byte
//! for byte) on libuv's thread pool, reporting progress through an optional callback.
// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::path::PathBuf;

use napi::bindgen_prelude::AsyncTask;
use napi::threadsafe_function::{ErrorStrategy, ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Task};
use verilay_setup::{write_zkey, SetupError, ZkeyBeacon, ZkeySummary};

use crate::error::{coded, guard};

/// The beacon that ends phase 2 (`snarkjs zkey beacon`): hex hash, iterations exponent, name.
#[napi(object)]
pub struct ZkeySetupBeacon {
    pub hash_hex: String,
    pub iterations_exp: u32,
    pub name: String,
}

#[napi(object)]
pub struct ZkeySetupProgress {
    pub stage: String,
    pub done: f64,
    pub total: f64,
}

#[napi(object)]
pub struct ZkeyWritten {
    pub bytes: f64,
    pub domain_size: f64,
    /// Hex, as snarkjs prints them.
    pub circuit_hash: String,
    pub contribution_hash: String,
}

pub struct WriteZkey {
    r1cs: PathBuf,
    ptau: PathBuf,
    zkey: PathBuf,
    beacon: ZkeyBeacon,
    overread: Option<[u8; 64]>,
    progress: Option<ThreadsafeFunction<ZkeySetupProgress, ErrorStrategy::Fatal>>,
}

fn code_of(error: &SetupError) -> &'static str {
    match error {
        SetupError::Truncated(_) => "SETUP_TRUNCATED",
        SetupError::Format(_) => "SETUP_FORMAT",
        SetupError::WrongCurve => "SETUP_CURVE",
        SetupError::NotPrepared => "SETUP_PTAU_NOT_PREPARED",
        SetupError::CeremonyTooSmall { .. } => "SETUP_CEREMONY_TOO_SMALL",
        SetupError::InvalidBeacon => "SETUP_BEACON",
        SetupError::OverreadPointNeeded => "SETUP_OVERREAD_POINT",
        SetupError::Io(_) => "SETUP_IO",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Task for WriteZkey {
    type Output = ZkeySummary;
    type JsValue = ZkeyWritten;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| {
            let progress = self.progress.clone();
            let mut report = move |p: verilay_setup::Progress| {
                if let Some(f) = &progress {
                    let value = ZkeySetupProgress {
                        stage: p.stage.into(),
                        done: p.done as f64,
                        total: p.total as f64,
                    };
                    f.call(value, ThreadsafeFunctionCallMode::NonBlocking);
                }
            };
            let written = write_zkey(
                &self.r1cs,
                &self.ptau,
                &self.zkey,
                &self.beacon,
                self.overread.as_ref(),
                &mut report,
            )
            .map_err(|e| coded(code_of(&e), e));
            // Release the callback now: a held thread-safe function keeps Node's event loop alive.
            drop(report);
            self.progress.take();
            written
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(ZkeyWritten {
            bytes: output.bytes as f64,
            domain_size: output.domain_size as f64,
            circuit_hash: hex(&output.cs_hash),
            contribution_hash: hex(&output.contribution_hash),
        })
    }
}

/// Writes the Groth16 proving key of the circuit in `r1cs` on the powers of tau `ptau` (prepared
/// for phase 2), ended by the public `beacon`, to `zkey`: byte for byte what `snarkjs zkey new`
/// followed by `snarkjs zkey beacon` writes. `overread_hex`: the 64 bytes snarkjs hashes for the H
/// point it reads past the tau·G1 section (needed when the domain is the ceremony's own size past
/// 2^14). Errors: SETUP_TRUNCATED, SETUP_FORMAT, SETUP_CURVE, SETUP_PTAU_NOT_PREPARED,
/// SETUP_CEREMONY_TOO_SMALL, SETUP_BEACON, SETUP_OVERREAD_POINT, SETUP_IO.
#[napi(ts_return_type = "Promise<ZkeyWritten>")]
pub fn write_zkey_async(
    r1cs: String,
    ptau: String,
    zkey: String,
    beacon: ZkeySetupBeacon,
    overread_hex: Option<String>,
    #[napi(ts_arg_type = "((progress: ZkeySetupProgress) => void) | undefined | null")] on_progress: Option<
        ThreadsafeFunction<ZkeySetupProgress, ErrorStrategy::Fatal>,
    >,
) -> napi::Result<AsyncTask<WriteZkey>> {
    guard(|| {
        let hash = parse_hex(&beacon.hash_hex, "SETUP_BEACON")?;
        let overread = match overread_hex {
            None => None,
            Some(text) => Some(
                <[u8; 64]>::try_from(parse_hex(&text, "SETUP_OVERREAD_POINT")?)
                    .map_err(|_| coded("SETUP_OVERREAD_POINT", "the overread point has 64 bytes"))?,
            ),
        };
        let beacon = ZkeyBeacon { hash, iterations_exp: beacon.iterations_exp, name: beacon.name };
        Ok(AsyncTask::new(WriteZkey {
            r1cs: PathBuf::from(r1cs),
            ptau: PathBuf::from(ptau),
            zkey: PathBuf::from(zkey),
            beacon,
            overread,
            progress: on_progress,
        }))
    })
}

fn parse_hex(text: &str, code: &str) -> napi::Result<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(coded(code, "expected hexadecimal bytes"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| coded(code, e)))
        .collect()
}
