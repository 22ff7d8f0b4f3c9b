//! A model's layers as GPU dispatches: each layer's parameters (P), int8 weights (W) and other
//! constants (A) in the layout shaders/kernels.wgsl reads, checked against what the shaders can
//! compute exactly.

use verilay_kernels::{channel_axis, DType, Format, Layer, Model, Requantization};

/// One layer's work.
pub(crate) enum Step {
    /// The layer's output is an earlier trace tensor's values (flatten, store, load).
    Alias(usize),
    Dispatch(Kernel),
}

pub(crate) struct Kernel {
    pub entry: &'static str,
    pub params: Vec<u32>,
    /// int8 weights packed four to a word, or empty.
    pub weights: Vec<u32>,
    pub aux: Vec<i32>,
    /// The trace tensor read through S, if any.
    pub operand: Option<usize>,
}

/// Words of P before the op's own.
const HEADER: usize = 16;

fn pack(weights: &[i8]) -> Vec<u32> {
    weights
        .chunks(4)
        .map(|c| c.iter().enumerate().fold(0u32, |word, (i, w)| word | ((*w as u8 as u32) << (8 * i))))
        .collect()
}

fn bounds(dtype: DType) -> [u32; 2] {
    [dtype.min() as i32 as u32, dtype.max() as i32 as u32]
}

fn bits64(v: i64) -> [u32; 2] {
    [v as u64 as u32, ((v as u64) >> 32) as u32]
}

struct Builder {
    params: Vec<u32>,
    aux: Vec<i32>,
}

impl Builder {
    fn new(x_len: usize, y_len: usize, s_len: usize, per: usize) -> Self {
        let mut params = vec![0u32; HEADER];
        params[..4].copy_from_slice(&[x_len as u32, y_len as u32, s_len as u32, per as u32]);
        Self { params, aux: Vec::new() }
    }
    /// Appends constants to A and returns their offset.
    fn aux(&mut self, values: impl IntoIterator<Item = i32>) -> u32 {
        let at = self.aux.len() as u32;
        self.aux.extend(values);
        at
    }
    fn op(&mut self, words: impl IntoIterator<Item = u32>) {
        self.params.extend(words);
    }
    /// The requantization block (words 8..15) for a tensor of `shape`.
    fn requant(&mut self, r: Option<&Requantization>, shape: &[usize]) {
        let Some(r) = r else { return };
        let (scales, zero_point, dtype): (Vec<(i64, u32)>, i64, DType) = match r {
            Requantization::Tensor(t) => (vec![(t.multiplier, t.shift)], t.zero_point, t.dtype),
            Requantization::Channel(c) => (c.scales.clone(), c.zero_point, c.dtype),
        };
        let (channels, inner) = match r {
            Requantization::Tensor(_) => (1, 1),
            Requantization::Channel(_) => channel_axis(shape),
        };
        let at = self.aux(scales.iter().flat_map(|&(m, s)| [m as i32, s as i32]));
        let [lo, hi] = bounds(dtype);
        self.params[8..15].copy_from_slice(&[
            1,
            zero_point as i32 as u32,
            lo,
            hi,
            channels as u32,
            inner as u32,
            at,
        ]);
    }
    fn kernel(self, entry: &'static str, weights: Vec<u32>, operand: Option<usize>) -> Step {
        Step::Dispatch(Kernel { entry, params: self.params, weights, aux: self.aux, operand })
    }
}

/// The largest |x| of an int8 or int16 tensor (the norms' inputs).
fn magnitude(dtype: DType) -> i128 {
    -(dtype.min() as i128)
}

