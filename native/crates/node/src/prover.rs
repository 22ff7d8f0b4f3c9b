//! Binding of verilay-prover: a proving key loaded once from .zkey bytes and kept in memory
//! (`NativeProvingKey`); each proof runs as an AsyncTask on libuv's thread pool (its MSMs and FFTs
//! on rayon's), off the event loop.

// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use verilay_prover::{Prover, ProverError, SnarkjsProof};

use crate::error::{coded, guard};

fn to_js(e: ProverError) -> napi::Error {
    coded(e.code(), e)
}

/// A proof in snarkjs' JSON shape (decimal strings, projective with z = 1) and its public signals.
#[napi(object)]
pub struct NativeGroth16Proof {
    #[napi(js_name = "pi_a")]
    pub pi_a: Vec<String>,
    #[napi(js_name = "pi_b")]
    pub pi_b: Vec<Vec<String>>,
    #[napi(js_name = "pi_c")]
    pub pi_c: Vec<String>,
    pub public_signals: Vec<String>,
}

/// A Groth16 proving key (snarkjs .zkey, BN254) parsed once; prove with it many times.
#[napi]
pub struct NativeProvingKey {
    prover: Arc<Prover>,
}

#[napi]
impl NativeProvingKey {
    /// Parses the key on the calling thread (`loadNativeProvingKey` does it off the event loop).
    /// A corrupt, truncated or non-zkey input fails with `ZKEY_INVALID`.
    #[napi(constructor)]
    pub fn new(zkey: Buffer) -> napi::Result<Self> {
        guard(|| Ok(NativeProvingKey { prover: Arc::new(Prover::from_zkey(&zkey).map_err(to_js)?) }))
    }

    /// Wires of the circuit (the witness length).
    #[napi(getter)]
    pub fn n_vars(&self) -> napi::Result<u32> {
        guard(|| Ok(self.prover.key.n_vars as u32))
    }

    #[napi(getter)]
    pub fn n_public(&self) -> napi::Result<u32> {
        guard(|| Ok(self.prover.key.n_public as u32))
    }

    #[napi(getter)]
    pub fn domain_size(&self) -> napi::Result<u32> {
        guard(|| Ok(self.prover.key.domain_size as u32))
    }

    /// Proves from a witness (.wtns bytes, or raw 32-byte little-endian field elements), with
    /// fresh randomness; the proof is checked under the key's own verification key before it is
    /// returned. Errors: `WITNESS_LENGTH`, `WITNESS_INVALID`, `WITNESS_UNSATISFIED`.
    #[napi(ts_return_type = "Promise<NativeGroth16Proof>")]
    pub fn prove(&self, witness: Buffer) -> napi::Result<AsyncTask<ProveTask>> {
        guard(|| Ok(AsyncTask::new(ProveTask { prover: self.prover.clone(), witness: witness.to_vec() })))
    }
}

pub struct ProveTask {
    prover: Arc<Prover>,
    witness: Vec<u8>,
}

impl Task for ProveTask {
    type Output = SnarkjsProof;
    type JsValue = NativeGroth16Proof;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| Ok(SnarkjsProof::from(&self.prover.prove_bytes(&self.witness).map_err(to_js)?)))
    }

    fn resolve(&mut self, _env: Env, p: Self::Output) -> napi::Result<Self::JsValue> {
        guard(|| {
            Ok(NativeGroth16Proof {
                pi_a: p.pi_a,
                pi_b: p.pi_b,
                pi_c: p.pi_c,
                public_signals: p.public_signals,
            })
        })
    }
}

pub struct LoadTask {
    zkey: Vec<u8>,
}

impl Task for LoadTask {
    type Output = Prover;
    type JsValue = NativeProvingKey;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| Prover::from_zkey(&self.zkey).map_err(to_js))
    }

    fn resolve(&mut self, _env: Env, prover: Self::Output) -> napi::Result<Self::JsValue> {
        guard(|| Ok(NativeProvingKey { prover: Arc::new(prover) }))
    }
}

/// Parses a .zkey on libuv's thread pool (a large key takes a while): `ZKEY_INVALID` if it is not
/// a usable BN254 Groth16 key.
#[napi(ts_return_type = "Promise<NativeProvingKey>")]
pub fn load_native_proving_key(zkey: Buffer) -> napi::Result<AsyncTask<LoadTask>> {
    guard(|| Ok(AsyncTask::new(LoadTask { zkey: zkey.to_vec() })))
}
