import keras
import numpy as np
import pytest
import tensorflow as tf

from projnet.device_bench.inspect_model import describe_model
from projnet.errors import ProjnetError
from projnet.export.converter import convert_float, convert_int8, require_builtin_ops
from projnet.export.tflite_eval import dequantize, quantize


class NeedsSelectTfOps(keras.layers.Layer):
    """A layer whose op has no TFLite builtin kernel, so it would need Flex on the device."""

    def call(self, x):
        return tf.math.igamma(tf.abs(x) + 1.0, tf.abs(x) + 1.0)


def test_model_needing_flex_is_refused():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(NeedsSelectTfOps()(inputs)))
    with pytest.raises(ProjnetError, match="cannot convert odd to builtin TFLite ops"):
        convert_float(model, "odd")


def test_int8_model_is_int8_end_to_end(tmp_path):
    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Dense(16, activation="relu")(inputs)))
    x = np.random.default_rng(0).random((64, 8)).astype(np.float32)
    data = convert_int8(model, x)
    assert require_builtin_ops(data, "m") == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    info = describe_model(path)
    assert info["inputs"][0]["dtype"] == "int8" and info["outputs"][0]["dtype"] == "int8"


def test_quantize_round_trip_and_clipping():
    detail = {"dtype": np.int8, "quantization": (0.5, -10)}
    x = np.array([0.0, 1.0, 1000.0, -1000.0], np.float32)
    q = quantize(x, detail)
    assert q.tolist() == [-10, -8, 127, -128]
    np.testing.assert_allclose(dequantize(q, detail)[:2], x[:2])
