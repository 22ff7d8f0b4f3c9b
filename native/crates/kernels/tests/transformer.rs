//! Hand-worked vectors for the v2 (transformer) kernels of docs/model-format.md: every expected
//! value is worked out in the comments from the doc's formulas, not computed by the kernels'
//! code. The bit-exact cross-check with libs/inference on random transformers runs in TS
//! (libs/inference/src/native-transformer.spec.ts).

use verilay_kernels::*;

fn rq(multiplier: i64, shift: u32, dtype: DType) -> Requant {
    Requant { multiplier, shift, zero_point: 0, dtype }
}
fn rqa(multiplier: i64, shift: u32, dtype: DType) -> Requantization {
    rq(multiplier, shift, dtype).into()
}

fn v2(
    shape: Vec<usize>,
    dtype: DType,
    range: Option<[i64; 2]>,
    layers: Vec<Layer>,
) -> Result<Model, KernelError> {
    Model::build(Format::V2, Input { shape, dtype, range }, layers)
}

#[test]
fn isqrt_is_the_exact_floor_root() {
    let cases: &[(u64, u64)] = &[
        (0, 0),
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 2),
        (15, 3),
        (16, 4),
        (17, 4),
        (16_130, 127), // 127² = 16129 <= 16130 < 128² = 16384
        ((1 << 52) - 1, (1 << 26) - 1),
        (1 << 52, 1 << 26),
        (u64::MAX, u32::MAX as u64), // (2^32 − 1)² = 2^64 − 2^33 + 1 <= 2^64 − 1
    ];
    for &(m, r) in cases {
        assert_eq!(isqrt(m), r, "isqrt({m})");
    }
}

#[test]
fn rmsnorm_divides_by_the_integer_root_rounding_half_up() {
    // Row [3, 4]: Σx² = 25, m = ⌊25/2⌋ + 1 = 13, r = 3; y = ⌊(2·3·10 + 3)/6⌋ = ⌊63/6⌋ = 10,
    // ⌊(2·4·20 + 3)/6⌋ = ⌊163/6⌋ = 27.
    // Row [−3, 0]: Σ = 9, m = 4 + 1 = 5, r = 2; y = ⌊(−60 + 2)/4⌋ = ⌊−14.5⌋ = −15, ⌊2/4⌋ = 0.
    assert_eq!(rmsnorm(2, &[10, 20], 1, DType::Int8, &[3, 4, -3, 0]), vec![10, 27, -15, 0]);
    // Row [127, 127]: m = 16129 + 1, r = 127; 127·1000/127 = 1000 saturates to 127;
    // ⌊(254 + 127)/254⌋ = 1. An all-zero row: m = eps = 1, r = 1, y = ⌊1/2⌋ = 0.
    assert_eq!(rmsnorm(2, &[1000, 1], 1, DType::Int8, &[127, 127, 0, 0]), vec![127, 1, 0, 0]);
    // int16 out: no saturation at 1000.
    assert_eq!(rmsnorm(2, &[1000, 1], 1, DType::Int16, &[127, 127]), vec![1000, 1]);
}

#[test]
fn layernorm_centres_divides_by_the_root_of_the_variance_and_adds_the_bias() {
    let ln = |w: &[i32], b: &[i32], eps, dtype, x: &[i32]| layernorm(w.len(), w, b, eps, dtype, x);
    // Constant row [5, 5, 5]: c = 0, m = 0 + 4, r = 2: y = ⌊6/12⌋ + bias = bias.
    assert_eq!(ln(&[10, 20, 30], &[1, -2, 3], 4, DType::Int8, &[5, 5, 5]), vec![1, -2, 3]);
    // Row [3, −1]: s = 2, c = [4, −4], m = ⌊(2·10 − 4)/4⌋ + 1 = 5, r = 2: ⌊84/8⌋ = 10, ⌊−76/8⌋ = −10;
    // row [13, 9] (the same shifted by 10) gives the same.
    assert_eq!(ln(&[10, 10], &[0, 0], 1, DType::Int8, &[3, -1, 13, 9]), vec![10, -10, 10, -10]);
    // Row [1, 0], eps 4: c = [1, −1], m = ⌊1/4⌋ + 4, r = 2: ties 2.5 → 3 and −2.5 → −2, bias 200
    // makes 198: int8 clamps it to 127, int16 keeps it.
    assert_eq!(ln(&[10, 10], &[0, 200], 4, DType::Int8, &[1, 0]), vec![3, 127]);
    assert_eq!(ln(&[10, 10], &[0, 200], 4, DType::Int16, &[1, 0]), vec![3, 198]);
}

