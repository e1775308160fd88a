"""MODEL.expected.npz: written at export, checked by the runner wherever the model runs."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from projnet.device_bench.expected_outputs import check_expected, expected_path
from projnet.device_bench.runtime import make_interpreter
from tests.helpers import one_line_error


def test_export_ships_1000_rows_in_the_models_own_input_dtype(digits_run):
    with np.load(expected_path(digits_run / "student_int8.tflite")) as npz:
        inputs, outputs = npz["inputs"], npz["outputs"]
        unit = float(npz["output_unit"])
    # uint8 RGB pixels, as the device feeds them; float32 probabilities out of an int8 softmax (steps of 1/256)
    assert inputs.dtype == np.uint8 and inputs.shape == (1000, 8, 8, 3) and inputs.max() == 255
    assert outputs.dtype == np.float32 and outputs.shape == (1000, 10) and unit == 1 / 256
    with np.load(expected_path(digits_run / "student_float.tflite")) as npz:
        assert npz["inputs"].dtype == np.float32 and npz["inputs"].shape == (1000, 8, 8, 3) and npz["inputs"].max() == 1
        assert float(npz["output_unit"]) == 0.0


def test_same_runtime_reproduces_every_row_exactly(digits_run):
    model = digits_run / "student_int8.tflite"
    _, interpreter = make_interpreter(model.read_bytes())
    check = check_expected(interpreter, expected_path(model))
    assert check == {**check, "rows": 1000, "argmax_match": 1.0, "max_abs_diff": 0.0, "exact_rows": 1000,
                     "tied_rows": 0, "hybrid": False, "passed": True}


@pytest.mark.parametrize("lead,passes", [(1, True), (2, True), (3, False)])
def test_a_near_tie_at_export_may_flip_a_clear_lead_may_not(digits_run, tmp_path, lead, passes):
    """Kernels (XNNPACK, builtin) round int8 differently by a unit or two: a flipped near tie is no failure.
    The int8 softmax's unit (1/256) is the step, though the file gives it as float32."""
    model = digits_run / "student_int8.tflite"
    with np.load(expected_path(model)) as npz:
        inputs, outputs, unit = npz["inputs"], npz["outputs"].copy(), npz["output_unit"]
    row = outputs[5].astype(np.float64)
    other = int(np.argsort(row)[-2])
    row[other] = row.max() + lead * float(unit)  # at "export", another class led by `lead` units
    outputs[5] = row.astype(outputs.dtype)
    np.savez(tmp_path / "x.expected.npz", inputs=inputs, outputs=outputs, output_unit=unit)
    _, interpreter = make_interpreter(model.read_bytes())
    check = check_expected(interpreter, tmp_path / "x.expected.npz")
    assert check["argmax_match"] == 0.999 and check["tied_rows"] == int(passes) and check["passed"] == passes


def test_a_changed_class_fails_the_run_in_one_line(digits_run, tmp_path):
    """What a wrong kernel on a device would look like: 3 rows whose recorded class differs."""
    model = tmp_path / "student_int8.tflite"
    shutil.copy(digits_run / "student_int8.tflite", model)
    with np.load(expected_path(digits_run / "student_int8.tflite")) as npz:
        inputs, outputs, unit = npz["inputs"], npz["outputs"].copy(), npz["output_unit"]
    for row in (0, 10, 999):
        outputs[row] = np.roll(outputs[row], 1)  # moves the argmax to another class
    np.savez(expected_path(model), inputs=inputs, outputs=outputs, output_unit=unit)
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench", str(model), "--min-time", "0.05"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("INFO: "))
    assert "3 of 1000 inputs give a different class here than at export, where it was not a near tie" in \
        one_line_error(stderr)
    skipped = subprocess.run([sys.executable, "-m", "projnet.device_bench", str(model), "--min-time", "0.05",
                              "--no-check"], capture_output=True, text=True)
    assert skipped.returncode == 0


def test_expected_file_for_another_model_is_refused(digits_run, tmp_path):
    model = tmp_path / "student_int8.tflite"
    shutil.copy(digits_run / "student_int8.tflite", model)
    shutil.copy(expected_path(digits_run / "student_float.tflite"), expected_path(model))  # float32 rows
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench", str(model), "--min-time", "0.05"],
                          capture_output=True, text=True)
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("INFO: "))
    assert done.returncode == 1
    assert "expected-output inputs are float32[8, 8, 3] per row; the model takes uint8[8, 8, 3]" in \
        one_line_error(stderr)
