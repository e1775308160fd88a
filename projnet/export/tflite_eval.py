"""Run a .tflite over a whole split with a TFLite runtime, quantizing inputs and outputs as it says."""

from __future__ import annotations

import numpy as np

from projnet.device_bench.expected_outputs import record_expected
from projnet.device_bench.runtime import make_interpreter
from projnet.fd_redirect import captured_native_output


def quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    scale, zero_point = detail["quantization"]
    if not np.issubdtype(dtype, np.integer) or not scale:  # float, or a plain integer input (text ids)
        return x.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(dtype)


def dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    if not scale:
        return y.astype(np.float32)
    return (y.astype(np.float32) - zero_point) * scale


def run_tflite(model: bytes, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Dequantized outputs of the model's first output for every row of `x`."""
    with captured_native_output():  # LiteRT announces its XNNPACK delegate on fd 2
        _, interpreter = make_interpreter(model, threads=1)
    (inp,) = interpreter.get_input_details()
    out = interpreter.get_output_details()[0]
    if inp["shape_signature"][0] != -1:  # a fixed batch (lsh: LSH_PROJECTION has no batch dimension)
        batch_size = int(inp["shape"][0])
    results = []
    current = None
    for start in range(0, len(x), batch_size):
        chunk = x[start:start + batch_size]
        if current != len(chunk):  # the converted models have a dynamic batch dimension
            interpreter.resize_tensor_input(inp["index"], [len(chunk), *inp["shape"][1:]])
            interpreter.allocate_tensors()
            inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
            current = len(chunk)
        interpreter.set_tensor(inp["index"], quantize(chunk, inp))
        interpreter.invoke()
        results.append(dequantize(interpreter.get_tensor(out["index"]), out))
    return np.concatenate(results)


def expected_outputs_npz(model: bytes, x: np.ndarray) -> bytes:
    """`x` quantized as the model's input says, with this runtime's raw outputs: MODEL.expected.npz."""
    from projnet.device_bench.flatbuffer_reader import dequantized_output_scale, root

    with captured_native_output():
        _, interpreter = make_interpreter(model, threads=1)
    return record_expected(interpreter, quantize(x, interpreter.get_input_details()[0]),
                           dequantized_output_scale(root(model)))
