//! Binding of verilay-kernels: a model crosses once (`new NativeModel(spec)`, weights copied into
//! Rust), then each run crosses only its input and its trace.
// napi-derive registers the entry points only outside `cfg(test)`: there they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{Buffer, Either, Float64Array, Int16Array, Int32Array, Int8Array};
use napi::{Env, JsTypedArray, TypedArrayType};
use rayon::prelude::*;
use std::sync::Arc;
use verilay_kernels::{
    ChannelRequant, DType, Format, Input, KernelError, Layer, Model, PolyGate, Requant, Requantization,
};
use verilay_poseidon::{commit, fr_to_be_bytes, fr_to_hex32, state_commitment, trace_root, Fr, Values};

use crate::error::{coded, guard};
use crate::poseidon::{field_element, map_error as commit_error};

/// A requantization's fields: the `requantize` layer's, or a v2 op's fused `requantize` object.
#[napi(object)]
pub struct NativeRequantSpec {
    /// A number, or (v2) one per channel.
    pub multiplier: Option<Either<f64, Vec<f64>>>,
    pub shift: Option<Either<f64, Vec<f64>>>,
    pub zero_point: Option<f64>,
    pub dtype: Option<String>,
}

/// One layer as libs/inference describes it (only the fields of its op are read; the names are
/// docs/model-format.md's, camelCase).
#[napi(object)]
pub struct NativeLayerSpec {
    pub op: String,
    pub in_features: Option<f64>,
    pub out_features: Option<f64>,
    pub in_channels: Option<f64>,
    pub out_channels: Option<f64>,
    pub kernel: Option<Vec<f64>>,
    pub stride: Option<Vec<f64>>,
    pub padding: Option<Vec<f64>>,
    pub weights: Option<Int8Array>,
    /// int32 `[out]` for dense and conv2d; a number for polyGate.
    pub bias: Option<Either<Int32Array, f64>>,
    /// A number, or (v2 `requantize`) one per channel; polyGate's and rope's are numbers.
    pub multiplier: Option<Either<f64, Vec<f64>>>,
    pub shift: Option<Either<f64, Vec<f64>>>,
    pub zero_point: Option<f64>,
    pub dtype: Option<String>,
    /// v2: dense, matmul, add and mul.
    pub requantize: Option<NativeRequantSpec>,
    pub slot: Option<f64>,
    pub transpose_b: Option<bool>,
    pub vocab: Option<f64>,
    pub dim: Option<f64>,
    pub weight: Option<Int32Array>,
    pub eps: Option<f64>,
    pub positions: Option<f64>,
    pub half: Option<f64>,
    pub cos: Option<Int16Array>,
    pub sin: Option<Int16Array>,
    pub causal: Option<bool>,
    pub frac_bits: Option<f64>,
    pub table: Option<Int32Array>,
    pub clip: Option<f64>,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub heads: Option<f64>,
}

#[napi(object)]
pub struct NativeModelSpec {
    /// `verilay.model.v1` (the default) or `verilay.model.v2`.
    pub format: Option<String>,
    pub input_shape: Vec<f64>,
    pub input_dtype: String,
    /// v2: `[lo, hi]`, the range of every input value (token ids).
    pub input_range: Option<Vec<f64>>,
    pub layers: Vec<NativeLayerSpec>,
}

pub(crate) fn map_error(error: KernelError) -> napi::Error {
    let code = match error {
        KernelError::Model { .. } => "KERNEL_MODEL",
        KernelError::InputLength { .. } | KernelError::InputValue { .. } | KernelError::InputRange { .. } => {
            "INVALID_INPUT"
        }
    };
    coded(code, error)
}

fn model_error(path: &str, problem: impl std::fmt::Display) -> napi::Error {
    coded("KERNEL_MODEL", format!("Invalid model: {path}: {problem}"))
}

/// An integer of magnitude at most 2^32 - 1 (JS numbers are doubles: 2.5 must not truncate).
fn int(path: &str, value: Option<f64>) -> napi::Result<i64> {
    match value {
        Some(v) if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v.abs()) => Ok(v as i64),
        Some(v) => Err(model_error(path, format!("must be an integer, got {v}"))),
        None => Err(model_error(path, "is missing")),
    }
}

