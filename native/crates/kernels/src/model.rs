//! A model as libs/inference's `Model` describes it, checked once and run many times: the
//! current tensor, up to 15 slots, and the execution trace (docs/model-format.md).

use crate::dtype::DType;
use crate::layer::{Format, Input, Layer};
use crate::shapes::{infer, size, Info};
use crate::{gate, heads, linear, norm, ops, rope, softmax, KernelError};

/// Largest number of elements in any tensor (libs/inference's MAX_TENSOR_SIZE).
pub const MAX_TENSOR_SIZE: usize = 1 << 22;
/// Most layers (libs/inference's MAX_LAYERS).
pub const MAX_LAYERS: usize = 4096;
/// Most multiply-accumulates per run the native core accepts at all (libs/inference's loaders
/// apply their own, smaller compute budget before a model gets here).
pub const MAX_MACS: u64 = 1 << 34;
/// Most elements in a run's trace (the input and every layer's output, 4 bytes each: 512 MiB).
/// Every trace tensor is allocated by the run (a store's or load's output too: a copy); an
/// allocation failure aborts the process (no panic to catch), so the total is bounded here.
/// libs/inference's default budgets are 2^20 (v1) and 2^27 (v2: SmolLM2-135M's ~2^26.1 at T = 64),
/// so every model its loaders accept runs here too, not in the JS fallback.
pub const MAX_TRACE_ELEMENTS: u64 = 1 << 27;
/// Most per-element steps per run besides MACs, counted as libs/inference's compute budget counts
/// `elementOps`. libs/inference's default budget is 2^24.
pub const MAX_ELEMENT_OPS: u64 = 1 << 32;
/// Slots are numbered 1..=MAX_SLOT.
pub const MAX_SLOT: usize = 15;
/// Most slots live at once (a state commitment hashes the current tensor's and theirs, and a tag:
/// at most 16 Poseidon inputs).
pub const MAX_LIVE_SLOTS: usize = 14;

/// A live slot: its number and the trace tensor it holds.
pub type LiveSlot = (usize, usize);

/// A checked model: every layer's input and output shape, its dtypes and the live slots.
#[derive(Debug)]
pub struct Model {
    format: Format,
    range: [i64; 2],
    layers: Vec<Layer>,
    /// shapes[0] is the input's, shapes[i + 1] layer i's output.
    shapes: Vec<Vec<usize>>,
    dtypes: Vec<DType>,
    /// states[i]: the slots live before layer i, ascending by slot (states[L] is empty).
    states: Vec<Vec<LiveSlot>>,
    /// The trace tensor layer i reads from its slot (load and the binary ops).
    operands: Vec<Option<usize>>,
}

fn bad(path: impl Into<String>, problem: impl Into<String>) -> KernelError {
    KernelError::Model { path: path.into(), problem: problem.into() }
}

impl Model {
    /// A v1 model (no input range).
    pub fn new(input_shape: Vec<usize>, input_dtype: DType, layers: Vec<Layer>) -> Result<Self, KernelError> {
        Self::build(Format::V1, Input { shape: input_shape, dtype: input_dtype, range: None }, layers)
    }