#[test]
fn softmax_uses_the_table_and_the_shift() {
    // k = 1, table [2^15, ⌊2^15·2^−½⌉] = [32768, 23170]. Row [4, 3, 0]: mx = 4, d = [0, 1, 4],
    // z = [0, 0, 2], p = [0, 1, 0], e = [32768, 23170, 32768 >> 2 = 8192], S = 64130;
    // y = ⌊(510·e + S) / 128260⌋: 16775810 → 130, 11880830 → 92, 4242050 → 33.
    let table = [32768, 23170];
    assert_eq!(softmax(1, 3, false, 1, &table, &[4, 3, 0]), vec![130, 92, 33]);
    // Causal 2×2 [[5, 100], [1, 3]]: row 0 sees only 5: S = 32768, y = ⌊511/2⌋ = 255, masked 0.
    // Row 1: mx = 3, d = [2, 0], z = [1, 0], p = [0, 0], e = [16384, 32768], S = 49152:
    // y = ⌊8404992/98304⌋ = ⌊85.5⌋ = 85, ⌊16760832/98304⌋ = ⌊170.5⌋ = 170.
    assert_eq!(softmax(2, 2, true, 1, &table, &[5, 100, 1, 3]), vec![255, 0, 85, 170]);
    // k = 0: d = 15 shifts 2^15 to 1 (S = 32769: y = ⌊16744449/65538⌋ = 255, ⌊33279/65538⌋ = 0);
    // d = 255 > 15 gives e = 0.
    assert_eq!(softmax(1, 2, false, 0, &[32768], &[15, 0]), vec![255, 0]);
    assert_eq!(softmax(1, 2, false, 0, &[32768], &[127, -128]), vec![255, 0]);
    // Causal on [H = 2, 2, 2]: the row within each matrix decides the mask.
    assert_eq!(
        softmax(2, 2, true, 0, &[32768], &[0, 9, 0, 0, 1, 9, 0, 0]),
        vec![255, 0, 128, 128, 255, 0, 128, 128]
    );
}

#[test]
fn rope_rotates_half_pairs_in_fixed_point() {
    // [H = 2, T = 2, hd = 2], shift 2: cos = [[2], [0]], sin = [[0], [4]] (R(v) = ⌊(v + 2)/4⌋).
    // h0 t0 (3, 5): R(6) = ⌊8/4⌋ = 2, R(10) = ⌊12/4⌋ = 3.
    // h0 t1 (3, 5): R(3·0 − 5·4) = ⌊−18/4⌋ = −5, R(5·0 + 3·4) = ⌊14/4⌋ = 3.
    // h1 t0 (−1, 1): R(−2) = ⌊0/4⌋ = 0 (−½ rounds up), R(2) = ⌊4/4⌋ = 1.
    // h1 t1 (127, −128): R(0 + 512) = ⌊514/4⌋ = 128 → 127, R(0 + 508) = ⌊510/4⌋ = 127.
    let p = Rope { shift: 2, dtype: DType::Int8, half: 1, cos: &[2, 0], sin: &[0, 4] };
    assert_eq!(rope(&p, &[3, 5, 3, 5, -1, 1, 127, -128]), vec![2, 3, -5, 3, 0, 1, 127, 127]);
    // hd = 4 pairs i with i + 2: t0 cos = [4, 4], sin = [0, 0] (identity at shift 2).
    let p = Rope { shift: 2, dtype: DType::Int16, half: 2, cos: &[4, 4], sin: &[0, 0] };
    assert_eq!(rope(&p, &[1, -2, 300, 7]), vec![1, -2, 300, 7]);
}