fn flag(path: &str, value: Option<bool>) -> napi::Result<bool> {
    value.ok_or_else(|| model_error(path, "is missing"))
}

type Scale = Option<Either<f64, Vec<f64>>>;

/// A field that must be a number (polyGate's requantize, rope's shift).
fn scalar(path: &str, value: &Scale) -> napi::Result<Option<f64>> {
    match value {
        Some(Either::A(v)) => Ok(Some(*v)),
        Some(Either::B(_)) => Err(model_error(path, "must be a number")),
        None => Ok(None),
    }
}

fn requant(path: &str, spec: &NativeRequantSpec) -> napi::Result<Requantization> {
    requantization(path, &spec.multiplier, &spec.shift, spec.zero_point, spec.dtype.as_deref())
}

/// Per tensor (two numbers) or per channel (two arrays of one length).
fn requantization(
    path: &str,
    multiplier: &Scale,
    shift: &Scale,
    zero_point: Option<f64>,
    dtype_name: Option<&str>,
) -> napi::Result<Requantization> {
    let (Some(Either::B(m)), Some(Either::B(s))) = (multiplier, shift) else {
        let (m, s) =
            (scalar(&format!("{path}.multiplier"), multiplier)?, scalar(&format!("{path}.shift"), shift)?);
        return Ok(requant_fields(path, m, s, zero_point, dtype_name)?.into());
    };
    if m.len() != s.len() {
        return Err(model_error(&format!("{path}.shift"), "must have one entry per multiplier"));
    }
    let scales = m
        .iter()
        .zip(s)
        .enumerate()
        .map(|(c, (&m, &s))| {
            let r = requant_fields(&format!("{path}[{c}]"), Some(m), Some(s), Some(0.0), Some("int32"))?;
            Ok((r.multiplier, r.shift))
        })
        .collect::<napi::Result<Vec<_>>>()?;
    let base = requant_fields(path, Some(1.0), Some(0.0), zero_point, dtype_name)?;
    Ok(Requantization::Channel(ChannelRequant { scales, zero_point: base.zero_point, dtype: base.dtype }))
}

fn requant_fields(
    path: &str,
    multiplier: Option<f64>,
    shift: Option<f64>,
    zero_point: Option<f64>,
    dtype_name: Option<&str>,
) -> napi::Result<Requant> {
    Ok(Requant {
        multiplier: int(&format!("{path}.multiplier"), multiplier)?,
        shift: u32::try_from(int(&format!("{path}.shift"), shift)?)
            .map_err(|_| model_error(&format!("{path}.shift"), "must not be negative"))?,
        zero_point: int(&format!("{path}.zeroPoint"), Some(zero_point.unwrap_or(0.0)))?,
        dtype: dtype(&format!("{path}.dtype"), dtype_name)?,
    })
}

fn size(path: &str, value: Option<f64>) -> napi::Result<usize> {
    usize::try_from(int(path, value)?).map_err(|_| model_error(path, "must not be negative"))
}

fn pair(path: &str, values: &Option<Vec<f64>>) -> napi::Result<[usize; 2]> {
    match values.as_deref() {
        Some([a, b]) => Ok([size(path, Some(*a))?, size(path, Some(*b))?]),
        _ => Err(model_error(path, "must be two integers")),
    }
}

fn dtype(path: &str, name: Option<&str>) -> napi::Result<DType> {
    name.and_then(DType::parse)
        .ok_or_else(|| model_error(path, format!("unknown dtype {}", name.unwrap_or("(none)"))))
}

