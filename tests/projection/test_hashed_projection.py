"""The hashed backend: int32 multiply-shift SimHash of feature ids, bit-exact in TensorFlow and TFLite."""

import numpy as np
import pytest

from projnet.config import ProjectionConfig, StudentConfig
from projnet.errors import UsageError
from projnet.projection.hashed_projection import HashedProjection, hash_constants, hashed_bits_numpy
from projnet.projection.layers import projection_layer
from projnet.projection.student import build_student, projection_submodel
from tests.helpers import assert_keras_round_trip, raw_outputs

MAX_IDS = 32


@pytest.fixture(scope="module")
def ids():
    """Random full-range int32 ids (products overflow int32 all the time), ragged rows padded with 0."""
    rng = np.random.default_rng(0)
    x = rng.integers(-2**31, 2**31, size=(400, MAX_IDS), dtype=np.int64).astype(np.int32)
    lengths = rng.integers(0, MAX_IDS + 1, size=400)
    x[np.arange(MAX_IDS)[None, :] >= lengths[:, None]] = 0
    x[0] = 0  # an empty text: all padding
    x[1, :3] = [1, -1, 2**31 - 1]
    return x


@pytest.fixture(scope="module")
def student():
    return build_student(MAX_IDS, 5, ProjectionConfig(backend="hashed", num_functions=16, bits_per_function=8, seed=3),
                         StudentConfig(hidden=[16]))


def test_constants_are_odd_multipliers_from_the_seed():
    a, b = hash_constants(256, 7)
    assert a.dtype == np.int32 and np.all(a & 1 == 1) and len(np.unique(a)) == 256
    np.testing.assert_array_equal(hash_constants(256, 7)[1], b)
    assert not np.array_equal(hash_constants(256, 8)[0], a)


def test_one_bit_by_hand():
    """ids 3 and 5 with A = 2^31 - 1, B = 0: 3A wraps to 2^31 - 3 (>= 0, +1), 5A wraps to 2^31 - 5 (+1) -> 1."""
    a, b = np.array([2**31 - 1, -1], np.int32), np.array([0, 0], np.int32)
    assert hashed_bits_numpy(np.array([[3, 5]], np.int32), a, b).tolist() == [[1.0, 0.0]]  # -3 and -5: both -1
    layer = HashedProjection(1, 2)
    layer.build((None, 2))
    layer.multipliers.assign(a)
    layer.offsets.assign(b)
    assert np.asarray(layer(np.array([[3, 5], [3, 0]], np.int32))).tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_keras_bits_equal_the_numpy_reference(student, ids):
    layer = projection_layer(student)
    bits = np.asarray(projection_submodel(student)(ids))
    expected = hashed_bits_numpy(ids, np.asarray(layer.multipliers), np.asarray(layer.offsets))
    np.testing.assert_array_equal(bits, expected)
    assert not bits[0].any() and 0.3 < bits[2:].mean() < 0.7


def test_int32_multiply_wraps_the_same_in_tensorflow_and_tflite():
    import keras
    import tensorflow as tf

    from projnet.device_bench.runtime import make_interpreter
    from projnet.export.converter import convert_float

    x = np.array([[2**31 - 1, -2**31, 123456789, -987654321, 65537]], np.int32)
    inputs = keras.Input((5,), dtype="int32")
    wrap = keras.layers.Lambda(lambda v: v * tf.constant(1103515245) + 12345, output_shape=(5,), dtype="int32")
    model = keras.Model(inputs, wrap(inputs))
    expected = (x.astype(np.uint32) * np.uint32(1103515245) + np.uint32(12345)).view(np.int32)
    np.testing.assert_array_equal(np.asarray(model(x)), expected)
    _, interpreter = make_interpreter(convert_float(model))
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])  # raw int32, not run_tflite's float
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tensorflow.lite"])
def test_tflite_bits_are_identical_to_tensorflow_float_and_int8(student, ids, runtime):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    bits_model = projection_submodel(student)
    expected = np.asarray(bits_model(ids))
    for mode in ("float", "int8"):
        model = convert_student(bits_model, mode, ids)
        raw, out = raw_outputs(model, ids, runtime)  # the int32 id input is checked there
        scale, zero = out["quantization"]
        got = raw.astype(np.float32)
        got = (got - zero) * scale if scale else got
        np.testing.assert_array_equal(got, expected)  # every bit, every row
        ops = {op["name"] for op in model_ops(model)}
        assert ops <= {"EQUAL", "CAST", "SUM", "EXPAND_DIMS", "MUL", "ADD", "LESS", "SUB", "GREATER", "QUANTIZE"}


def test_int8_student_keeps_int32_ids_and_int8_dense_weights(student, ids):
    from projnet.device_bench.runtime import make_interpreter
    from projnet.export.student_conversion import convert_student

    _, interpreter = make_interpreter(convert_student(student, "int8", ids))
    assert interpreter.get_input_details()[0]["dtype"] == np.int32
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    kernels = [t for t in interpreter.get_tensor_details() if len(t["shape"]) == 2 and t["shape"][0] in (16, 5)
               and t["shape"][1] in (128, 16)]
    assert {(tuple(t["shape"]), np.dtype(t["dtype"]).name) for t in kernels} >= {((16, 128), "int8"), ((5, 16), "int8")}


def test_round_trip_and_stored_weights(student, ids, tmp_path):
    layer = projection_layer(student)
    assert sorted((tuple(w.shape), w.dtype) for w in layer.weights) == [((128,), "int32"), ((128,), "int32")]
    assert_keras_round_trip(student, ids[:50], tmp_path)


def test_backend_refused_for_the_wrong_input_kind_and_quant_mode():
    from projnet.registry import check_quant_mode
    from projnet.registry import BACKENDS, check_backend_fits

    assert BACKENDS["hashed"].input_kind == "ids" and not BACKENDS["hashed"].stores_matrix
    with pytest.raises(UsageError, match="projection.backend=hashed takes ids inputs but digits has dense inputs; "
                                         "use one of: dense, structured, lsh"):
        check_backend_fits("hashed", np.zeros((2, 64), np.float32), "digits")
    with pytest.raises(UsageError, match="projection.backend=dense takes dense inputs but banking77 has ids inputs; "
                                         "use one of: hashed"):
        check_backend_fits("dense", np.zeros((2, 128), np.int32), "banking77")
    with pytest.raises(UsageError, match="export.quant=qat is not available for projection.backend=hashed: the QAT "
                                         "worker's tf_keras twin has no hashed projection"):
        check_quant_mode("qat", "hashed")
    for mode in ("int8", "dynamic", "float16"):
        check_quant_mode(mode, "hashed")
