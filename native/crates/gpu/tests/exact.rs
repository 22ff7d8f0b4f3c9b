//! The GPU kernels against the CPU kernels at the edges of their arithmetic: the extremes of every
//! dtype, multiplier, shift, weight and table, where the emulated 64-bit paths (products, sums,
//! floor divisions, square roots) carry, borrow and round. Random models of every op are
//! cross-checked against libs/inference in TS (libs/inference/src/gpu-cross-check.spec.ts).
//!
//! Needs a GPU adapter (lavapipe will do). Without one each test says so and passes, unless
//! VERILAY_REQUIRE_GPU=1 (CI), which makes a missing adapter a failure.

use std::sync::{Arc, OnceLock};

use verilay_gpu::{Gpu, GpuError, GpuOptions};
use verilay_kernels::*;

fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| match Gpu::open(&GpuOptions::default()) {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var("VERILAY_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("VERILAY_REQUIRE_GPU=1: {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    })
    .as_ref()
}

/// A deterministic generator (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    /// Mostly the extremes of [lo, hi] and their neighbours, sometimes anything in between.
    fn edge(&mut self, lo: i64, hi: i64) -> i64 {
        match self.next() % 6 {
            0 => lo,
            1 => hi,
            2 => (lo + 1).min(hi),
            3 => (hi - 1).max(lo),
            4 => 0i64.clamp(lo, hi),
            _ => self.int(lo, hi),
        }
    }
    fn fill(&mut self, n: usize, dtype: DType) -> Vec<i32> {
        (0..n).map(|_| self.edge(dtype.min(), dtype.max()) as i32).collect()
    }
}

/// The GPU's traces equal the CPU's, each input alone and all of them in one batch.
fn same(model: Model, inputs: &[Vec<i32>]) {
    let Some(gpu) = gpu() else { return };
    same_on(gpu, model, inputs);
}

fn same_on(gpu: &Gpu, model: Model, inputs: &[Vec<i32>]) {
    let model = Arc::new(model);
    let on_gpu = gpu.load(model.clone()).expect("the GPU runs the model");
    let refs: Vec<&[i32]> = inputs.iter().map(|x| x.as_slice()).collect();
    let batched = on_gpu.run(&refs).expect("a batch runs");
    for (k, input) in inputs.iter().enumerate() {
        let expected = model.run(input).expect("the CPU runs the input");
        let alone = on_gpu.run(&[input.as_slice()]).expect("a task runs alone");
        for (t, tensor) in expected.iter().enumerate() {
            assert_eq!(&batched[k][t], tensor, "input {k}, trace tensor {t}, in a batch");
            assert_eq!(&alone[0][t], tensor, "input {k}, trace tensor {t}, alone");
        }
    }
}

fn v2(shape: Vec<usize>, dtype: DType, layers: Vec<Layer>) -> Model {
    Model::build(Format::V2, Input { shape, dtype, range: None }, layers).expect("a valid model")
}

const DTYPES: [DType; 4] = [DType::Int8, DType::Uint8, DType::Int16, DType::Int32];

#[test]
fn requantize_at_every_extreme_of_multiplier_shift_zero_point_and_input() {
    let mut rng = Rng(1);
    for shift in [0, 1, 2, 15, 30, 31, 32, 33, 47, 61, 62] {
        for multiplier in [1, 2, 0x7fff, 0x10000, 0x7fff_ffff, rng.int(1, i32::MAX as i64)] {
            let dtype = DTYPES[rng.int(0, 3) as usize];
            let zero_point = rng.edge(dtype.min(), dtype.max());
            let r = Requantization::Tensor(Requant { multiplier, shift, zero_point, dtype });
            let model = v2(vec![64], DType::Int32, vec![Layer::Requantize(r)]);
            let mut input = rng.fill(64, DType::Int32);
            input[..4].copy_from_slice(&[i32::MIN, i32::MAX, -1, 1]);
            same(model, &[input]);
        }
    }
}