fn layer(i: usize, spec: &NativeLayerSpec) -> napi::Result<Layer> {
    let path = |field: &str| format!("layers[{i}].{field}");
    let missing = |field: &str| model_error(&path(field), "is missing");
    let weights = || spec.weights.as_ref().map(|w| w.to_vec()).ok_or_else(|| missing("weights"));
    let bias = || match &spec.bias {
        Some(Either::A(b)) => Ok(b.to_vec()),
        Some(Either::B(_)) => Err(model_error(&path("bias"), "must be an Int32Array")),
        None => Err(missing("bias")),
    };
    let fused = || spec.requantize.as_ref().map(|r| requant(&path("requantize"), r)).transpose();
    let slot = || size(&path("slot"), spec.slot);
    let i16s =
        |field: &str, v: &Option<Int16Array>| v.as_ref().map(|v| v.to_vec()).ok_or_else(|| missing(field));
    let int = |field: &str, v: Option<f64>| int(&path(field), v);
    let size = |field: &str, v: Option<f64>| size(&path(field), v);
    Ok(match spec.op.as_str() {
        "dense" => Layer::Dense {
            in_features: size("inFeatures", spec.in_features)?,
            out_features: size("outFeatures", spec.out_features)?,
            weights: weights()?,
            bias: bias()?,
            requantize: fused()?,
        },
        "conv2d" => Layer::Conv2d {
            in_channels: size("inChannels", spec.in_channels)?,
            out_channels: size("outChannels", spec.out_channels)?,
            kernel: pair(&path("kernel"), &spec.kernel)?,
            stride: pair(&path("stride"), &spec.stride)?,
            padding: pair(&path("padding"), &spec.padding)?,
            weights: weights()?,
            bias: bias()?,
        },
        "requantize" => Layer::Requantize(requantization(
            &format!("layers[{i}]"),
            &spec.multiplier,
            &spec.shift,
            spec.zero_point,
            spec.dtype.as_deref(),
        )?),
        "relu" => Layer::Relu,
        "maxpool" => Layer::MaxPool {
            kernel: pair(&path("kernel"), &spec.kernel)?,
            stride: pair(&path("stride"), &spec.stride)?,
        },
        "avgpool" => Layer::AvgPool {
            kernel: pair(&path("kernel"), &spec.kernel)?,
            stride: pair(&path("stride"), &spec.stride)?,
        },
        "flatten" => Layer::Flatten,
        "argmax" => Layer::ArgMax,
        "store" => Layer::Store { slot: slot()? },
        "load" => Layer::Load { slot: slot()? },
        "embedding" => Layer::Embedding {
            vocab: size("vocab", spec.vocab)?,
            dim: size("dim", spec.dim)?,
            weights: weights()?,
        },
        "matmul" => Layer::MatMul {
            slot: slot()?,
            transpose_b: spec.transpose_b.unwrap_or(false),
            requantize: fused()?,
        },
        "add" => Layer::Add { slot: slot()?, requantize: fused()? },
        "mul" => Layer::Mul { slot: slot()?, requantize: fused()? },
        "rmsnorm" => Layer::RmsNorm {
            dim: size("dim", spec.dim)?,
            weight: spec.weight.as_ref().map(|w| w.to_vec()).ok_or_else(|| missing("weight"))?,
            eps: int("eps", spec.eps)?,
            dtype: dtype(&path("dtype"), spec.dtype.as_deref())?,
        },
        "layernorm" => Layer::LayerNorm {
            dim: size("dim", spec.dim)?,
            weight: spec.weight.as_ref().map(|w| w.to_vec()).ok_or_else(|| missing("weight"))?,
            bias: bias()?,
            eps: int("eps", spec.eps)?,
            dtype: dtype(&path("dtype"), spec.dtype.as_deref())?,
        },
        "rope" => Layer::Rope {
            shift: u32::try_from(size("shift", scalar(&path("shift"), &spec.shift)?)?).unwrap_or(u32::MAX),
            dtype: dtype(&path("dtype"), spec.dtype.as_deref())?,
            positions: size("positions", spec.positions)?,
            half: size("half", spec.half)?,
            cos: i16s("cos", &spec.cos)?,
            sin: i16s("sin", &spec.sin)?,
        },
        "softmax" => Layer::Softmax {
            causal: flag(&path("causal"), spec.causal)?,
            frac_bits: u32::try_from(size("fracBits", spec.frac_bits)?).unwrap_or(u32::MAX),
            table: spec.table.as_ref().map(|t| t.to_vec()).ok_or_else(|| missing("table"))?,
        },
        "polyGate" => Layer::PolyGate(PolyGate {
            clip: int("clip", spec.clip)?,
            a: int("a", spec.a)?,
            b: int("b", spec.b)?,
            bias: match &spec.bias {
                Some(Either::B(v)) => int("bias", Some(*v))?,
                Some(Either::A(_)) => return Err(model_error(&path("bias"), "must be a number")),
                None => return Err(missing("bias")),
            },
            requant: requant_fields(
                &format!("layers[{i}]"),
                scalar(&path("multiplier"), &spec.multiplier)?,
                scalar(&path("shift"), &spec.shift)?,
                spec.zero_point,
                spec.dtype.as_deref(),
            )?,
        }),
        "splitHeads" => Layer::SplitHeads { heads: size("heads", spec.heads)? },
        "mergeHeads" => Layer::MergeHeads,
        op => return Err(model_error(&path("op"), format!("unknown op {op}"))),
    })
}

