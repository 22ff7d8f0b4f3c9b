//! Each layer's output shape and dtype from its input's, and what it costs (the native core's
//! own caps, counted as libs/inference's compute budget counts them). Any layer that does not
//! fit its input is refused here, so a run never indexes out of bounds.

use crate::dtype::DType;
use crate::layer::{Format, Layer};
use crate::model::MAX_TENSOR_SIZE;

/// Most pooling window elements (libs/inference's MAX_POOL_WINDOW).
const MAX_POOL_WINDOW: usize = 256;
/// The softmax's largest `fracBits`.
const MAX_FRAC_BITS: u32 = 6;
/// The largest rope shift.
const MAX_ROPE_SHIFT: u32 = 30;

/// A layer's output and cost.
pub struct Step {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub macs: u64,
    pub element_ops: u64,
}

/// A tensor's static description as the checks read it.
#[derive(Clone, Copy)]
pub struct Info<'a> {
    pub shape: &'a [usize],
    pub dtype: DType,
}

pub fn size(shape: &[usize]) -> Result<usize, String> {
    let n = shape.iter().try_fold(1usize, |a, &d| if d == 0 { None } else { a.checked_mul(d) });
    match n {
        Some(n) if !shape.is_empty() && shape.len() <= 3 && n <= MAX_TENSOR_SIZE => Ok(n),
        _ => Err(format!(
            "shape {shape:?} must have 1 to 3 positive dimensions and at most {MAX_TENSOR_SIZE} elements"
        )),
    }
}

fn window(name: &str, values: [usize; 2], min: usize) -> Result<(), String> {
    match values.iter().all(|v| (min..=4096).contains(v)) {
        true => Ok(()),
        false => Err(format!("{name} {values:?} must be integers in [{min}, 4096]")),
    }
}

fn narrow(op: &str, x: Info) -> Result<(), String> {
    match x.dtype.is_narrow_signed() {
        true => Ok(()),
        false => Err(format!("{op} reads int8 or int16, got {}", x.dtype.name())),
    }
}

fn narrow_out(op: &str, dtype: DType) -> Result<(), String> {
    match dtype.is_narrow_signed() {
        true => Ok(()),
        false => Err(format!("{op} writes int8 or int16, not {}", dtype.name())),
    }
}

fn operand<'a>(op: &str, s: Option<Info<'a>>) -> Result<Info<'a>, String> {
    s.ok_or_else(|| format!("{op} reads an empty slot"))
}