    pub fn build(format: Format, input: Input, layers: Vec<Layer>) -> Result<Self, KernelError> {
        size(&input.shape).map_err(|p| bad("input.shape", p))?;
        let range = match input.range {
            Some(_) if format == Format::V1 => return Err(bad("input.range", "needs format v2")),
            Some([lo, hi]) if input.dtype.min() <= lo && lo <= hi && hi <= input.dtype.max() => [lo, hi],
            Some(r) => return Err(bad("input.range", format!("{r:?} must be lo <= hi within the dtype"))),
            None => [input.dtype.min(), input.dtype.max()],
        };
        if layers.is_empty() || layers.len() > MAX_LAYERS {
            return Err(bad("layers", format!("a model has 1 to {MAX_LAYERS} layers")));
        }
        let mut shapes = vec![input.shape];
        let mut dtypes = vec![input.dtype];
        let mut slots: [Option<usize>; MAX_SLOT + 1] = [None; MAX_SLOT + 1];
        let mut states = Vec::with_capacity(layers.len() + 1);
        let mut operands = Vec::with_capacity(layers.len());
        let (mut macs, mut element_ops) = (0u64, 0u64);
        let mut trace_elements = size(&shapes[0]).map_err(|p| bad("input.shape", p))? as u64;
        for (i, layer) in layers.iter().enumerate() {
            let path = format!("layers[{i}]");
            states.push(live(&slots));
            if format == Format::V1 && layer.is_v2() {
                return Err(bad(&path, "needs format v2"));
            }
            if matches!(layer, Layer::ArgMax) && i + 1 != layers.len() {
                return Err(bad(&path, "argmax must be the last layer"));
            }
            // The slot's tensor, which a load or binary op reads and empties, a store fills.
            let operand = match layer.slot() {
                Some(slot) if !(1..=MAX_SLOT).contains(&slot) => {
                    return Err(bad(format!("{path}.slot"), format!("{slot} is not in [1, {MAX_SLOT}]")))
                }
                Some(slot) if matches!(layer, Layer::Store { .. }) => {
                    if slots[slot].is_some() {
                        return Err(bad(
                            format!("{path}.slot"),
                            format!("store into slot {slot}, which is live"),
                        ));
                    }
                    slots[slot] = Some(i);
                    if slots.iter().flatten().count() > MAX_LIVE_SLOTS {
                        return Err(bad(&path, format!("more than {MAX_LIVE_SLOTS} live slots")));
                    }
                    None
                }
                Some(slot) => match slots[slot].take() {
                    Some(j) => Some(j),
                    None => return Err(bad(format!("{path}.slot"), format!("slot {slot} is empty"))),
                },
                None => None,
            };
            let x = Info { shape: &shapes[i], dtype: dtypes[i] };
            let s = operand.map(|j| Info { shape: &shapes[j], dtype: dtypes[j] });
            let step = infer(layer, format, x, s).map_err(|p| bad(&path, p))?;
            macs = macs.saturating_add(step.macs);
            element_ops = element_ops.saturating_add(step.element_ops);
            trace_elements += size(&step.shape).map_err(|p| bad(&path, p))? as u64;
            if macs > MAX_MACS {
                return Err(bad(&path, format!("over {MAX_MACS} multiply-accumulates per run")));
            }
            if trace_elements > MAX_TRACE_ELEMENTS {
                return Err(bad(&path, format!("over {MAX_TRACE_ELEMENTS} trace elements per run")));
            }
            if element_ops > MAX_ELEMENT_OPS {
                return Err(bad(&path, format!("over {MAX_ELEMENT_OPS} element steps per run")));
            }
            shapes.push(step.shape);
            dtypes.push(step.dtype);
            operands.push(operand);
        }
        if let Some((slot, _)) = live(&slots).first() {
            return Err(bad("layers", format!("slot {slot} is still live after the last layer")));
        }
        states.push(Vec::new());
        Ok(Self { format, range, layers, shapes, dtypes, states, operands })
    }