fn format_of(name: Option<&str>) -> napi::Result<Format> {
    match name {
        None | Some("verilay.model.v1") => Ok(Format::V1),
        Some("verilay.model.v2") => Ok(Format::V2),
        Some(other) => Err(model_error("format", format!("unknown format {other}"))),
    }
}

/// A checked model held in Rust; `run` returns the execution trace (input first).
#[napi]
pub struct NativeModel {
    pub(crate) model: Arc<Model>,
}

/// The trace as JS Int32Arrays in V8's own memory (one copy). napi-rs' `Int32Array` would lend
/// V8 the Rust buffers as external memory that V8 does not count, so a loop of runs on a large
/// model (hundreds of MB a trace) never triggered a collection and grew until the OOM killer came.
pub(crate) fn trace(
    env: &Env,
    result: Result<Vec<Vec<i32>>, KernelError>,
) -> napi::Result<Vec<JsTypedArray>> {
    result
        .map_err(map_error)?
        .into_iter()
        .map(|tensor| {
            let mut buffer = env.create_arraybuffer(tensor.len() * 4)?;
            for (bytes, value) in buffer.as_mut().chunks_exact_mut(4).zip(&tensor) {
                bytes.copy_from_slice(&value.to_ne_bytes());
            }
            buffer.into_raw().into_typedarray(TypedArrayType::Int32, tensor.len(), 0)
        })
        .collect()
}

/// A task run and committed in one crossing (libs/protocol's `executeTask`): its output, the
/// state commitments h_0..h_L (h_0 under the salt) and their root, and the commitment of every
/// trace tensor (c_i; c_i = h_i where no slot is live, so always for v1 models).
#[napi(object)]
pub struct NativeExecution {
    pub output: Int32Array,
    pub trace_commitments: Vec<String>,
    pub trace_root: String,
    pub tensor_commitments: Vec<String>,
}

/// The commitments' dtype for a kernel dtype (the same four, by name).
fn commit_dtype(dtype: DType) -> verilay_poseidon::DType {
    (1..=4)
        .filter_map(verilay_poseidon::DType::from_code)
        .find(|d| d.name() == dtype.name())
        .expect("the kernels' dtypes are the commitments' dtypes")
}

/// Every trace tensor's commitment c_i. A copy (store, load, flatten) shares its source's, unless
/// the source is the salted input: about a third of a transformer's trace tensors. The others are
/// committed in parallel on rayon's global pool (one per process, a thread per core unless
/// `RAYON_NUM_THREADS` says otherwise; the replay workers' calls share it). A commitment is one
/// sequential sponge, so the parallelism is across tensors, the largest started first.
fn commit_trace(
    trace: &[Vec<i32>],
    dtypes: &[DType],
    copies: &[Option<usize>],
    salt: Fr,
) -> napi::Result<Vec<Fr>> {
    let zero = Fr::from(0u64);
    let shares = |i: usize| copies[i].filter(|&j| j > 0 || salt == zero);
    let mut own: Vec<usize> = (0..trace.len()).filter(|&i| shares(i).is_none()).collect();
    own.sort_by_key(|&i| std::cmp::Reverse(trace[i].len()));
    let mut hashed: Vec<(usize, Result<Fr, _>)> = own
        .into_par_iter()
        .with_max_len(1)
        .map(|i| {
            let salt = if i == 0 { salt } else { zero };
            (i, commit(Values::I32(&trace[i]), commit_dtype(dtypes[i]), salt))
        })
        .collect();
    // In trace order, so an error is the first tensor's, as one after another would give.
    hashed.sort_unstable_by_key(|(i, _)| *i);
    let mut hashed = hashed.into_iter();
    let mut commitments: Vec<Fr> = Vec::with_capacity(trace.len());
    for i in 0..trace.len() {
        let c = match shares(i) {
            Some(j) => commitments[j],
            None => hashed.next().expect("one commitment per tensor hashed").1.map_err(commit_error)?,
        };
        commitments.push(c);
    }
    Ok(commitments)
}

