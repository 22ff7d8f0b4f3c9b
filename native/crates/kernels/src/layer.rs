//! The layers of a model, as libs/inference's `Layer` describes them (docs/model-format.md).

use crate::dtype::{DType, Requantization};
use crate::gate::PolyGate;

/// The document's format: v2 adds the transformer extension and applies argmax per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    V1,
    V2,
}

/// A model's input: its shape, dtype and (v2) the range every value must lie in (token ids).
#[derive(Clone, Debug)]
pub struct Input {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub range: Option<[i64; 2]>,
}

#[derive(Clone, Debug)]
pub enum Layer {
    /// On `[in]`, or (v2) each row of `[T, in]`; v2 may fuse a requantization.
    Dense {
        in_features: usize,
        out_features: usize,
        weights: Vec<i8>,
        bias: Vec<i32>,
        requantize: Option<Requantization>,
    },
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        weights: Vec<i8>,
        bias: Vec<i32>,
    },
    Requantize(Requantization),
    Relu,
    MaxPool {
        kernel: [usize; 2],
        stride: [usize; 2],
    },
    AvgPool {
        kernel: [usize; 2],
        stride: [usize; 2],
    },
    Flatten,
    /// v1: the first maximum of the whole tensor; v2: of each row of `[N]` or `[T, N]`.
    ArgMax,
    Store {
        slot: usize,
    },
    Load {
        slot: usize,
    },
    Embedding {
        vocab: usize,
        dim: usize,
        weights: Vec<i8>,
    },
    MatMul {
        slot: usize,
        transpose_b: bool,
        requantize: Option<Requantization>,
    },
    Add {
        slot: usize,
        requantize: Option<Requantization>,
    },
    Mul {
        slot: usize,
        requantize: Option<Requantization>,
    },
    RmsNorm {
        dim: usize,
        weight: Vec<i32>,
        eps: i64,
        dtype: DType,
    },
    LayerNorm {
        dim: usize,
        weight: Vec<i32>,
        bias: Vec<i32>,
        eps: i64,
        dtype: DType,
    },
    Rope {
        shift: u32,
        dtype: DType,
        positions: usize,
        half: usize,
        cos: Vec<i16>,
        sin: Vec<i16>,
    },
    Softmax {
        causal: bool,
        frac_bits: u32,
        table: Vec<i32>,
    },
    PolyGate(PolyGate),
    SplitHeads {
        heads: usize,
    },
    MergeHeads,
}

impl Layer {
    /// The slot a layer names (store, load, and the binary ops that read and empty it).
    pub fn slot(&self) -> Option<usize> {
        match self {
            Layer::Store { slot }
            | Layer::Load { slot }
            | Layer::MatMul { slot, .. }
            | Layer::Add { slot, .. }
            | Layer::Mul { slot, .. } => Some(*slot),
            _ => None,
        }
    }

    /// Whether only format v2 has this layer (or this form of it).
    pub fn is_v2(&self) -> bool {
        match self {
            Layer::Dense { requantize, .. } => requantize.is_some(),
            Layer::Requantize(r) => r.is_v2(),
            Layer::Conv2d { .. }
            | Layer::Relu
            | Layer::MaxPool { .. }
            | Layer::AvgPool { .. }
            | Layer::Flatten
            | Layer::ArgMax => false,
            _ => true,
        }
    }
}
