"""Issue 4's bad inputs through both entry points a device user types: `python -m projnet.device_bench`
(a real process, as on a Raspberry Pi) and `projnet bench`. Each must end with one `error:` line on
stderr, no traceback, and exit code 1 (domain) or 2 (usage)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from projnet.cli import app
from tests.helpers import one_line_error

runner = CliRunner()
# Python imports the first sitecustomize on sys.path; PYTHONPATH comes before site-packages.
HIDE_RUNTIMES = ("import sys\n"
                 "for name in ('ai_edge_litert', 'tflite_runtime', 'tensorflow'):\n"
                 "    sys.modules[name] = None  # import fails as if not installed\n")


def device_bench(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "projnet.device_bench", *args], capture_output=True, text=True,
                          env=env)


@pytest.fixture
def bad_files(tmp_path, digits_run):
    data = (digits_run / "student_int8.tflite").read_bytes()
    files = {"text": b"hello, not a model", "empty": b"", "truncated": data[: len(data) // 2]}
    for name, content in files.items():
        (tmp_path / f"{name}.tflite").write_bytes(content)
    np.save(tmp_path / "wrong_dtype.npy", np.zeros((1, 8, 8, 3), np.float32))
    np.save(tmp_path / "wrong_shape.npy", np.zeros((1, 8, 8, 1), np.uint8))
    (tmp_path / "not_npy.npy").write_text("not an array")
    return tmp_path


@pytest.mark.parametrize("name, message", [
    ("text", "is not a TFLite model"), ("empty", "is not a TFLite model"),
    ("truncated", "cannot load the model"), ("missing", "model file not found"),
])
def test_corrupt_or_truncated_model(bad_files, name, message):
    model = str(bad_files / f"{name}.tflite")
    done = device_bench(model)
    assert done.returncode == 1 and message in one_line_error(done.stderr)
    result = runner.invoke(app, ["bench", model])
    assert result.exit_code == 1 and message in one_line_error(result.stderr)


@pytest.mark.parametrize("npy, message", [
    ("wrong_dtype", r"is float32[1, 8, 8, 3]; the model expects uint8[1, 8, 8, 3]"),
    ("wrong_shape", r"is uint8[1, 8, 8, 1]; the model expects uint8[1, 8, 8, 3]"),
    ("not_npy", "cannot read input"),
    ("missing", "cannot read input"),
])
def test_wrong_npy_input(bad_files, digits_run, npy, message):
    """The runtime's XNNPACK start-up line used to precede the error on stderr."""
    done = device_bench(str(digits_run / "student_int8.tflite"), "--input", str(bad_files / f"{npy}.npy"),
                        "--min-time", "0.05")
    assert done.returncode == 1 and message in one_line_error(done.stderr)


def test_a_clean_run_prints_nothing_on_stderr(digits_run):
    done = device_bench(str(digits_run / "student_int8.tflite"), "--min-time", "0.05")
    assert done.returncode == 0 and done.stderr == "" and "p50" in done.stdout


@pytest.mark.parametrize("args, message", [
    ([], "the following arguments are required: models"),
    (["--threads", "abc"], "argument --threads: invalid int value"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--min-time", "nan"], "--min-time must be at least 0.01 s"),
    (["--warmup", "-1"], "--warmup must be at least 0"),
])
def test_runner_usage_errors(digits_run, args, message):
    model = [str(digits_run / "student_int8.tflite")] if args else []
    done = device_bench(*model, *args)
    assert done.returncode == 2 and message in one_line_error(done.stderr)


def test_unwritable_json(digits_run, tmp_path):
    done = device_bench(str(digits_run / "student_int8.tflite"), "--min-time", "0.05", "--json",
                        str(tmp_path / "no" / "such" / "dir.json"))
    assert done.returncode == 1 and "cannot write" in one_line_error(done.stderr)


def test_no_tflite_runtime_installed(digits_run, tmp_path, monkeypatch):
    (tmp_path / "sitecustomize.py").write_text(HIDE_RUNTIMES)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # bench_in_subprocess passes the environment on
    model = str(digits_run / "student_int8.tflite")
    hint = "no TFLite runtime installed: run pip install ai-edge-litert (or pip install 'projnet[device]')"
    done = device_bench(model)
    assert done.returncode == 1 and hint in one_line_error(done.stderr)
    result = runner.invoke(app, ["bench", model])
    assert result.exit_code == 1 and hint in one_line_error(result.stderr)


def test_plot_without_matplotlib(digits_run, tmp_path, monkeypatch):
    """A device install ('projnet[device]') has no matplotlib: --plot is refused, not a traceback."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), "--min-time", "0.05",
                                 "--plot", str(tmp_path / "cmp.png")])
    assert result.exit_code == 1
    assert "--plot needs matplotlib, which is not installed here: pip install matplotlib" in one_line_error(
        result.stderr)
    assert not (tmp_path / "cmp.png").exists()
