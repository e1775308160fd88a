"""The token backend: each id's T codes of d bits, hashed in int32, exact in TensorFlow and every TFLite runtime."""

import numpy as np
import pytest

from projnet.config import ProjectionConfig, StudentConfig
from projnet.errors import UsageError
from projnet.projection.layers import projection_layer
from projnet.projection.student import build_student, projection_submodel
from projnet.projection.token_projection import TokenProjection, token_codes_numpy
from tests.helpers import assert_keras_round_trip, raw_outputs

MAX_IDS = 24
T, D = 3, 6


@pytest.fixture(scope="module")
def ids():
    """Full-range int32 ids (the products wrap all the time), ragged rows padded with 0, one empty row."""
    rng = np.random.default_rng(1)
    x = rng.integers(-2**31, 2**31, size=(300, MAX_IDS), dtype=np.int64).astype(np.int32)
    lengths = rng.integers(0, MAX_IDS + 1, size=300)
    x[np.arange(MAX_IDS)[None, :] >= lengths[:, None]] = 0
    x[0] = 0
    x[1, :4] = [1, -1, 2**31 - 1, -2**31]
    return x


@pytest.fixture(scope="module")
def student():
    return build_student(MAX_IDS, 5, ProjectionConfig(backend="token", num_functions=T, bits_per_function=D, seed=4),
                         StudentConfig(hidden=[8], token_dim=6))


def test_codes_by_hand():
    """A = 3, B = 0, d = 2: id 2^29 -> 3 * 2^29 = 0x60000000, top 2 bits 01 -> 1 + 2 = 3; id -1 -> -3: 11 -> -1 + 2 = 1."""
    layer = TokenProjection(2, 2)
    layer.build((None, 2))
    layer.multipliers.assign(np.array([3, 3], np.int32))
    layer.offsets.assign(np.array([0, 0], np.int32))
    codes = np.asarray(layer(np.array([[2**29, -1]], np.int32)))
    assert codes.tolist() == [[[3, 7], [1, 5]]]  # function 1's codes sit 2^d = 4 higher
    np.testing.assert_array_equal(token_codes_numpy(np.array([[2**29, -1]], np.int32), np.array([3, 3], np.int32),
                                                    np.array([0, 0], np.int32), 2), codes)


def test_keras_codes_equal_the_numpy_reference_and_fill_each_block(student, ids):
    layer = projection_layer(student)
    codes = np.asarray(projection_submodel(student)(ids))
    np.testing.assert_array_equal(codes, token_codes_numpy(ids, np.asarray(layer.multipliers),
                                                           np.asarray(layer.offsets), D))
    for j in range(T):  # function j's codes stay in its block, and use all of it
        assert set(np.unique(codes[2:, :, j])) == set(range(j << D, (j + 1) << D))


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tensorflow.lite"])
def test_tflite_codes_are_identical_to_tensorflow_float_and_int8(student, ids, runtime):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    codes_model = projection_submodel(student)
    expected = np.asarray(codes_model(ids))
    for mode in ("float", "int8"):
        model = convert_student(codes_model, mode, ids)
        got, _ = raw_outputs(model, ids, runtime)  # raw int32 codes
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, expected)  # every code of every id
        assert {op["name"] for op in model_ops(model)} <= {"EXPAND_DIMS", "MUL", "ADD", "RIGHT_SHIFT"}


