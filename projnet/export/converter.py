"""Keras 3 model -> .tflite bytes, builtin ops only (no Flex, no custom ops), float or full-integer int8.

`TFLiteConverter.from_keras_model` is the route checked on this machine; never
`from_concrete_functions([cf], model)`, whose output is silently NaN (DESIGN.md).
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import tensorflow as tf

from projnet.device_bench.model_file import model_ops
from projnet.errors import ProjnetError
from projnet.fd_redirect import captured_native_output


def _convert(converter: tf.lite.TFLiteConverter, what: str) -> bytes:
    converter.allow_custom_ops = False
    failure = None
    # the converter's Python warnings (e.g. "Statistics for quantized inputs were expected") are
    # chatter about its own internals: recorded, not shown
    with captured_native_output() as output, warnings.catch_warnings(record=True):
        try:
            model = converter.convert()
        except Exception as exc:  # the converter raises ConverterError and plain exceptions alike
            failure = f"{exc}\n{output()}"
    if failure is not None:
        lines = [line.strip() for line in failure.splitlines() if line.strip()]
        reason = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "unknown")
        raise ProjnetError(f"cannot convert {what} to builtin TFLite ops: {reason}")
    require_builtin_ops(model, what)
    return model


def require_builtin_ops(model: bytes, what: str) -> list[str]:
    """Refuse a model that would need Flex (select TF) or custom ops on the device."""
    ops = model_ops(model, where=what)
    foreign = sorted({op["name"] for op in ops if not op["builtin"]})
    if foreign:
        raise ProjnetError(f"{what} needs non-builtin ops ({', '.join(foreign)}); "
                           f"a stock TFLite runtime cannot run it")
    return [op["name"] for op in ops]


def convert_float(model: keras.Model, what: str = "model") -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return _convert(converter, what)


def convert_int8(model: keras.Model, representative: np.ndarray, what: str = "model") -> bytes:
    """Full-integer int8: int8 weights and activations, int8 input and output tensors.

    A model whose input is int32 ids (the hashed text student) keeps its int32 input: the converter's
    inference_input_type applies to float inputs only; the integer hashing stays int32 and everything
    after the bits (QUANTIZE, then the Dense layers) is int8. A 4-D input is an image student
    (export/student_input.py): uint8 pixels in, float32 probabilities out, as image classifiers want.
    """
    ids_input = model.inputs[0].dtype == "int32"
    rows = representative.astype(np.int32 if ids_input else np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None]] for row in rows)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if len(model.inputs[0].shape) == 4:
        converter.inference_input_type, converter.inference_output_type = tf.uint8, tf.float32
        return _convert(converter, what)
    if not ids_input:
        converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return _convert(converter, what)


def convert_dynamic(model: keras.Model, what: str = "model") -> bytes:
    """Dynamic-range: int8 weights, float input, output and activations (small tensors stay float).

    Dense weights are quantized per tensor, not per channel: per-channel hybrid FULLY_CONNECTED is op
    version 12, which tflite-runtime 2.14 (many Raspberry Pi OS installs) refuses to load; per tensor it
    is version 9. The accuracy cost is within the tests' tolerance (tests/export/test_quant_modes.py).
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter._experimental_disable_per_channel_quantization_for_dense_layers = True  # noqa: SLF001  (no public switch)
    return _convert(converter, what)


def convert_float16(model: keras.Model, what: str = "model") -> bytes:
    """float16 weights, dequantized to float32 at load time; float compute."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return _convert(converter, what)

