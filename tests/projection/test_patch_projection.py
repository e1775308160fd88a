"""The patch backend: zero-sum random filters over image patches, a bit map identical in TF and float TFLite."""

import numpy as np
import pytest

from projnet.config import ProjectionConfig, RunConfig, StudentConfig
from projnet.errors import UsageError
from projnet.projection.layers import projection_layer
from projnet.projection.patch_geometry import readout_shapes
from projnet.projection.patch_projection import PatchProjection, patch_filters
from projnet.projection.student import build_student, projection_submodel
from tests.helpers import assert_keras_round_trip, raw_outputs

SHAPE = (9, 7, 2)  # not square and two channels: a transposed axis or a swapped channel would show
PROJECTION = ProjectionConfig(backend="patch", num_functions=2, bits_per_function=3, patch_size=3, patch_stride=2,
                              seed=5)


def patch_bits_numpy(images: np.ndarray, filters: np.ndarray, stride: int, tau: float = 0.05) -> np.ndarray:
    """The reference: every k x k x C window at stride s dotted with every filter, sign bit; plain loops."""
    k = filters.shape[0]
    n, height, width, _ = images.shape
    rows, cols = (height - k) // stride + 1, (width - k) // stride + 1
    out = np.zeros((n, rows, cols, filters.shape[-1]), np.float32)
    for i in range(rows):
        for j in range(cols):
            window = images[:, i * stride:i * stride + k, j * stride:j * stride + k, :].reshape(n, -1)
            out[:, i, j, :] = window.astype(np.float64) @ filters.reshape(-1, filters.shape[-1]) > tau
    return out


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(3)
    x = rng.random((200, int(np.prod(SHAPE))), dtype=np.float32)
    x[0] = 0.0  # a blank image
    x[1] = 128 / 255  # a flat grey one (its float32 responses are rounding noise around 0)
    return x


@pytest.fixture(scope="module")
def student():
    return build_student(int(np.prod(SHAPE)), 4, PROJECTION, StudentConfig(hidden=[], conv_filters=[3], bit_pool=1),
                         image_shape=SHAPE)


def test_bits_equal_the_numpy_reference_and_flat_patches_give_no_bit(student, images):
    layer = projection_layer(student)
    bits = np.asarray(projection_submodel(student)(images))
    assert bits.shape == (200, 4, 3, 6)  # (9 - 3) // 2 + 1 = 4 rows, (7 - 3) // 2 + 1 = 3 columns, T * d = 6
    expected = patch_bits_numpy(images.reshape(-1, *SHAPE), np.asarray(layer.filters), stride=2)
    np.testing.assert_array_equal(bits, expected)
    assert not bits[:2].any()  # zero-sum filters: a flat patch is 0 on every filter, whatever its level
    assert 0.3 < bits[2:].mean() < 0.7  # the others split about evenly


def test_filters_are_zero_sum_and_fixed_by_the_seed():
    filters = patch_filters(3, 2, 6, seed=5)
    assert filters.shape == (3, 3, 2, 6)
    np.testing.assert_allclose(filters.sum(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_array_equal(filters, patch_filters(3, 2, 6, seed=5))
    assert not np.allclose(filters, patch_filters(3, 2, 6, seed=6))


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tensorflow.lite"])
def test_tflite_bits_equal_tensorflow_in_float_and_nearly_in_int8(student, images, runtime):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student
    from projnet.export.tflite_eval import run_tflite

    bits_model = projection_submodel(student)
    expected = np.asarray(bits_model(images))
    float_bits, _ = raw_outputs(convert_student(bits_model, "float", images, "projection"), images, runtime)
    np.testing.assert_array_equal(float_bits, expected)
    int8_model = convert_student(bits_model, "int8", images, "projection")
    int8_bits = run_tflite(int8_model, images)  # quantizes the float rows the way the exporter's checks do
    flips = np.mean((int8_bits > 0.5) != (expected > 0.5))
    assert flips < 0.02, flips  # int8 rounds the input and the filter responses: bits near tau may flip
    assert [op["name"] for op in model_ops(int8_model)] == ["RESHAPE", "CONV_2D", "GREATER", "CAST", "QUANTIZE"]


def test_the_whole_student_is_builtin_ops_and_round_trips(student, images, tmp_path):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    ops = [op["name"] for op in model_ops(convert_student(student, "int8", images))]
    assert ops == ["RESHAPE", "CONV_2D", "GREATER", "CAST", "QUANTIZE", "CONV_2D", "MAX_POOL_2D", "RESHAPE",
                   "FULLY_CONNECTED"]  # no SHAPE / STRIDED_SLICE / PACK from a dynamic flatten
    assert_keras_round_trip(student, images, tmp_path)


def test_an_image_of_other_channels_is_refused_at_build():
    layer = PatchProjection(1, 4, image_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"takes 8x8x1 images \(64 values a row\). Received: 192 values"):
        layer.build((None, 8 * 8 * 3))  # an RGB row for a grayscale model


def test_a_patch_larger_than_the_image_is_refused():
    with pytest.raises(UsageError, match=r"projection.patch_size must be at most the image's 8x8 pixels. "
                                         r"Received: projection.patch_size=9"):
        readout_shapes((8, 8, 1), 9, 1, 2, 0)


def test_a_readout_that_pools_the_map_away_is_refused_naming_the_stage():
    assert readout_shapes((28, 28, 1), 3, 1, 2, 2) == [(26, 26), (13, 13), (6, 6), (3, 3)]
    with pytest.raises(UsageError, match=r"student.conv_filters\[1\]: the 1x1 map left by a 3x3 patch at stride 4 "
                                         r"on 8x8 images cannot be pooled by 2"):
        readout_shapes((8, 8, 1), 3, 4, 1, 2)  # (8 - 3) // 4 + 1 = 2 -> 1 -> nothing


def test_convolutions_need_a_bit_map():
    config = RunConfig()
    config.student.conv_filters = [8]
    with pytest.raises(UsageError, match=r"student.conv_filters must be empty for projection.backend=dense: "
                                         r"convolutions read a map of bits, which only patch makes"):
        config.validate()