#[test]
fn poly_gate_is_the_clipped_quadratic_times_x() {
    // clip 4, a 2, b 1, bias 10, requantize ×1 >> 1 (R(v) = ⌊(v + 1)/2⌋) into int8.
    // x = 0: g = 10, R(0) = 0. x = 1: u = 1, g = 10 + (2·9 + 1) = 29, R(29) = 15.
    // x = −1: g = 10 − 19 = −9, R(9) = 5. x = 3: g = 10 + (2·1 + 1) = 13, R(39) = 20.
    // x = −3: g = 7, R(−21) = ⌊−10⌋ = −10. x = 6: u = 4, g = 11, R(66) = 33.
    // x = −100: g = 9, R(−900) = ⌊−899/2⌋ = −450 → −128.
    let gate = PolyGate { clip: 4, a: 2, b: 1, bias: 10, requant: rq(1, 1, DType::Int8) };
    assert_eq!(poly_gate(&gate, &[0, 1, -1, 3, -3, 6, -100]), vec![0, 15, 5, 20, -10, 33, -128]);
}

#[test]
fn matmul_batched_transposed_and_requantized() {
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]; head 1:
    // [[−1,0,2],[0,0,0]] · [[2,1],[3,4],[−1,5]] = [[−2−2, −1+10], [0, 0]] = [[−4, 9], [0, 0]].
    let x = [1, 2, 3, 4, 5, 6, -1, 0, 2, 0, 0, 0];
    let s = [1, 0, 0, 1, 1, 1, 2, 1, 3, 4, -1, 5];
    let g = MatMulShape { heads: 2, m: 2, k: 3, n: 2, transpose_b: false };
    assert_eq!(matmul(&g, &x, &s), vec![4, 5, 10, 11, -4, 9, 0, 0]);
    // The same with s stored transposed ([N, K] per head).
    let st = [1, 0, 1, 0, 1, 1, 2, 3, -1, 1, 4, 5];
    assert_eq!(matmul(&MatMulShape { transpose_b: true, ..g }, &x, &st), vec![4, 5, 10, 11, -4, 9, 0, 0]);
    // Through a model: x·xᵀ of [[1,2],[3,4]] = [[5, 11], [11, 25]], then ⌊(v + 1)/2⌋ in int8.
    let layers = vec![
        Layer::Store { slot: 1 },
        Layer::MatMul { slot: 1, transpose_b: true, requantize: Some(rqa(1, 1, DType::Int8)) },
    ];
    let model = v2(vec![2, 2], DType::Int8, None, layers).unwrap();
    assert_eq!(model.run(&[1i32, 2, 3, 4]).unwrap()[2], vec![3, 6, 6, 13]);
    assert_eq!(model.dtypes()[2], DType::Int8);
}

#[test]
fn dense_rows_embedding_heads_and_argmax_rows() {
    // W = [[1, −1], [2, 3]], bias [10, −10]: [1, 2] → [9, −2]; [3, 4] → [9, 8]; ×3 >> 1:
    // 27 → 14, −6 → ⌊−5/2⌋ = −3, 27 → 14, 24 → 12.
    let dense = |requantize| Layer::Dense {
        in_features: 2,
        out_features: 2,
        weights: vec![1, -1, 2, 3],
        bias: vec![10, -10],
        requantize,
    };
    let m = v2(vec![2, 2], DType::Int8, None, vec![dense(None)]).unwrap();
    assert_eq!(m.run(&[1i32, 2, 3, 4]).unwrap()[1], vec![9, -2, 9, 8]);
    let m = v2(vec![2, 2], DType::Int8, None, vec![dense(Some(rqa(3, 1, DType::Int8)))]).unwrap();
    assert_eq!(m.run(&[1i32, 2, 3, 4]).unwrap()[1], vec![14, -3, 14, 12]);
    // Embedding rows 2, 0, 2 of [[1,2],[3,4],[5,6]].
    assert_eq!(embedding(3, 2, &[1, 2, 3, 4, 5, 6], &[2, 0, 2]), Ok(vec![5, 6, 1, 2, 5, 6]));
    assert_eq!(embedding(3, 2, &[1, 2, 3, 4, 5, 6], &[2, 3]), Err(1));
    assert_eq!(embedding(3, 2, &[1, 2, 3, 4, 5, 6], &[-1]), Err(0));
    // [[0,1,2,3],[4,5,6,7]] into 2 heads: [[[0,1],[4,5]], [[2,3],[6,7]]], and back.
    let x = [0, 1, 2, 3, 4, 5, 6, 7];
    assert_eq!(split_heads(2, 4, &x), vec![0, 1, 4, 5, 2, 3, 6, 7]);
    assert_eq!(merge_heads(2, 2, &split_heads(2, 4, &x)), x.to_vec());
    // First maximum per row; v1 takes the whole tensor.
    assert_eq!(argmax_rows(3, &[1, 5, 5, -3, -4, -3]), vec![1, 0]);
    let rows = v2(vec![2, 3], DType::Int8, None, vec![Layer::ArgMax]).unwrap();
    assert_eq!(rows.run(&[1i32, 5, 5, -3, -4, 9]).unwrap()[1], vec![1, 2]);
    let whole = Model::new(vec![2, 3], DType::Int8, vec![Layer::ArgMax]).unwrap();
    assert_eq!(whole.run(&[1i32, 5, 5, -3, -4, 9]).unwrap()[1], vec![5]);
}