/// The output of `layer` on `x` (`s`: the tensor in the slot it names, if live).
pub fn infer(layer: &Layer, format: Format, x: Info, s: Option<Info>) -> Result<Step, String> {
    let (mut macs, shape, dtype) = (0u64, x.shape, x.dtype);
    let requant = match layer {
        Layer::Requantize(r) => Some(r),
        Layer::Dense { requantize, .. }
        | Layer::MatMul { requantize, .. }
        | Layer::Add { requantize, .. }
        | Layer::Mul { requantize, .. } => requantize.as_ref(),
        _ => None,
    };
    if requant.is_some_and(|r| !r.is_valid()) {
        return Err("requantize: multiplier in [1, 2^31-1], shift in [0, 62], zeroPoint in the dtype".into());
    }
    let (shape, dtype): (Vec<usize>, DType) = match layer {
        Layer::Dense { in_features, out_features, weights, bias, requantize } => {
            let rows = match shape {
                [n] if n == in_features => None,
                [t, n] if n == in_features && format == Format::V2 => Some(*t),
                _ => {
                    return Err(format!(
                        "dense expects input [{in_features}] or [T, {in_features}], got {shape:?}"
                    ))
                }
            };
            if Some(weights.len()) != in_features.checked_mul(*out_features) || bias.len() != *out_features {
                return Err("weights must be [out][in] and bias [out]".into());
            }
            macs = [rows.unwrap_or(1), *in_features, *out_features]
                .iter()
                .fold(1u64, |a, d| a.saturating_mul(*d as u64));
            let out = rows.map_or(vec![*out_features], |t| vec![t, *out_features]);
            (out, requantize.as_ref().map_or(DType::Int32, |r| r.dtype()))
        }
        Layer::Conv2d { in_channels, out_channels, kernel, stride, padding, weights, bias } => {
            window("kernel", *kernel, 1)?;
            window("stride", *stride, 1)?;
            window("padding", *padding, 0)?;
            let &[c, h, w] = shape else {
                return Err(format!("conv2d expects input [C, H, W], got {shape:?}"));
            };
            if c != *in_channels {
                return Err(format!("conv2d expects {in_channels} channels, got {c}"));
            }
            let (ph, pw) = (h + 2 * padding[0], w + 2 * padding[1]);
            if ph < kernel[0] || pw < kernel[1] {
                return Err("kernel larger than the padded input".into());
            }
            let fan_in = c * kernel[0] * kernel[1];
            if Some(weights.len()) != out_channels.checked_mul(fan_in) || bias.len() != *out_channels {
                return Err("weights must be [out][in][kh][kw] and bias [out]".into());
            }
            let out = vec![*out_channels, (ph - kernel[0]) / stride[0] + 1, (pw - kernel[1]) / stride[1] + 1];
            macs = size(&out)? as u64 * fan_in as u64;
            (out, DType::Int32)
        }
        Layer::Requantize(r) => (shape.to_vec(), r.dtype()),
        Layer::Relu => (shape.to_vec(), dtype),
        Layer::MaxPool { kernel, stride } | Layer::AvgPool { kernel, stride } => {
            window("kernel", *kernel, 1)?;
            window("stride", *stride, 1)?;
            let &[c, h, w] = shape else {
                return Err(format!("pooling expects input [C, H, W], got {shape:?}"));
            };
            if kernel[0] > h || kernel[1] > w || kernel[0] * kernel[1] > MAX_POOL_WINDOW {
                return Err("window larger than the input or than 256".into());
            }
            (vec![c, (h - kernel[0]) / stride[0] + 1, (w - kernel[1]) / stride[1] + 1], dtype)
        }
        Layer::Flatten => (vec![shape.iter().product()], dtype),
        Layer::ArgMax => match (format, shape) {
            (Format::V1, _) | (Format::V2, [_]) => (vec![1], DType::Int32),
            (Format::V2, [t, _]) => (vec![*t], DType::Int32),
            _ => return Err(format!("argmax expects [N] or [T, N], got {shape:?}")),
        },
        Layer::Store { .. } => (shape.to_vec(), dtype),
        Layer::Load { .. } => {
            let s = operand("load", s)?;
            (s.shape.to_vec(), s.dtype)
        }
        Layer::Embedding { vocab, dim, weights } => {
            if shape.len() != 1 {
                return Err(format!("embedding expects token ids [T], got {shape:?}"));
            }
            if *vocab == 0 || *dim == 0 || Some(weights.len()) != vocab.checked_mul(*dim) {
                return Err("weights must be [vocab][dim], both positive".into());
            }
            (vec![shape[0], *dim], DType::Int8)
        }
        Layer::MatMul { transpose_b, requantize, .. } => {
            let s = operand("matmul", s)?.shape;
            let ((heads, m, k), (sh, sk, n)) = match (shape, s) {
                ([m, k], [a, b]) => ((1, *m, *k), (1, *a, *b)),
                ([h, m, k], [g, a, b]) => ((*h, *m, *k), (*g, *a, *b)),
                _ => return Err(format!("matmul of {shape:?} and {s:?}: ranks 2 or 3, the same")),
            };
            let (sk, n) = if *transpose_b { (n, sk) } else { (sk, n) };
            if heads != sh || k != sk {
                return Err(format!("matmul of {shape:?} and {s:?} (transposeB {transpose_b})"));
            }
            macs = [heads, m, n, k].iter().fold(1u64, |a, d| a.saturating_mul(*d as u64));
            let out = if shape.len() == 3 { vec![heads, m, n] } else { vec![m, n] };
            (out, requantize.as_ref().map_or(DType::Int32, |r| r.dtype()))
        }
        Layer::Add { requantize, .. } | Layer::Mul { requantize, .. } => {
            let s = operand("add/mul", s)?.shape;
            if s != shape {
                return Err(format!("element-wise op on {shape:?} and {s:?}"));
            }
            (shape.to_vec(), requantize.as_ref().map_or(DType::Int32, |r| r.dtype()))
        }
        Layer::RmsNorm { dim, weight, eps, dtype: out } => {
            narrow("rmsnorm", x)?;
            narrow_out("rmsnorm", *out)?;
            if shape.last() != Some(dim) || weight.len() != *dim {
                return Err(format!("rmsnorm over {dim} on {shape:?} with {} weights", weight.len()));
            }
            if !(1..=1 << 16).contains(eps) {
                return Err(format!("eps {eps} must be in [1, 2^16]"));
            }
            (shape.to_vec(), *out)
        }
        Layer::LayerNorm { dim, weight, bias, eps, dtype: out } => {
            narrow("layernorm", x)?;
            narrow_out("layernorm", *out)?;
            if shape.last() != Some(dim) || weight.len() != *dim || bias.len() != *dim {
                return Err(format!(
                    "layernorm over {dim} on {shape:?} with {} weights and {} biases",
                    weight.len(),
                    bias.len()
                ));
            }
            if !(1..=1 << 16).contains(eps) {
                return Err(format!("eps {eps} must be in [1, 2^16]"));
            }
            (shape.to_vec(), *out)
        }
        Layer::Rope { shift, dtype: out, positions, half, cos, sin } => {
            narrow("rope", x)?;
            narrow_out("rope", *out)?;
            if !(1..=MAX_ROPE_SHIFT).contains(shift) {
                return Err(format!("shift {shift} must be in [1, {MAX_ROPE_SHIFT}]"));
            }
            if !matches!(shape, [_, t, hd] if t == positions && *hd == 2 * half) {
                return Err(format!(
                    "rope of [{positions}][{half}] on {shape:?}: expects [H, {positions}, 2·{half}]"
                ));
            }
            if Some(cos.len()) != positions.checked_mul(*half) || cos.len() != sin.len() {
                return Err("cos and sin must be [positions][half]".into());
            }
            (shape.to_vec(), *out)
        }
        Layer::Softmax { causal, frac_bits, table } => {
            narrow("softmax", x)?;
            let [.., m, n] = shape else {
                return Err(format!("softmax expects [.., M, N], got {shape:?}"));
            };
            if *causal && m != n {
                return Err(format!("a causal softmax expects square matrices, got {shape:?}"));
            }
            if *frac_bits > MAX_FRAC_BITS || table.len() != 1 << frac_bits {
                return Err(format!("fracBits in [0, {MAX_FRAC_BITS}] and a table of 2^fracBits"));
            }
            if table.iter().any(|v| !(1..=1 << 15).contains(v)) {
                return Err("table values must be in [1, 2^15]".into());
            }
            (shape.to_vec(), DType::Uint8)
        }
        Layer::PolyGate(gate) => {
            narrow("polyGate", x)?;
            if !gate.is_valid() {
                return Err("clip in [1, 2^15], |a|·clip² + |b| <= 2^30, a requantization in range".into());
            }
            (shape.to_vec(), gate.requant.dtype)
        }
        Layer::SplitHeads { heads } => match shape {
            [t, d] if *heads > 0 && d % heads == 0 => (vec![*heads, *t, d / heads], dtype),
            _ => return Err(format!("splitHeads({heads}) expects [T, H·hd], got {shape:?}")),
        },
        Layer::MergeHeads => match shape {
            [h, t, hd] => (vec![*t, h * hd], dtype),
            _ => return Err(format!("mergeHeads expects [H, T, hd], got {shape:?}")),
        },
    };
    if requant.is_some_and(|r| !r.fits(&shape)) {
        return Err(format!(
            "per-channel requantize needs one multiplier and shift per channel of {shape:?}"
        ));
    }
    let (inputs, outputs) = (size(x.shape)? as u64, size(&shape)? as u64);
    let element_ops = match layer {
        Layer::Requantize(_) | Layer::Relu | Layer::ArgMax => inputs,
        Layer::MaxPool { kernel, .. } | Layer::AvgPool { kernel, .. } => {
            outputs * (kernel[0] * kernel[1]) as u64
        }
        Layer::Flatten
        | Layer::Store { .. }
        | Layer::Load { .. }
        | Layer::SplitHeads { .. }
        | Layer::MergeHeads => 0,
        Layer::RmsNorm { .. } | Layer::LayerNorm { .. } | Layer::Softmax { .. } => inputs + outputs,
        _ => outputs,
    };
    Ok(Step { shape, dtype, macs, element_ops })
}
