//! Hand-worked kernel vectors (the same as libs/inference's specs) and hostile models. The
//! bit-exact cross-check with libs/inference on random models runs in TS
//! (libs/inference/src/model-runner.spec.ts, native-transformer.spec.ts).

use verilay_kernels::{requantize_value, DType, KernelError, Layer, Model, Requant};

#[test]
fn requantize_rounds_half_up_then_saturates() {
    use DType::*;
    let cases: &[(i32, i64, u32, i64, DType, i32)] = &[
        (3, 1, 1, 0, Int8, 2),
        (-3, 1, 1, 0, Int8, -1),
        (5, 1, 2, 0, Int8, 1),
        (-6, 1, 2, 0, Int8, -1),
        (-7, 1, 2, 0, Int8, -2),
        (7, 3, 0, 0, Int8, 21),
        (100, 3, 1, 0, Int8, 127),
        (-100, 3, 1, 0, Int8, -128),
        (-1, 1, 0, 0, Uint8, 0),
        (10, 1, 0, 250, Uint8, 255),
        (255, 1, 1, 0, Int8, 127),
        (40000, 1, 0, 0, Int16, 32767),
        (2147483647, 2147483647, 62, 0, Int8, 1),
        (-2147483648, 2147483647, 31, 0, Int32, -2147483647),
        (2147483647, 2147483647, 31, 0, Int32, 2147483646),
        (-1073741825, 1073741824, 31, 0, Int32, -536870912),
        (-2147483648, 2147483647, 0, 0, Int32, -2147483648),
    ];
    for &(x, m, s, zp, dtype, expected) in cases {
        assert_eq!(requantize_value(x, m, s, zp, dtype), expected, "requantize({x}, {m}, {s}, {zp})");
    }
}

fn conv(padding: [usize; 2], stride: [usize; 2]) -> Layer {
    Layer::Conv2d {
        in_channels: 1,
        out_channels: 1,
        kernel: [3, 3],
        stride,
        padding,
        weights: vec![1; 9],
        bias: vec![10],
    }
}