#[napi]
impl NativeModel {
    #[napi(constructor)]
    pub fn new(spec: NativeModelSpec) -> napi::Result<Self> {
        guard(|| {
            let shape = spec
                .input_shape
                .iter()
                .map(|d| size("input.shape", Some(*d)))
                .collect::<napi::Result<Vec<_>>>()?;
            let input_dtype = dtype("input.dtype", Some(&spec.input_dtype))?;
            let range = match spec.input_range.as_deref() {
                None => None,
                Some([lo, hi]) => Some([int("input.range", Some(*lo))?, int("input.range", Some(*hi))?]),
                Some(_) => return Err(model_error("input.range", "must be two integers")),
            };
            let format = format_of(spec.format.as_deref())?;
            let layers =
                spec.layers.iter().enumerate().map(|(i, l)| layer(i, l)).collect::<napi::Result<_>>()?;
            let input = Input { shape, dtype: input_dtype, range };
            Ok(Self { model: Arc::new(Model::build(format, input, layers).map_err(map_error)?) })
        })
    }

    /// The live slots of every state (`model.states` of libs/inference): state i as
    /// `[slot, traceIndex, slot, traceIndex, ...]`, ascending by slot.
    #[napi]
    pub fn states(&self) -> napi::Result<Vec<Vec<u32>>> {
        guard(|| {
            Ok(self
                .model
                .states()
                .iter()
                .map(|live| live.iter().flat_map(|(slot, j)| [*slot as u32, *j as u32]).collect())
                .collect())
        })
    }

    /// Runs on int32 values (checked against the input dtype and range).
    #[napi]
    pub fn run(&self, env: Env, input: Int32Array) -> napi::Result<Vec<JsTypedArray>> {
        guard(|| trace(&env, self.model.run(&input)))
    }

    /// Runs on any numbers (checked to be integers of the input dtype).
    #[napi]
    pub fn run_f64(&self, env: Env, input: Float64Array) -> napi::Result<Vec<JsTypedArray>> {
        guard(|| trace(&env, self.model.run(&input)))
    }

    /// Runs on int32 values and commits to the trace (`salt`: 32 big-endian bytes, none: 0).
    #[napi]
    pub fn execute(&self, input: Int32Array, salt: Option<Buffer>) -> napi::Result<NativeExecution> {
        guard(|| {
            let salt = salt_of(salt)?;
            let trace = self.model.run(&input).map_err(map_error)?;
            commit_execution(&self.model, trace, salt)
        })
    }
}

/// A salt given as 32 big-endian bytes (none: 0).
pub(crate) fn salt_of(salt: Option<Buffer>) -> napi::Result<Fr> {
    match salt {
        Some(bytes) => field_element("salt", &bytes),
        None => Ok(Fr::from(0u64)),
    }
}

/// A trace's commitments and output (what `execute` returns), whichever executor ran it.
pub(crate) fn commit_execution(
    model: &Model,
    mut trace: Vec<Vec<i32>>,
    salt: Fr,
) -> napi::Result<NativeExecution> {
    let commitments = commit_trace(&trace, model.dtypes(), &model.copies(), salt)?;
    // h_i: c_i alone, or with the commitments of the trace tensors its live slots hold.
    let states = model
        .states()
        .iter()
        .zip(&commitments)
        .map(|(live, c)| {
            let slots: Vec<Fr> = live.iter().map(|(_, j)| commitments[*j]).collect();
            state_commitment(*c, &slots).map_err(commit_error)
        })
        .collect::<napi::Result<Vec<_>>>()?;
    let bytes: Vec<[u8; 32]> = states.iter().map(|h| fr_to_be_bytes(*h)).collect();
    let root = trace_root(&bytes).ok_or_else(|| coded("KERNEL_MODEL", "a model has at least one layer"))?;
    Ok(NativeExecution {
        output: Int32Array::new(trace.pop().expect("a trace holds the input")),
        trace_commitments: states.into_iter().map(fr_to_hex32).collect(),
        trace_root: format!("0x{}", root.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        tensor_commitments: commitments.into_iter().map(fr_to_hex32).collect(),
    })
}
