//! Binding of verilay-ceremony: writes a development powers of tau on libuv's thread pool (minutes
//! for 2^20), reporting progress through an optional callback.
// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::path::PathBuf;

use napi::bindgen_prelude::AsyncTask;
use napi::threadsafe_function::{ErrorStrategy, ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Task};
use verilay_ceremony::{write_ptau, Beacon, CeremonyError, PtauSummary};

use crate::error::{coded, guard};

/// A beacon other than the development one (hex hash, iterations exponent, name).
#[napi(object)]
pub struct PtauBeacon {
    pub hash_hex: String,
    pub iterations_exp: u32,
    pub name: String,
}

#[napi(object)]
pub struct PtauProgress {
    pub stage: String,
    pub done: f64,
    pub total: f64,
}

#[napi(object)]
pub struct PtauWritten {
    pub power: u32,
    pub bytes: f64,
    /// Hex, as `snarkjs powersoftau verify` prints them.
    pub response_hash: String,
    pub next_challenge: String,
}

pub struct WritePtau {
    path: PathBuf,
    power: u32,
    beacon: Beacon,
    progress: Option<ThreadsafeFunction<PtauProgress, ErrorStrategy::Fatal>>,
}

fn code_of(error: &CeremonyError) -> &'static str {
    match error {
        CeremonyError::InvalidPower(_) => "PTAU_POWER",
        CeremonyError::InvalidBeacon => "PTAU_BEACON",
        CeremonyError::DegenerateTau(_) => "PTAU_DEGENERATE",
        CeremonyError::Io(_) => "PTAU_IO",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Task for WritePtau {
    type Output = PtauSummary;
    type JsValue = PtauWritten;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| {
            let progress = self.progress.clone();
            let mut report = move |p: verilay_ceremony::Progress| {
                if let Some(f) = &progress {
                    let value =
                        PtauProgress { stage: p.stage.into(), done: p.done as f64, total: p.total as f64 };
                    f.call(value, ThreadsafeFunctionCallMode::NonBlocking);
                }
            };
            let written = write_ptau(&self.path, self.power, &self.beacon, &mut report)
                .map_err(|e| coded(code_of(&e), format!("{}: {e}", self.path.display())));
            // Release the callback now: a held thread-safe function keeps Node's event loop alive.
            drop(report);
            self.progress.take();
            written
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(PtauWritten {
            power: output.power,
            bytes: output.bytes as f64,
            response_hash: hex(&output.response_hash),
            next_challenge: hex(&output.next_challenge),
        })
    }
}

/// Writes a powers of tau of 2^power, prepared for phase 2, to `path`, with one public beacon
/// contribution (verilay's development beacon unless `beacon` names another): byte for byte what
/// snarkjs' `powersoftau new`, `beacon` and `prepare phase2` write. Errors: PTAU_POWER,
/// PTAU_BEACON, PTAU_IO, PTAU_DEGENERATE.
#[napi(ts_return_type = "Promise<PtauWritten>")]
pub fn write_ptau_async(
    path: String,
    power: u32,
    beacon: Option<PtauBeacon>,
    #[napi(ts_arg_type = "((progress: PtauProgress) => void) | undefined | null")] on_progress: Option<
        ThreadsafeFunction<PtauProgress, ErrorStrategy::Fatal>,
    >,
) -> napi::Result<AsyncTask<WritePtau>> {
    guard(|| {
        let beacon = match beacon {
            None => Beacon::development(),
            Some(b) => {
                Beacon { hash: parse_hex(&b.hash_hex)?, iterations_exp: b.iterations_exp, name: b.name }
            }
        };
        Ok(AsyncTask::new(WritePtau { path: PathBuf::from(path), power, beacon, progress: on_progress }))
    })
}

fn parse_hex(text: &str) -> napi::Result<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(coded("PTAU_BEACON", "the beacon hash must be hexadecimal bytes"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| coded("PTAU_BEACON", e)))
        .collect()
}

/// The development beacon's public values, for docs and checks.
#[napi(object)]
pub struct PtauDevBeacon {
    pub text: String,
    pub hash_hex: String,
    pub iterations_exp: u32,
    pub name: String,
}

#[napi]
pub fn ptau_dev_beacon() -> napi::Result<PtauDevBeacon> {
    guard(|| {
        let b = Beacon::development();
        Ok(PtauDevBeacon {
            text: verilay_ceremony::DEV_BEACON_TEXT.into(),
            hash_hex: hex(&b.hash),
            iterations_exp: b.iterations_exp,
            name: b.name,
        })
    })
}
