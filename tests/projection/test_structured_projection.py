"""The structured backend: no stored matrix, identical bits in TF and TFLite float, a third of dense's size."""

import numpy as np
import pytest

from projnet.config import DataConfig, ProjectionConfig, StudentConfig
from projnet.data import load_dataset
from projnet.projection.structured_projection import StructuredProjection, hadamard, padded_size
from projnet.projection.student import build_student, projection_submodel
from tests.helpers import assert_keras_round_trip


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def test_hadamard_is_orthogonal_and_sizes_pad_to_powers_of_two():
    h = hadamard(32)
    np.testing.assert_array_equal(h @ h.T, 32 * np.eye(32))
    assert set(np.unique(h)) == {-1.0, 1.0}
    assert [padded_size(n) for n in (1, 4, 5, 64, 784, 1024)] == [4, 4, 8, 64, 1024, 1024]


def test_projection_equals_signed_hadamard_transforms_of_the_padded_input():
    """One round, one block: the bits are a fixed permutation of H_P (s * pad(x)) > 0."""
    layer = StructuredProjection(4, 4, seed=5, rounds=1)
    x = np.random.default_rng(0).standard_normal((8, 12)).astype(np.float32)
    layer.build(x.shape)
    projected = np.asarray(layer.project(x))  # (8, 16)
    padded = np.pad(x, [(0, 0), (0, 4)]) * np.asarray(layer.signs)[0, 0]  # (8, 16)
    reference = padded @ hadamard(16)  # (8, 16): H is symmetric
    np.testing.assert_allclose(np.sort(projected, axis=1), np.sort(reference, axis=1), rtol=1e-5, atol=1e-5)


def test_stores_no_projection_matrix():
    layer = StructuredProjection(64, 8, seed=1)
    layer.build((None, 784))
    stored = sum(int(np.prod(w.shape)) for w in layer.weights)
    assert layer.trainable_weights == []
    assert stored == 2 * 1024 + 512  # two sign vectors of P = 1024 and the T * d offsets; no 784 x 512 matrix


def test_bits_are_balanced_seeded_and_survive_a_keras_round_trip(digits, tmp_path):
    projection = ProjectionConfig(backend="structured")
    student = build_student(64, 10, projection, StudentConfig(), digits.x_train.mean(axis=0))
    bits = np.asarray(projection_submodel(student)(digits.x_test))
    assert bits.shape == (len(digits.x_test), 192) and 0.4 < bits.mean() < 0.6
    assert_keras_round_trip(student, digits.x_test, tmp_path)
    other = build_student(64, 10, ProjectionConfig(backend="structured", seed=2), StudentConfig(),
                          digits.x_train.mean(axis=0))
    assert np.mean(np.asarray(projection_submodel(other)(digits.x_test)) != bits) > 0.3


def test_tflite_bits_identical_in_float_and_rarely_flipped_in_int8(digits):
    from projnet.export.export_run import bit_flip_rate

    student = build_student(64, 10, ProjectionConfig(backend="structured"), StudentConfig(),
                            digits.x_train.mean(axis=0))
    assert bit_flip_rate(student, digits.x_test, digits.x_train[:300], "float") == 0.0
    assert bit_flip_rate(student, digits.x_test, digits.x_train[:300], "int8") < 0.05


def test_tflite_is_a_third_of_dense_at_equal_sizes_with_builtin_ops_only():
    from projnet.export.converter import require_builtin_ops
    from projnet.export.student_conversion import convert_student

    representative = np.random.default_rng(0).random((100, 784)).astype(np.float32)
    sizes = {}
    for backend in ("dense", "structured"):
        student = build_student(784, 10, ProjectionConfig(backend=backend, num_functions=64, bits_per_function=8),
                                StudentConfig(hidden=[128]), representative.mean(axis=0))
        model = convert_student(student, "int8", representative)
        sizes[backend] = len(model)
        ops = require_builtin_ops(model, backend)
    assert sizes["structured"] <= sizes["dense"] / 3
    assert {"FULLY_CONNECTED", "MUL", "TRANSPOSE", "GREATER", "CAST"} <= set(ops)
    assert "SHAPE" not in ops  # static reshapes: no shape arithmetic in the graph