#[test]
fn conv2d_reads_zero_padding_and_strides() {
    let model = Model::new(vec![1, 3, 3], DType::Int8, vec![conv([1, 1], [2, 2])]).unwrap();
    assert_eq!(model.shapes()[1], vec![1, 2, 2]);
    let trace = model.run(&[1i32, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    // Corners of a 3x3 input padded by 1, stride 2: each window holds the corner's 2x2 block.
    assert_eq!(
        trace[1],
        vec![10 + 1 + 2 + 4 + 5, 10 + 2 + 3 + 5 + 6, 10 + 4 + 5 + 7 + 8, 10 + 5 + 6 + 8 + 9]
    );
}

#[test]
fn pools_and_argmax() {
    let pool = |avg: bool| {
        let (kernel, stride) = ([2, 2], [1, 1]);
        let layer = if avg { Layer::AvgPool { kernel, stride } } else { Layer::MaxPool { kernel, stride } };
        Model::new(vec![1, 2, 3], DType::Int8, vec![layer, Layer::Flatten, Layer::ArgMax]).unwrap()
    };
    let input = [-1i32, -5, 3, -2, -4, 0];
    let max = pool(false).run(&input).unwrap();
    assert_eq!(max[1], vec![-1, 3]);
    assert_eq!(max[3], vec![1]);
    let avg = pool(true).run(&input).unwrap();
    assert_eq!(avg[1], vec![(-12i64 + 2).div_euclid(4) as i32, (-6i64 + 2).div_euclid(4) as i32]);
    assert_eq!(avg[1], vec![-3, -1]);
    // The first maximum wins a tie.
    let tie = Model::new(vec![3], DType::Int8, vec![Layer::ArgMax]).unwrap();
    assert_eq!(tie.run(&[5i32, 7, 7]).unwrap()[1], vec![1]);
}

#[test]
fn refuses_inputs_as_libs_inference_does() {
    let model = Model::new(vec![2], DType::Uint8, vec![Layer::Relu]).unwrap();
    assert_eq!(
        model.run(&[1i32]).unwrap_err().to_string(),
        "Invalid input: expected 2 values for shape [2], got 1"
    );
    assert_eq!(
        model.run(&[1i32, 256]).unwrap_err().to_string(),
        "Invalid input: element 1 is 256, outside uint8 [0, 255] or not an integer"
    );
    assert!(model.run(&[1.0f64, 0.5]).is_err());
    assert!(model.run(&[f64::NAN, 1.0]).is_err());
}

#[test]
fn refuses_broken_and_oversized_models() {
    let is_model_error = |r: Result<Model, KernelError>| matches!(r, Err(KernelError::Model { .. }));
    // Weights of the wrong length.
    assert!(is_model_error(Model::new(
        vec![4],
        DType::Int8,
        vec![Layer::Dense {
            in_features: 4,
            out_features: 2,
            weights: vec![1; 7],
            bias: vec![0; 2],
            requantize: None
        }],
    )));
    // A dense layer on the wrong input width.
    assert!(is_model_error(Model::new(
        vec![5],
        DType::Int8,
        vec![Layer::Dense {
            in_features: 4,
            out_features: 2,
            weights: vec![1; 8],
            bias: vec![0; 2],
            requantize: None
        }],
    )));
    // A padded plane past the tensor size limit, and a product of dimensions that overflows.
    assert!(is_model_error(Model::new(vec![1, 1, 1], DType::Int8, vec![conv([4096, 4096], [1, 1])])));
    assert!(is_model_error(Model::new(vec![usize::MAX, 2], DType::Int8, vec![Layer::Relu])));
    // Parameters outside their ranges; argmax not last; pooling on a flat tensor.
    let requantize = |multiplier, shift, zero_point| {
        Layer::Requantize(Requant { multiplier, shift, zero_point, dtype: DType::Int8 }.into())
    };
    for layer in [requantize(0, 1, 0), requantize(1 << 31, 1, 0), requantize(1, 63, 0), requantize(1, 1, 128)]
    {
        assert!(is_model_error(Model::new(vec![2], DType::Int8, vec![layer])));
    }
    assert!(is_model_error(Model::new(vec![2], DType::Int8, vec![Layer::ArgMax, Layer::Relu])));
    assert!(is_model_error(Model::new(
        vec![4],
        DType::Int8,
        vec![Layer::MaxPool { kernel: [1, 1], stride: [1, 1] }]
    )));
    assert!(is_model_error(Model::new(vec![4], DType::Int8, vec![])));
}

/// Models that pass every shape check but whose one run would hold tens of GiB of trace (an
/// allocation failure aborts the process; `guard` cannot catch it) or take hours of pooling.
/// Only the constructor runs here: it must refuse them before anything is allocated.
#[test]
fn refuses_models_whose_run_would_exhaust_memory_or_time() {
    let problem = |shape: Vec<usize>, layers: Vec<Layer>| match Model::new(shape, DType::Int8, layers) {
        Err(KernelError::Model { problem, .. }) => problem,
        Err(e) => panic!("not a model error: {e}"),
        Ok(_) => "accepted".into(),
    };
    // 4,096 relus on a 2^22-element input: a 64 GiB trace.
    let relus = vec![Layer::Relu; verilay_kernels::MAX_LAYERS];
    let refused = problem(vec![verilay_kernels::MAX_TENSOR_SIZE], relus);
    assert!(refused.contains("trace"), "a 64 GiB trace: {refused}");
    // 2,000 pairs of a 1x1 conv padding the plane back to 2048x2048 and a 16x16 maxpool: under
    // the MAC limit, but ~2^39 pooling reads (hours).
    let conv = Layer::Conv2d {
        in_channels: 1,
        out_channels: 1,
        kernel: [1, 1],
        stride: [1, 1],
        padding: [7, 7],
        weights: vec![1],
        bias: vec![0],
    };
    let pair = [conv, Layer::MaxPool { kernel: [16, 16], stride: [1, 1] }];
    let layers: Vec<Layer> = (0..2000).flat_map(|_| pair.clone()).collect();
    let refused = problem(vec![1, 2034, 2034], layers);
    assert!(refused.contains("steps"), "2^39 pooling reads: {refused}");
    // What the libs' default compute budget admits still loads (2^20 trace elements, 2^24 steps).
    assert_eq!(problem(vec![1 << 16], vec![Layer::Relu; 15]), "accepted");
}
