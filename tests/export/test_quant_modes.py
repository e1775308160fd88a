"""Quantization modes: the table, refusals before any work, and each mode's file on a trained digits student."""

import numpy as np
import pytest

from projnet.config import DataConfig, ObjectiveConfig, ProjectionConfig, StudentConfig, TrainConfig
from projnet.data import load_dataset
from projnet.errors import UsageError
from projnet.registry import BACKENDS, QUANT_MODES, check_backend_fits, check_quant_mode, quant_modes_for


def test_every_backend_exports_some_quantized_mode_and_refusals_name_real_backends():
    assert set(QUANT_MODES) == {"int8", "dynamic", "float16", "qat"}
    for name in BACKENDS:
        assert {"dynamic", "float16"} <= set(quant_modes_for(name))
    assert quant_modes_for("lsh") == ["dynamic", "float16"]
    assert quant_modes_for("hashed") == ["int8", "dynamic", "float16"]
    for mode in QUANT_MODES.values():
        assert {backend for backend, _ in mode.refused} <= set(BACKENDS)


def test_refusals_name_the_reason():
    with pytest.raises(UsageError, match="^export.quant=int8 is not available for projection.backend=lsh: "
                                         "LSH_PROJECTION hashes the bytes of a float input; .*use one of: "
                                         "dynamic, float16$"):
        check_quant_mode("int8", "lsh")
    with pytest.raises(UsageError, match=r"^export.quant must be one of: int8, dynamic, float16, qat. "
                                         r"Received: export.quant='int4'$"):
        check_quant_mode("int4", "dense")
    with pytest.raises(UsageError, match="^projection.backend=structured takes dense inputs but text has ids "
                                         "inputs; use one of: hashed, token$"):
        check_backend_fits("structured", np.zeros((3, 5), np.int32), "text")


@pytest.fixture(scope="module")
def trained():
    """A structured digits student fitted to labels alone (no teacher: distill weight 0)."""
    from projnet.projection.student import build_student
    from projnet.trainer.fixed_teacher import distil_from_logits

    import keras

    digits = load_dataset(DataConfig())
    keras.utils.set_random_seed(0)  # the initial weights too: else they depend on which tests ran before
    student = build_student(64, 10, ProjectionConfig(backend="structured"), StudentConfig(),
                            digits.x_train.mean(axis=0))
    distil_from_logits(student, digits, np.zeros((len(digits.x_train), 10), np.float32), TrainConfig(epochs=25),
                       ObjectiveConfig(distill_weight=0.0), show_progress=False)
    return digits, student


def accuracy(model: bytes, digits) -> float:
    from projnet.export.tflite_eval import run_tflite

    return float(np.mean(run_tflite(model, digits.x_test).argmax(1) == digits.y_test))


def test_post_training_modes(trained):
    from projnet.export.student_conversion import convert_student

    digits, student = trained
    representative = digits.x_train[:300]
    models = {mode: convert_student(student, mode, representative) for mode in ("float", "int8", "dynamic", "float16")}
    acc = {mode: accuracy(m, digits) for mode, m in models.items()}
    assert acc["float"] >= 0.93
    assert all(a >= acc["float"] - 0.02 for a in acc.values()), acc
    assert len(models["int8"]) < len(models["float16"]) < len(models["float"])


def test_qat_in_its_own_process_is_as_accurate_as_int8(trained):
    """TFMOT fine-tunes a tf_keras twin in a worker; this process never switches to legacy Keras."""
    import os

    import keras

    from projnet.export.qat import qat_in_subprocess
    from projnet.export.student_conversion import convert_student

    digits, student = trained
    representative = digits.x_train[:300]
    qat = qat_in_subprocess(student, digits, representative)
    int8 = accuracy(convert_student(student, "int8", representative), digits)
    assert accuracy(qat, digits) >= int8 - 1 / len(digits.y_test) - 1e-9  # at most one test image worse
    assert os.environ.get("TF_USE_LEGACY_KERAS") != "1" and keras.__version__.startswith("3.")


def test_dynamic_mode_stays_loadable_by_tflite_runtime_2_14(trained):
    """Per-channel hybrid FULLY_CONNECTED is version 12, which tflite-runtime 2.14 refuses; per tensor it is 9."""
    from projnet.device_bench.model_file import model_ops
    from projnet.export.student_conversion import convert_student

    digits, student = trained
    versions = {op["version"] for op in model_ops(convert_student(student, "dynamic")) if op["name"] == "FULLY_CONNECTED"}
    assert versions and max(versions) <= 11, versions
