import keras
import numpy as np
import pytest

from projnet.config import DataConfig, ProjectionConfig, StudentConfig
from projnet.data import load_dataset
from projnet.projection.bit_projection import BitProjection
from projnet.projection.student import build_student, projection_submodel
from tests.helpers import assert_keras_round_trip


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def test_bits_shape_values_and_seed():
    x = np.random.default_rng(0).standard_normal((32, 20)).astype(np.float32)
    bits = np.asarray(BitProjection(12, 8, seed=3)(x))
    assert bits.shape == (32, 96)
    assert set(np.unique(bits)) == {0.0, 1.0}
    assert 0.3 < bits.mean() < 0.7  # random hyperplanes through the origin split centred data evenly
    np.testing.assert_array_equal(bits, np.asarray(BitProjection(12, 8, seed=3)(x)))
    assert not np.array_equal(bits, np.asarray(BitProjection(12, 8, seed=4)(x)))


def test_hyperplanes_are_constants():
    layer = BitProjection(4, 4)
    layer.build((None, 10))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"num_functions": 0, "bits_per_function": 8}, "Received: num_functions=0"),
    ({"num_functions": 2000, "bits_per_function": 8}, "Received: num_functions=2000"),
    ({"num_functions": 4, "bits_per_function": 33}, "Received: bits_per_function=33"),
    ({"num_functions": 4, "bits_per_function": 2.5}, "Received: bits_per_function=2.5"),
])
def test_out_of_range_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BitProjection(**kwargs)


def test_centering_moves_planes_through_the_center(digits):
    layer = BitProjection(10, 8)
    layer.build((None, 64))
    center = digits.x_train.mean(axis=0)
    layer.center_on(center)
    projected = np.asarray(center[None, :] @ np.asarray(layer.hyperplanes) + np.asarray(layer.offsets))
    np.testing.assert_allclose(projected, 0.0, atol=1e-5)  # the centre sits on every plane
    bits = np.asarray(layer(digits.x_test))
    assert 0.35 < bits.mean() < 0.65


def test_student_round_trip_gives_identical_bits_and_logits(tmp_path, digits):
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(), digits.x_train.mean(axis=0))
    assert_keras_round_trip(student, digits.x_test, tmp_path, "student.keras")
    assert_keras_round_trip(projection_submodel(student), digits.x_test, tmp_path, "bits.keras")
    assert student.count_params() == 64 * 192 + 192 + 192 * 40 + 40 + 40 * 10 + 10


def test_tflite_bits_equal_tensorflow_bits(digits):
    """Float .tflite: identical bits. int8 .tflite: the input is quantized, so a few bits flip; report it."""
    from projnet.export.converter import convert_float, convert_int8
    from projnet.export.tflite_eval import run_tflite

    student = build_student(64, 10, ProjectionConfig(num_functions=32), StudentConfig(), digits.x_train.mean(0))
    bits_model = projection_submodel(student)
    random_inputs = np.random.default_rng(1).random((500, 64)).astype(np.float32)
    for x in (digits.x_test, random_inputs):
        expected = np.asarray(bits_model(x))
        np.testing.assert_array_equal(run_tflite(convert_float(bits_model), x), expected)
    int8_bits = run_tflite(convert_int8(bits_model, digits.x_train[:300]), digits.x_test) > 0.5
    flip_rate = np.mean(int8_bits != (np.asarray(bits_model(digits.x_test)) > 0.5))
    print(f"int8 projection bit flip rate on the digits test split: {flip_rate:.4%}")
    assert flip_rate < 0.02
