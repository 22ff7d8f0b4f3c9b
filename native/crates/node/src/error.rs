//! One mapping from the pure crates' errors to JS errors: `[CODE] message` (libs/native parses
//! it into a `NativeError`), and the guard that keeps a panic from crossing into Node.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::{Error, Status};

/// A JS error whose message starts with a stable code.
pub fn coded(code: &str, message: impl std::fmt::Display) -> Error {
    Error::new(Status::GenericFailure, format!("[{code}] {message}"))
}

/// Runs `f`, turning a panic into a `[NATIVE_PANIC]` error: every entry point (and every async
/// task's compute) goes through it, so a bug in native code is an error in JS, never an abort.
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(coded("NATIVE_PANIC", format!("panic in native code: {message}")))
    })
}