#[test]
fn slots_hold_trace_tensors_and_binary_ops_empty_them() {
    // x = [−2, 0, 3]: store 1; relu → [0, 0, 3]; add 1 → [−2, 0, 6]; store 2;
    // mul 2 → [4, 0, 36], ⌊(v + 2)/4⌋ → [1, 0, 9]; store 3; relu; load 3 → [1, 0, 9] again.
    let layers = vec![
        Layer::Store { slot: 1 },
        Layer::Relu,
        Layer::Add { slot: 1, requantize: None },
        Layer::Store { slot: 2 },
        Layer::Mul { slot: 2, requantize: Some(rqa(1, 2, DType::Int8)) },
        Layer::Store { slot: 3 },
        Layer::Relu,
        Layer::Load { slot: 3 },
    ];
    let model = v2(vec![3], DType::Int8, None, layers).unwrap();
    let trace = model.run(&[-2i32, 0, 3]).unwrap();
    let expected: Vec<Vec<i32>> = vec![
        vec![-2, 0, 3],
        vec![-2, 0, 3],
        vec![0, 0, 3],
        vec![-2, 0, 6],
        vec![-2, 0, 6],
        vec![1, 0, 9],
        vec![1, 0, 9],
        vec![1, 0, 9],
        vec![1, 0, 9],
    ];
    assert_eq!(trace, expected);
    // A store at layer i fills its slot with the tensor it read, trace[i] (= trace[i + 1]).
    let states: Vec<Vec<LiveSlot>> = vec![
        vec![],
        vec![(1, 0)],
        vec![(1, 0)],
        vec![],
        vec![(2, 3)],
        vec![],
        vec![(3, 5)],
        vec![(3, 5)],
        vec![],
    ];
    assert_eq!(model.states(), states.as_slice());
    // Stores and loads copy a trace tensor (so share its commitment): 1 <- 0, 4 <- 3, 6 <- 5, 8 <- 5.
    let copies = vec![None, Some(0), None, None, Some(3), None, Some(5), None, Some(5)];
    assert_eq!(model.copies(), copies);
    assert_eq!(model.dtypes()[3], DType::Int32);
}

#[test]
fn input_range_is_checked() {
    let model = v2(vec![3], DType::Int16, Some([0, 2]), vec![Layer::Relu]).unwrap();
    assert!(model.run(&[0i32, 2, 1]).is_ok());
    assert_eq!(
        model.run(&[0i32, 3, 1]).unwrap_err().to_string(),
        "Invalid input: element 1 is 3, outside the input range [0, 2]"
    );
    assert!(matches!(model.run(&[-1i32, 0, 0]), Err(KernelError::InputRange { index: 0, .. })));
    // An id the range admits but the vocabulary does not: an error, not an out-of-bounds read.
    let embed = Layer::Embedding { vocab: 2, dim: 1, weights: vec![7, 8] };
    let model = v2(vec![2], DType::Int16, Some([0, 2]), vec![embed]).unwrap();
    assert_eq!(model.run(&[1i32, 0]).unwrap()[1], vec![8, 7]);
    assert!(matches!(model.run(&[2i32, 0]), Err(KernelError::Model { .. })));
}