/// Layer i's step, or why the shaders cannot compute it exactly.
pub(crate) fn step(model: &Model, i: usize) -> Result<Step, String> {
    let layer = &model.layers()[i];
    let (input, output) = (&model.shapes()[i], &model.shapes()[i + 1]);
    let len = |shape: &[usize]| shape.iter().product::<usize>();
    let (x_len, y_len) = (len(input), len(output));
    let operand = model.operands()[i];
    let s_len = operand.map_or(0, |j| len(&model.shapes()[j]));
    let last = |shape: &[usize]| *shape.last().expect("shapes have a dimension");
    let each = |per: usize| Builder::new(x_len, y_len, s_len, per);
    Ok(match layer {
        Layer::Flatten | Layer::Store { .. } => Step::Alias(i),
        Layer::Load { .. } => Step::Alias(operand.expect("a load has its slot's tensor")),
        Layer::Dense { in_features, out_features, weights, bias, requantize } => {
            let mut b = each(y_len);
            let at = b.aux(bias.iter().copied());
            b.op([*in_features as u32, *out_features as u32, at]);
            b.requant(requantize.as_ref(), output);
            b.kernel("dense", pack(weights), None)
        }
        Layer::Conv2d { in_channels, kernel, stride, padding, weights, bias, .. } => {
            let mut b = each(y_len);
            let at = b.aux(bias.iter().copied());
            b.op([*in_channels, input[1], input[2], output[1], output[2]].map(|v| v as u32));
            b.op([kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1]].map(|v| v as u32));
            b.op([at]);
            b.kernel("conv2d", pack(weights), None)
        }
        Layer::Requantize(r) => {
            let mut b = each(y_len);
            b.requant(Some(r), input);
            b.kernel("requantize", Vec::new(), None)
        }
        Layer::Relu => each(y_len).kernel("relu", Vec::new(), None),
        Layer::MaxPool { kernel, stride } | Layer::AvgPool { kernel, stride } => {
            let mut b = each(y_len);
            b.op([input[0], input[1], input[2], output[1], output[2]].map(|v| v as u32));
            b.op([kernel[0], kernel[1], stride[0], stride[1]].map(|v| v as u32));
            let entry = if matches!(layer, Layer::MaxPool { .. }) { "maxpool" } else { "avgpool" };
            b.kernel(entry, Vec::new(), None)
        }
        Layer::ArgMax => {
            let n = if model.format() == Format::V1 { x_len } else { last(input) };
            let mut b = each(x_len / n);
            b.op([n as u32]);
            b.kernel("argmax", Vec::new(), None)
        }
        Layer::Embedding { vocab, dim, weights } => {
            let mut b = each(y_len);
            b.op([*vocab as u32, *dim as u32]);
            b.kernel("embedding", pack(weights), None)
        }
        Layer::MatMul { transpose_b, requantize, .. } => {
            let (heads, m, k) = match input.as_slice() {
                [m, k] => (1, *m, *k),
                [h, m, k] => (*h, *m, *k),
                _ => return Err("matmul of rank other than 2 or 3".into()),
            };
            let mut b = each(y_len);
            b.op([heads, m, k, last(output), *transpose_b as usize].map(|v| v as u32));
            b.requant(requantize.as_ref(), output);
            b.kernel("matmul", Vec::new(), operand)
        }
        Layer::Add { requantize, .. } | Layer::Mul { requantize, .. } => {
            let mut b = each(y_len);
            b.op([matches!(layer, Layer::Mul { .. }) as u32]);
            b.requant(requantize.as_ref(), output);
            b.kernel("binary", Vec::new(), operand)
        }
        Layer::RmsNorm { dim, weight, eps, dtype } => {
            let mut b = each(x_len / dim);
            let at = b.aux(weight.iter().copied());
            b.op([*dim as u32]);
            b.op(bits64(*eps));
            b.op(bounds(*dtype));
            b.op([at]);
            b.kernel("rmsnorm", Vec::new(), None)
        }
        Layer::LayerNorm { dim, weight, bias, eps, dtype } => {
            // 2·(d·x − s)·w + d·r in 64 bits: |d·x − s| <= 2·d·max|x|, r < 2^32.
            let d = *dim as i128;
            let w = weight.iter().map(|v| (*v as i128).abs()).max().unwrap_or(0);
            let bound = 4 * d * magnitude(model.dtypes()[i]) * w + (d << 32);
            if bound >= 1 << 62 {
                return Err(format!(
                    "layernorm of dim {dim} with |weight| up to {w} needs more than 64 bits"
                ));
            }
            let mut b = each(x_len / dim);
            let (wa, ba) = (b.aux(weight.iter().copied()), b.aux(bias.iter().copied()));
            b.op([*dim as u32]);
            b.op(bits64(*eps));
            b.op(bounds(*dtype));
            b.op([wa, ba]);
            b.kernel("layernorm", Vec::new(), None)
        }
        Layer::Rope { shift, dtype, positions, half, cos, sin } => {
            let mut b = each(x_len / 2);
            let (ca, sa) = (b.aux(cos.iter().map(|v| *v as i32)), b.aux(sin.iter().map(|v| *v as i32)));
            b.op([*shift]);
            b.op(bounds(*dtype));
            b.op([*half as u32, *positions as u32, ca, sa]);
            b.kernel("rope", Vec::new(), None)
        }
        Layer::Softmax { causal, frac_bits, table } => {
            let n = last(input);
            let mut b = each(x_len / n);
            let at = b.aux(table.iter().copied());
            b.op([input[input.len() - 2] as u32, n as u32, *causal as u32, *frac_bits, at]);
            b.kernel("softmax", Vec::new(), None)
        }
        Layer::PolyGate(g) => {
            let mut b = each(y_len);
            b.op([g.clip, g.a, g.b, g.bias].map(|v| v as i32 as u32));
            b.requant(Some(&g.requant.into()), output);
            b.kernel("poly_gate", Vec::new(), None)
        }
        Layer::SplitHeads { heads } => {
            let mut b = each(y_len);
            b.op([*heads as u32, last(input) as u32]);
            b.kernel("split_heads", Vec::new(), None)
        }
        Layer::MergeHeads => {
            let mut b = each(y_len);
            b.op([input[0] as u32, input[1] as u32]);
            b.kernel("merge_heads", Vec::new(), None)
        }
    })
}
