//! verilay native core: the integer kernels of libs/inference with exactly its semantics
//! (docs/model-format.md): v1's dense, conv2d, requantize, relu, maxpool, avgpool, flatten, argmax,
//! and v2's transformer ops (slots, embedding, matmul, add, mul, rmsnorm, rope, softmax, polyGate,
//! heads, argmax per row), and a whole-model run that returns the trace. Pure Rust (no Node
//! types, no floats in any kernel); the `node` crate binds it.
//!
//! A `Model` is built once (weights copied in once) and run many times. Its constructor checks
//! every shape, parameter and slot again, so any input, even one that skipped libs/inference's
//! loader, gives an error and never an out-of-bounds access.

mod dtype;
mod gate;
mod heads;
mod layer;
mod linear;
mod model;
mod norm;
mod ops;
mod rope;
mod shapes;
mod softmax;

pub use dtype::{
    channel_axis, requantize_value, ChannelRequant, DType, Requant, Requantization, MAX_REQUANT_SHIFT,
};
pub use gate::{poly_gate, PolyGate};
pub use heads::{argmax_rows, merge_heads, split_heads};
pub use layer::{Format, Input, Layer};
pub use linear::{add, dense_rows, embedding, matmul, mul, MatMulShape};
pub use model::{
    LiveSlot, Model, MAX_ELEMENT_OPS, MAX_LAYERS, MAX_LIVE_SLOTS, MAX_MACS, MAX_SLOT, MAX_TENSOR_SIZE,
    MAX_TRACE_ELEMENTS,
};
pub use norm::{isqrt, layernorm, rmsnorm};
pub use ops::{argmax, avgpool, conv2d, dense, maxpool, relu, requantize, Geometry};
pub use rope::{rope, Rope};
pub use softmax::softmax;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KernelError {
    /// A model that does not hold together (the path names the field, as libs/inference does),
    /// or (embedding) a token id outside the vocabulary at run time.
    #[error("Invalid model: {path}: {problem}")]
    Model { path: String, problem: String },
    /// The input has the wrong length (libs/inference's InvalidInputError message).
    #[error("Invalid input: expected {expected} values for shape [{shape}], got {got}")]
    InputLength { expected: usize, shape: String, got: usize },
    /// An input value is not an integer of the input dtype.
    #[error("Invalid input: element {index} is {value}, outside {dtype} [{min}, {max}] or not an integer")]
    InputValue { index: usize, value: f64, dtype: &'static str, min: i64, max: i64 },
    /// An input value is outside the model's input range (v2).
    #[error("Invalid input: element {index} is {value}, outside the input range [{lo}, {hi}]")]
    InputRange { index: usize, value: i64, lo: i64, hi: i64 },
}