#[test]
fn per_channel_requantize_follows_the_channel_axis() {
    let mut rng = Rng(2);
    for shape in [vec![6], vec![3, 6], vec![4, 3, 5]] {
        let channels = channel_axis(&shape).0;
        let scales = (0..channels).map(|_| (rng.int(1, i32::MAX as i64), rng.int(0, 62) as u32)).collect();
        let r = Requantization::Channel(ChannelRequant { scales, zero_point: -3, dtype: DType::Int16 });
        let n = shape.iter().product();
        let model = v2(shape, DType::Int32, vec![Layer::Requantize(r)]);
        same(model, &[rng.fill(n, DType::Int32), rng.fill(n, DType::Int32)]);
    }
}

#[test]
fn dense_and_conv_wrap_like_the_cpu_on_int32_inputs() {
    let mut rng = Rng(3);
    let weights = |rng: &mut Rng, n: usize| (0..n).map(|_| rng.edge(-128, 127) as i8).collect::<Vec<_>>();
    let bias = |rng: &mut Rng, n: usize| rng.fill(n, DType::Int32);
    let dense = Layer::Dense {
        in_features: 9,
        out_features: 5,
        weights: weights(&mut rng, 45),
        bias: bias(&mut rng, 5),
        requantize: None,
    };
    same(
        v2(vec![3, 9], DType::Int32, vec![dense]),
        &[rng.fill(27, DType::Int32), rng.fill(27, DType::Int32)],
    );
    let conv = Layer::Conv2d {
        in_channels: 2,
        out_channels: 3,
        kernel: [3, 2],
        stride: [2, 1],
        padding: [1, 2],
        weights: weights(&mut rng, 36),
        bias: bias(&mut rng, 3),
    };
    let model = Model::new(vec![2, 5, 4], DType::Int32, vec![conv]).expect("a valid conv");
    same(model, &[rng.fill(40, DType::Int32), rng.fill(40, DType::Int32)]);
}

#[test]
fn avgpool_sums_past_32_bits_and_rounds_half_up() {
    let mut rng = Rng(4);
    let layers = vec![Layer::AvgPool { kernel: [3, 3], stride: [1, 2] }];
    let model = Model::new(vec![2, 5, 7], DType::Int32, layers).expect("a valid pool");
    let all = |v: i32| vec![v; 70];
    same(
        model,
        &[all(i32::MIN), all(i32::MAX), all(-1), rng.fill(70, DType::Int32), rng.fill(70, DType::Int32)],
    );
}

#[test]
fn rmsnorm_and_layernorm_at_the_extremes_of_input_weight_and_eps() {
    let mut rng = Rng(5);
    for dim in [1, 2, 7, 64] {
        for input in [DType::Int8, DType::Int16] {
            for out in [DType::Int8, DType::Int16] {
                let eps = [1, 1 << 16, rng.int(1, 1 << 16)][rng.int(0, 2) as usize];
                let weight = rng.fill(dim, DType::Int32);
                let rms = Layer::RmsNorm { dim, weight, eps, dtype: out };
                let n = 3 * dim;
                let inputs = [rng.fill(n, input), vec![input.min() as i32; n], vec![input.max() as i32; n]];
                same(v2(vec![3, dim], input, vec![rms]), &inputs);
                // |weight| within the layernorm's 64-bit bound (4·dim·2^15·|w| + dim·2^32 < 2^62).
                let w = ((1i64 << 62) - ((dim as i64) << 32)) / (4 * dim as i64 * 32768) - 1;
                let weight = (0..dim)
                    .map(|_| rng.edge(-w.min(i32::MAX as i64), w.min(i32::MAX as i64)) as i32)
                    .collect();
                let ln = Layer::LayerNorm { dim, weight, bias: rng.fill(dim, DType::Int32), eps, dtype: out };
                same(v2(vec![3, dim], input, vec![ln]), &inputs);
            }
        }
    }
}

#[test]
fn a_layernorm_past_64_bits_is_refused_not_approximated() {
    let Some(gpu) = gpu() else { return };
    // 4·2^14·2^15·(2^31 − 1) + 2^14·2^32 >= 2^62.
    let dim = 1 << 14;
    let ln = Layer::LayerNorm {
        dim,
        weight: vec![i32::MAX; dim],
        bias: vec![0; dim],
        eps: 1,
        dtype: DType::Int16,
    };
    let model = Arc::new(v2(vec![dim], DType::Int16, vec![ln]));
    match gpu.load(model) {
        Err(GpuError::Unsupported(why)) => {
            assert!(why.contains("layers[0]") && why.contains("64 bits"), "{why}")
        }
        Err(other) => panic!("expected Unsupported, got {other}"),
        Ok(_) => panic!("a layernorm past 64 bits was accepted"),
    }
}