#[test]
fn refuses_slot_misuse_and_malformed_v2_layers() {
    let refused = |layers: Vec<Layer>, shape: Vec<usize>| match v2(shape, DType::Int8, None, layers) {
        Err(KernelError::Model { path, problem }) => format!("{path}: {problem}"),
        Err(e) => panic!("not a model error: {e}"),
        Ok(_) => "accepted".into(),
    };
    let store = |slot| Layer::Store { slot };
    let add = |slot| Layer::Add { slot, requantize: None };
    assert_eq!(refused(vec![store(1), add(1)], vec![2]), "accepted");
    for (layers, why) in [
        (vec![store(1), store(1), add(1), add(1)], "store into slot 1, which is live"),
        (vec![add(1)], "slot 1 is empty"),
        (vec![Layer::Load { slot: 2 }], "slot 2 is empty"),
        (vec![store(0)], "0 is not in [1, 15]"),
        (vec![store(16)], "16 is not in [1, 15]"),
        (vec![store(1)], "slot 1 is still live"),
        ((1..=15).map(store).collect(), "more than 14 live slots"),
    ] {
        assert!(refused(layers, vec![2]).contains(why), "{why}");
    }
    let m = |layers| refused(layers, vec![2, 4]);
    for layer in [
        Layer::RmsNorm { dim: 3, weight: vec![1; 3], eps: 1, dtype: DType::Int8 },
        Layer::RmsNorm { dim: 4, weight: vec![1; 4], eps: 0, dtype: DType::Int8 },
        Layer::RmsNorm { dim: 4, weight: vec![1; 4], eps: 1, dtype: DType::Int32 },
        Layer::LayerNorm { dim: 3, weight: vec![1; 3], bias: vec![0; 3], eps: 1, dtype: DType::Int8 },
        Layer::LayerNorm { dim: 4, weight: vec![1; 4], bias: vec![0; 3], eps: 1, dtype: DType::Int8 },
        Layer::LayerNorm { dim: 4, weight: vec![1; 4], bias: vec![0; 4], eps: 0, dtype: DType::Int8 },
        Layer::LayerNorm { dim: 4, weight: vec![1; 4], bias: vec![0; 4], eps: 1, dtype: DType::Int32 },
        Layer::Softmax { causal: true, frac_bits: 0, table: vec![1] },
        Layer::Softmax { causal: false, frac_bits: 1, table: vec![1] },
        Layer::Softmax { causal: false, frac_bits: 0, table: vec![0] },
        Layer::Softmax { causal: false, frac_bits: 7, table: vec![1; 128] },
        Layer::Rope { shift: 1, dtype: DType::Int8, positions: 2, half: 2, cos: vec![0; 4], sin: vec![0; 4] },
        Layer::SplitHeads { heads: 3 },
        Layer::SplitHeads { heads: 0 },
        Layer::MergeHeads,
        Layer::Embedding { vocab: 4, dim: 2, weights: vec![0; 8] },
        Layer::PolyGate(PolyGate { clip: 1 << 15, a: 2, b: 0, bias: 0, requant: rq(1, 0, DType::Int8) }),
        Layer::PolyGate(PolyGate { clip: 0, a: 0, b: 0, bias: 0, requant: rq(1, 0, DType::Int8) }),
        Layer::Dense {
            in_features: 4,
            out_features: 1,
            weights: vec![0; 4],
            bias: vec![0],
            requantize: Some(rqa(0, 0, DType::Int8)),
        },
    ] {
        let name = format!("{layer:?}");
        assert_ne!(m(vec![layer]), "accepted", "{name}");
    }
    // A softmax, rope or polyGate on int32 (|x| beyond 2^15 would overflow their bounds).
    let on_int32 = |layer| {
        refused(
            vec![
                Layer::Dense {
                    in_features: 4,
                    out_features: 4,
                    weights: vec![0; 16],
                    bias: vec![0; 4],
                    requantize: None,
                },
                layer,
            ],
            vec![2, 4],
        )
    };
    assert!(on_int32(Layer::Softmax { causal: true, frac_bits: 0, table: vec![1] }).contains("int8 or int16"));
    // v2 layers, per-row dense and input ranges need format v2.
    let v1 = |shape: Vec<usize>, range, layers| {
        Model::build(Format::V1, Input { shape, dtype: DType::Int8, range }, layers)
    };
    assert!(v1(vec![2], None, vec![store(1), add(1)]).is_err());
    assert!(v1(vec![2], Some([0, 1]), vec![Layer::Relu]).is_err());
    assert!(v1(
        vec![2, 2],
        None,
        vec![Layer::Dense {
            in_features: 2,
            out_features: 1,
            weights: vec![0; 2],
            bias: vec![0],
            requantize: None
        }]
    )
    .is_err());
    // Ranges outside the dtype or reversed.
    assert!(v2(vec![2], DType::Int8, Some([0, 128]), vec![Layer::Relu]).is_err());
    assert!(v2(vec![2], DType::Int8, Some([3, 2]), vec![Layer::Relu]).is_err());
}