    pub fn format(&self) -> Format {
        self.format
    }
    pub fn input_size(&self) -> usize {
        self.shapes[0].iter().product()
    }
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }
    pub fn dtypes(&self) -> &[DType] {
        &self.dtypes
    }
    /// The checked layers, in order (another executor, e.g. the GPU's, runs them itself).
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    /// For layer i, the trace tensor it reads from its slot (load and the binary ops), else None.
    pub fn operands(&self) -> &[Option<usize>] {
        &self.operands
    }
    /// states[i] (i = 0..=L): the live slots before layer i as (slot, trace index), ascending by
    /// slot; libs/inference's `model.states`. A store's slot holds the trace tensor it read.
    pub fn states(&self) -> &[Vec<LiveSlot>] {
        &self.states
    }

    /// For each trace index t, `Some(j)` when trace[t] is by construction trace[j]'s values in the
    /// same dtype (a store's, load's or flatten's output; j < t), so the two share a commitment
    /// (a tensor commitment reads the values and dtype, not the shape).
    pub fn copies(&self) -> Vec<Option<usize>> {
        let mut copies = vec![None];
        copies.extend(self.layers.iter().enumerate().map(|(i, layer)| match layer {
            Layer::Store { .. } | Layer::Flatten => Some(i),
            Layer::Load { .. } => self.operands[i],
            _ => None,
        }));
        copies
    }

    /// Checks an input (libs/inference's `toInputTensor`, and the v2 input range) and returns it
    /// as int32.
    pub fn check_input<T: Copy + Into<f64>>(&self, values: &[T]) -> Result<Vec<i32>, KernelError> {
        let n = self.input_size();
        if values.len() != n {
            let shape = self.shapes[0].iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            return Err(KernelError::InputLength { expected: n, shape, got: values.len() });
        }
        let dtype = self.dtypes[0];
        let (min, max) = (dtype.min() as f64, dtype.max() as f64);
        let [lo, hi] = self.range;
        values
            .iter()
            .enumerate()
            .map(|(index, v)| {
                let value: f64 = (*v).into();
                // (NaN fails every comparison.)
                if !(value.fract() == 0.0 && value >= min && value <= max) {
                    return Err(KernelError::InputValue {
                        index,
                        value,
                        dtype: dtype.name(),
                        min: dtype.min(),
                        max: dtype.max(),
                    });
                }
                if value < lo as f64 || value > hi as f64 {
                    return Err(KernelError::InputRange { index, value: value as i64, lo, hi });
                }
                Ok(value as i32)
            })
            .collect()
    }

    /// The execution trace: trace[0] is the input, trace[i + 1] layer i's output (the current
    /// tensor after it; slots add no trace tensors).
    pub fn run<T: Copy + Into<f64>>(&self, input: &[T]) -> Result<Vec<Vec<i32>>, KernelError> {
        let mut trace = Vec::with_capacity(self.layers.len() + 1);
        trace.push(self.check_input(input)?);
        for (i, layer) in self.layers.iter().enumerate() {
            let y = self.step(i, layer, &trace)?;
            trace.push(y);
        }
        Ok(trace)
    }

    fn step(&self, i: usize, layer: &Layer, trace: &[Vec<i32>]) -> Result<Vec<i32>, KernelError> {
        let x = &trace[i];
        let (input, output) = (&self.shapes[i], &self.shapes[i + 1]);
        // The slot operand, for the layers that have one (checked at build).
        let s = || &trace[self.operands[i].expect("a slot layer has its operand")];
        let last = |shape: &[usize]| *shape.last().expect("shapes have a dimension");
        let geometry = |kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]| ops::Geometry {
            c: input[0],
            h: input[1],
            w: input[2],
            oh: output[1],
            ow: output[2],
            kernel,
            stride,
            padding,
        };
        Ok(match layer {
            Layer::Dense { in_features, out_features, weights, bias, requantize } => crate::dtype::fused(
                linear::dense_rows(*in_features, *out_features, weights, bias, x),
                output,
                requantize.as_ref(),
            ),
            Layer::Conv2d { out_channels, kernel, stride, padding, weights, bias, .. } => {
                ops::conv2d(&geometry(*kernel, *stride, *padding), *out_channels, weights, bias, x)
            }
            Layer::Requantize(r) => ops::requantize(x, input, r),
            Layer::Relu => ops::relu(x),
            Layer::MaxPool { kernel, stride } => ops::maxpool(&geometry(*kernel, *stride, [0, 0]), x),
            Layer::AvgPool { kernel, stride } => ops::avgpool(&geometry(*kernel, *stride, [0, 0]), x),
            Layer::Flatten | Layer::Store { .. } => x.clone(),
            Layer::ArgMax if self.format == Format::V1 => ops::argmax(x),
            Layer::ArgMax => heads::argmax_rows(last(input), x),
            Layer::Load { .. } => s().clone(),
            Layer::Embedding { vocab, dim, weights } => {
                linear::embedding(*vocab, *dim, weights, x).map_err(|t| {
                    bad(
                        format!("layers[{i}]"),
                        format!("token id {} at {t} is outside [0, {}]", x[t], vocab - 1),
                    )
                })?
            }
            Layer::MatMul { transpose_b, requantize, .. } => {
                let (heads, m, k) = match input.as_slice() {
                    [m, k] => (1, *m, *k),
                    [h, m, k] => (*h, *m, *k),
                    _ => unreachable!("matmul ranks are checked at build"),
                };
                let g = linear::MatMulShape { heads, m, k, n: last(output), transpose_b: *transpose_b };
                crate::dtype::fused(linear::matmul(&g, x, s()), output, requantize.as_ref())
            }
            Layer::Add { requantize, .. } => {
                crate::dtype::fused(linear::add(x, s()), output, requantize.as_ref())
            }
            Layer::Mul { requantize, .. } => {
                crate::dtype::fused(linear::mul(x, s()), output, requantize.as_ref())
            }
            Layer::RmsNorm { dim, weight, eps, dtype } => norm::rmsnorm(*dim, weight, *eps, *dtype, x),
            Layer::LayerNorm { dim, weight, bias, eps, dtype } => {
                norm::layernorm(*dim, weight, bias, *eps, *dtype, x)
            }
            Layer::Rope { shift, dtype, half, cos, sin, .. } => {
                rope::rope(&rope::Rope { shift: *shift, dtype: *dtype, half: *half, cos, sin }, x)
            }
            Layer::Softmax { causal, frac_bits, table } => {
                let m = input[input.len() - 2];
                softmax::softmax(m, last(input), *causal, *frac_bits, table, x)
            }
            Layer::PolyGate(g) => gate::poly_gate(g, x),
            Layer::SplitHeads { heads } => heads::split_heads(*heads, last(input), x),
            Layer::MergeHeads => heads::merge_heads(input[0], input[1], x),
        })
    }
}

fn live(slots: &[Option<usize>]) -> Vec<LiveSlot> {
    slots.iter().enumerate().filter_map(|(slot, j)| j.map(|j| (slot, j))).collect()
}