#[test]
fn rope_softmax_and_poly_gate_at_their_extremes() {
    let mut rng = Rng(6);
    for input in [DType::Int8, DType::Int16] {
        let (heads, t, half) = (2, 3, 4);
        let n = heads * t * 2 * half;
        let inputs = [rng.fill(n, input), vec![input.min() as i32; n], vec![input.max() as i32; n]];
        for shift in [1, 2, 15, 16, 29, 30] {
            let table =
                |rng: &mut Rng| (0..t * half).map(|_| rng.edge(-32768, 32767) as i16).collect::<Vec<_>>();
            let (cos, sin) = (table(&mut rng), table(&mut rng));
            let rope = Layer::Rope { shift, dtype: input, positions: t, half, cos, sin };
            same(v2(vec![heads, t, 2 * half], input, vec![rope]), &inputs);
        }
        for frac_bits in 0..=6u32 {
            for causal in [false, true] {
                let table = (0..1 << frac_bits).map(|_| rng.edge(1, 1 << 15) as i32).collect();
                let softmax = Layer::Softmax { causal, frac_bits, table };
                let n = 2 * 5 * 5;
                let inputs = [rng.fill(n, input), vec![input.max() as i32; n]];
                same(v2(vec![2, 5, 5], input, vec![softmax]), &inputs);
            }
        }
        for clip in [1i64, 7, 1 << 15] {
            let a = rng.edge(-(1 << 30) / (clip * clip), (1 << 30) / (clip * clip));
            let b_max = (1 << 30) - a.abs() * clip * clip;
            let gate = PolyGate {
                clip,
                a,
                b: rng.edge(-b_max, b_max),
                bias: rng.edge(i32::MIN as i64, i32::MAX as i64),
                requant: Requant {
                    multiplier: rng.int(1, i32::MAX as i64),
                    shift: rng.int(0, 62) as u32,
                    zero_point: 0,
                    dtype: DType::Int16,
                },
            };
            same(
                v2(vec![40], input, vec![Layer::PolyGate(gate)]),
                &[rng.fill(40, input), rng.fill(40, input)],
            );
        }
    }
}

#[test]
fn a_token_outside_the_vocabulary_voids_the_batch() {
    let Some(gpu) = gpu() else { return };
    // int16 ids (no input range): the CPU refuses the run; the GPU must not return a trace.
    let embedding = Layer::Embedding { vocab: 5, dim: 3, weights: vec![1; 15] };
    let model = Arc::new(v2(vec![4], DType::Int16, vec![embedding]));
    assert!(model.run(&[0i32, 1, 5, 2]).is_err());
    let on_gpu = gpu.load(model).expect("loads");
    assert!(on_gpu.run(&[&[0i32, 1, 2, 3][..]]).is_ok());
    assert!(matches!(
        on_gpu.run(&[&[0i32, 1, 2, 3][..], &[0, 1, 5, 2]]),
        Err(GpuError::TokenOutsideVocabulary)
    ));
    assert!(matches!(on_gpu.run(&[&[-1i32, 1, 2, 3][..]]), Err(GpuError::TokenOutsideVocabulary)));
}