#[test]
fn per_channel_requantize_follows_the_channel_axis() {
    let channels = |scales: Vec<(i64, u32)>| {
        Requantization::Channel(ChannelRequant { scales, zero_point: 1, dtype: DType::Int8 })
    };
    // [T, C] = [2, 2]: channel = last axis. Channel 0: ×3 >> 1, channel 1: ×1 >> 0; zero point 1.
    // Row [5, −5] → [⌊(15 + 1)/2⌋ + 1, −5 + 1] = [9, −4]; row [−3, 200] → [⌊−8/2⌋ + 1, 127] = [−3, 127].
    let m =
        v2(vec![2, 2], DType::Int32, None, vec![Layer::Requantize(channels(vec![(3, 1), (1, 0)]))]).unwrap();
    assert_eq!(m.run(&[5i32, -5, -3, 200]).unwrap()[1], vec![9, -4, -3, 127]);
    // [C, H, W] = [2, 1, 2]: channel = first axis. [5, −5 | −3, 200] → [9, ⌊−14/2⌋ + 1 = −6 | −2, 127].
    let m = v2(vec![2, 1, 2], DType::Int32, None, vec![Layer::Requantize(channels(vec![(3, 1), (1, 0)]))])
        .unwrap();
    assert_eq!(m.run(&[5i32, -5, -3, 200]).unwrap()[1], vec![9, -6, -2, 127]);
    // Fused into dense on [T, in] (W = I): the output's last axis.
    let dense = Layer::Dense {
        in_features: 2,
        out_features: 2,
        weights: vec![1, 0, 0, 1],
        bias: vec![0, 0],
        requantize: Some(channels(vec![(3, 1), (1, 0)])),
    };
    let m = v2(vec![2, 2], DType::Int8, None, vec![dense]).unwrap();
    assert_eq!(m.run(&[5i32, -5, -3, 100]).unwrap()[1], vec![9, -4, -3, 101]);
    // One entry per channel, in v2 only, every entry in range.
    let refused = |format, scales: Vec<(i64, u32)>| {
        let layer = Layer::Requantize(channels(scales));
        Model::build(format, Input { shape: vec![2, 2], dtype: DType::Int32, range: None }, vec![layer])
            .is_err()
    };
    assert!(refused(Format::V2, vec![(3, 1)]));
    assert!(refused(Format::V2, vec![(3, 1), (3, 1), (3, 1)]));
    assert!(refused(Format::V2, vec![(3, 1), (0, 1)]));
    assert!(refused(Format::V2, vec![(3, 1), (1, 63)]));
    assert!(refused(Format::V2, vec![]));
    assert!(refused(Format::V1, vec![(3, 1), (1, 0)]));
    assert!(!refused(Format::V2, vec![(3, 1), (1, 0)]));
}
