//! verilay's GPU executor: the integer kernels of `verilay-kernels` as WGSL compute shaders run
//! through wgpu, so one code path runs on Vulkan (NVIDIA, AMD, Intel, and Mesa's lavapipe in CI),
//! Metal and DX12 (docs/gpu.md).
//!
//! Exactness: the shaders use 32-bit integer arithmetic only (wgpu's core WGSL, no 64-bit
//! feature, no float anywhere); wider values (requantization products, sums of squares, divisions,
//! square roots) are emulated exactly with pairs of u32 (shaders/wide.wgsl). A trace is bit for bit
//! the CPU kernels' trace, whatever the batch: each invocation computes one task's element (or
//! row) alone, in a fixed order.
//!
//! Use: `Gpu::open` once per process, `Gpu::load` once per model (weights uploaded once), then
//! `GpuModel::run` on batches of inputs. What the GPU cannot run exactly (a layer's bound, a limit
//! of the adapter) is a `GpuError::Unsupported` at load, and the caller runs the CPU kernels.

mod device;
mod plan;
mod run;

pub use device::{Gpu, GpuInfo, GpuOptions};
pub use run::GpuModel;

use verilay_kernels::KernelError;

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter, or no device from it.
    #[error("no usable GPU adapter: {0}")]
    Unavailable(String),
    /// The adapter lacks a limit the kernels need (the message names it).
    #[error("the GPU adapter lacks a needed limit: {0}")]
    Limit(String),
    /// A model this adapter cannot run exactly (the message names the layer and why).
    #[error("not supported on the GPU: {0}")]
    Unsupported(String),
    /// The device was lost or destroyed: nothing more runs on it.
    #[error("the GPU device is lost: {0}")]
    Lost(String),
    /// wgpu reported an error (validation, out of memory) during a run: its results are void.
    #[error("GPU error: {0}")]
    Device(String),
    /// A bad input: the CPU kernels' own error.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// An embedding met a token id outside its vocabulary: the batch's results are void and the
    /// CPU kernels give the error (with its position) for the task that has it.
    #[error("a token id is outside an embedding's vocabulary")]
    TokenOutsideVocabulary,
}