def test_int8_student_agrees_with_keras_and_keeps_int32_ids(student, ids):
    from projnet.export.student_conversion import convert_student
    from projnet.export.tflite_eval import run_tflite

    import keras

    # train a little, so the logits are not all near zero (agreement on random logits says nothing)
    labels = (np.abs(ids[:, 0]) % 5).astype(np.int32)
    student.compile(optimizer=keras.optimizers.Adam(1e-2),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    student.fit(ids, labels, epochs=20, batch_size=32, verbose=0)
    model = convert_student(student, "int8", ids)
    from projnet.device_bench.model_file import model_ops

    # tflite-runtime 2.14 (many Raspberry Pi installs) has no int8 DIV: the pooling must not need one
    assert {op["name"] for op in model_ops(model)} <= {
        "EXPAND_DIMS", "MUL", "ADD", "RIGHT_SHIFT", "LESS", "SELECT_V2", "GATHER", "SUM", "NOT_EQUAL", "CAST",
        "MAXIMUM", "RSQRT", "QUANTIZE", "FULLY_CONNECTED", "RESHAPE", "STRIDED_SLICE", "TILE", "BATCH_MATMUL"}
    keras_pred = np.asarray(student(ids)).argmax(1)
    assert np.mean(keras_pred == labels) > 0.6  # it learnt something
    assert np.mean(run_tflite(model, ids).argmax(1) == keras_pred) >= 0.95


def test_pool_is_the_masked_row_sum_over_sqrt_ids_in_one_int8_matmul(student, ids):
    """TokenPool against numpy: each id's T rows summed, pad ids skipped, / sqrt(ids), zeros for an empty text;
    in the int8 file one BATCH_MATMUL does the weighted sum (it rounds once, not once per row product)."""
    import keras

    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    pool = student.get_layer("student_token_pool")
    rows_model = keras.Model(student.input, student.get_layer("student_code_rows").output)
    rows = np.asarray(rows_model(ids))  # (batch, L, T, E)
    valid = ids != 0
    want = (rows.sum(axis=2) * valid[:, :, None]).sum(axis=1) / np.sqrt(np.maximum(valid.sum(axis=1), 1))[:, None]
    np.testing.assert_allclose(np.asarray(pool(rows, ids)), want, rtol=1e-5, atol=1e-6)
    assert not np.asarray(pool(rows, ids))[0].any()  # row 0 is empty
    pooled_model = keras.Model(student.input, pool.output)
    ops = [op["name"] for op in model_ops(convert_student(pooled_model, "int8", ids))]
    assert ops.count("BATCH_MATMUL") == 1 and "MUL" in ops  # the weights 1 / sqrt(n) are a MUL of the mask


def test_round_trip_and_stored_weights(student, ids, tmp_path):
    layer = projection_layer(student)
    assert sorted((tuple(w.shape), w.dtype) for w in layer.weights) == [((T,), "int32"), ((T,), "int32")]
    table = student.get_layer("student_code_rows")
    assert tuple(table.embeddings.shape) == (T << D, 6)
    assert_keras_round_trip(student, ids[:50], tmp_path)


def test_refusals():
    from projnet.config_settings import resolve_config
    from projnet.registry import check_quant_mode

    with pytest.raises(ValueError, match=r"bits_per_function \(d\) must be an int in \[1, 16\] for token. "
                                         r"Received: bits_per_function=17"):
        TokenProjection(2, 17)
    with pytest.raises(UsageError, match="^projection.bits_per_function must be at most 16 for projection.backend=token"):
        resolve_config(set_options=["projection.backend=token", "projection.bits_per_function=20"])
    with pytest.raises(UsageError, match="^export.quant=qat is not available for projection.backend=token: "):
        check_quant_mode("qat", "token")
    with pytest.raises(UsageError, match=r"T \* 2\^d <= 4194304 code-table rows .* \(T \* 2\^d = 67108864\)"):
        resolve_config(set_options=["projection.backend=token", "projection.num_functions=1024",
                                    "projection.bits_per_function=16"])


def test_ids_outside_int32_are_refused_not_wrapped():
    from projnet.registry import check_backend_fits

    wide = np.array([[1, 2**31]], np.int64)  # as int32 it would wrap to -2^31 and hash as another id
    with pytest.raises(UsageError, match=r"^mine has feature ids outside int32 \(\[1, 2147483648\]\)"):
        check_backend_fits("token", wide, "mine")
    check_backend_fits("token", np.array([[-2**31, 2**31 - 1]], np.int64), "mine")  # the int32 range itself is fine


def test_adjacent_id_pairs_by_hand_wrapping_in_int32_and_padding_pairs_with_padding():
    from projnet.projection.hashed_projection import PAIR_MULTIPLIER
    from projnet.projection.token_projection import AdjacentIdPairs

    ids = np.array([[5, 2**31 - 1, -7, 0], [0, 0, 0, 0]], np.int32)
    out = np.asarray(AdjacentIdPairs()(ids))
    exact = lambda a, b: np.int64(a) * PAIR_MULTIPLIER + b  # noqa: E731
    expected = np.array([[5, 2**31 - 1, -7, 0, exact(5, 2**31 - 1), exact(2**31 - 1, -7), 0], [0] * 7]).astype(np.int32)
    assert exact(5, 2**31 - 1) >= 2**31 and exact(2**31 - 1, -7) >= 2**31  # both pairs wrap
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tensorflow.lite"])
def test_a_pairs_students_codes_are_identical_in_tensorflow_and_tflite(ids, runtime):
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    student = build_student(MAX_IDS, 5, ProjectionConfig(backend="token", num_functions=T, bits_per_function=D,
                                                         seed=4), StudentConfig(hidden=[], token_dim=6, token_pairs=True))
    codes_model = projection_submodel(student)
    expected = np.asarray(codes_model(ids))
    assert expected.shape == (len(ids), 2 * MAX_IDS - 1, T)
    for mode in ("float", "int8"):
        model = convert_student(codes_model, mode, ids)
        got, _ = raw_outputs(model, ids, runtime)
        np.testing.assert_array_equal(got, expected)
        assert {op["name"] for op in model_ops(model)} <= {
            "EXPAND_DIMS", "MUL", "ADD", "RIGHT_SHIFT", "STRIDED_SLICE", "NOT_EQUAL", "LOGICAL_AND", "SELECT_V2",
            "ZEROS_LIKE", "CONCATENATION"}
    with pytest.raises(UsageError, match="student.token_pairs must be false for projection.backend=hashed"):
        from projnet.config_settings import resolve_config
        from projnet.data import dataset_defaults

        resolve_config(None, ["data.dataset=banking77", "projection.backend=hashed", "student.token_pairs=true"],
                       dataset_defaults)