#[test]
fn inputs_are_checked_as_the_cpu_checks_them() {
    let Some(gpu) = gpu() else { return };
    let model = Arc::new(Model::new(vec![3], DType::Int8, vec![Layer::Relu]).expect("valid"));
    let on_gpu = gpu.load(model.clone()).expect("loads");
    for bad in [&[1i32, 2][..], &[1, 2, 300]] {
        let cpu = model.run(bad).expect_err("the CPU refuses it");
        match on_gpu.run(&[bad]) {
            Err(GpuError::Kernel(e)) => assert_eq!(e, cpu),
            other => panic!("expected the CPU's error, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn the_same_bits_whatever_the_workgroup_size() {
    let Some(default) = gpu() else { return };
    let limits = default.info().max_compute_invocations_per_workgroup;
    // The same models and inputs for every size (a fixed seed).
    let models = || -> Vec<(Model, Vec<Vec<i32>>)> {
        let mut rng = Rng(7);
        let weights = |rng: &mut Rng, n: usize| (0..n).map(|_| rng.edge(-128, 127) as i8).collect::<Vec<_>>();
        let requant = Requant { multiplier: 0x4000_0001, shift: 37, zero_point: 3, dtype: DType::Int8 };
        let dense = Layer::Dense {
            in_features: 33,
            out_features: 17,
            weights: weights(&mut rng, 33 * 17),
            bias: rng.fill(17, DType::Int32),
            requantize: Some(Requantization::Tensor(requant)),
        };
        let conv = Layer::Conv2d {
            in_channels: 3,
            out_channels: 5,
            kernel: [3, 3],
            stride: [1, 2],
            padding: [1, 1],
            weights: weights(&mut rng, 5 * 3 * 9),
            bias: rng.fill(5, DType::Int32),
        };
        let (heads, t, half) = (2, 5, 4);
        let table = |rng: &mut Rng| (0..t * half).map(|_| rng.edge(-32768, 32767) as i16).collect::<Vec<_>>();
        let rope = Layer::Rope {
            shift: 15,
            dtype: DType::Int16,
            positions: t,
            half,
            cos: table(&mut rng),
            sin: table(&mut rng),
        };
        let softmax = Layer::Softmax {
            causal: true,
            frac_bits: 4,
            table: (0..16).map(|_| rng.edge(1, 1 << 15) as i32).collect(),
        };
        let rms =
            Layer::RmsNorm { dim: 8, weight: rng.fill(8, DType::Int32), eps: 1 << 10, dtype: DType::Int16 };
        // Past 65,535 invocations in a batch of 2, so with one invocation per workgroup the dispatch
        // needs a second dimension (maxComputeWorkgroupsPerDimension).
        let wide = 40_000;
        vec![
            (v2(vec![3, 33], DType::Int8, vec![dense]), (0..3).map(|_| rng.fill(99, DType::Int8)).collect()),
            (
                Model::new(vec![3, 7, 6], DType::Int32, vec![conv, Layer::Relu]).expect("a valid conv"),
                (0..3).map(|_| rng.fill(126, DType::Int32)).collect(),
            ),
            (
                v2(vec![heads, t, 2 * half], DType::Int16, vec![rope]),
                (0..3).map(|_| rng.fill(80, DType::Int16)).collect(),
            ),
            (
                v2(vec![2, 5, 5], DType::Int16, vec![softmax]),
                (0..3).map(|_| rng.fill(50, DType::Int16)).collect(),
            ),
            (v2(vec![4, 8], DType::Int8, vec![rms]), (0..3).map(|_| rng.fill(32, DType::Int8)).collect()),
            (
                v2(vec![wide], DType::Int32, vec![Layer::Requantize(Requantization::Tensor(requant))]),
                (0..2).map(|_| rng.fill(wide, DType::Int32)).collect(),
            ),
        ]
    };
    let sizes: Vec<u32> = [1, 7, 64, 256].into_iter().filter(|&w| w <= limits).collect();
    assert!(sizes.len() >= 3, "the adapter allows workgroups of {limits} invocations");
    for workgroup in sizes {
        let gpu = Gpu::open(&GpuOptions { workgroup: Some(workgroup), ..GpuOptions::default() })
            .unwrap_or_else(|e| panic!("a workgroup of {workgroup}: {e}"));
        for (model, inputs) in models() {
            same_on(&gpu, model, &inputs);
        }
        gpu.destroy();
    }
    assert!(matches!(
        Gpu::open(&GpuOptions { workgroup: Some(0), ..GpuOptions::default() }),
        Err(GpuError::Limit(_))
    ));
    assert!(matches!(
        Gpu::open(&GpuOptions { workgroup: Some(limits + 1), ..GpuOptions::default() }),
        Err(GpuError::Limit(_))
    ));
}
