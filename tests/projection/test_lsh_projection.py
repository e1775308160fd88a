"""The lsh backend: TFLite's LSH_PROJECTION written into the flatbuffer, bit-exact with its plain-TF twin."""

import numpy as np
import pytest

from projnet.config import DataConfig, ProjectionConfig, StudentConfig
from projnet.data import load_dataset
from projnet.projection.lsh_projection import LshProjection, fingerprint_matrix
from projnet.projection.layers import projection_layer
from projnet.projection.student import build_student, projection_submodel
from tests.helpers import assert_keras_round_trip


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


@pytest.fixture(scope="module")
def student(digits):
    return build_student(64, 10, ProjectionConfig(backend="lsh", num_functions=12, bits_per_function=8),
                         StudentConfig(hidden=[16]), digits.x_train.mean(axis=0))


def test_refuses_more_than_32_bits_per_function():
    with pytest.raises(ValueError, match="Received: bits_per_function=33"):
        LshProjection(4, 33)


def test_fingerprints_are_farmhash64_of_seed_and_id_bytes():
    """Reference: tf.fingerprint of one hand-built key, the 4 float bytes of the seed then the 4 int32 id bytes."""
    import tensorflow as tf

    seeds = np.array([[0.5, -1.25]], np.float32)
    matrix = fingerprint_matrix(seeds, 3)  # (3, 2)
    key = np.frombuffer(np.float32(-1.25).tobytes() + np.int32(2).tobytes(), np.uint8)[None, :]  # (1, 8)
    expected = tf.bitcast(tf.fingerprint(tf.constant(key), method="farmhash64"), tf.int64).numpy()[0]
    assert matrix.shape == (3, 2) and matrix[2, 1] == float(expected)
    assert len(np.unique(matrix)) == 6


def test_stores_only_seeds_and_center(student, digits, tmp_path):
    layer = projection_layer(student)
    assert sorted(tuple(w.shape) for w in layer.weights) == [(12, 8), (64,)]
    assert_keras_round_trip(student, digits.x_test[:50], tmp_path)


def test_tflite_runs_lsh_projection_with_identical_bits_and_logits(student, digits):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student
    from projnet.export.tflite_eval import run_tflite
    from projnet.trainer.joint_training import predict_logits

    bits_model = projection_submodel(student)
    bits = run_tflite(convert_student(bits_model, "float"), digits.x_test)
    np.testing.assert_array_equal(bits, predict_logits(bits_model, digits.x_test))
    assert 0.4 < bits.mean() < 0.6
    model = convert_student(student, "float")
    assert [op["name"] for op in model_ops(model)] == [
        "SUB", "RESHAPE", "LSH_PROJECTION", "CAST", "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED"]
    np.testing.assert_array_equal(run_tflite(model, digits.x_test), predict_logits(student, digits.x_test))
    for mode in ("dynamic", "float16"):
        logits = run_tflite(convert_student(student, mode), digits.x_test)
        assert np.mean(logits.argmax(1) == predict_logits(student, digits.x_test).argmax(1)) >= 0.97
