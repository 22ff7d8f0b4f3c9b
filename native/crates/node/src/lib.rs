//! The napi-rs binding of verilay's native core: it converts types and maps errors, nothing more.
//! Every entry point runs under `error::guard`: a panic in a pure crate becomes a JS error
//! (`[NATIVE_PANIC] ...`), never an abort.
//! Errors reach JS as `Error`s whose message starts with a stable code in brackets
//! (`[ZKEY_INVALID] ...`); libs/native maps them to verilay's `BaseError`s.

#[macro_use]
extern crate napi_derive;

mod ceremony;
mod error;
#[cfg(feature = "gpu")]
mod gpu;
mod kernels;
mod poseidon;
mod prover;
mod setup;
mod signatures;

/// The addon's version and build, for boot logs and /health.
#[napi]
pub fn native_version() -> String {
    format!("verilay-node {} ({})", env!("CARGO_PKG_VERSION"), std::env::consts::ARCH)
}

/// Panics on purpose: proves that a panic in native code reaches JS as an error (a test calls it).
#[napi]
pub fn native_panic_for_test(message: String) -> napi::Result<String> {
    error::guard(|| panic!("{message}"))
}
