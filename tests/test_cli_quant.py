"""`--quant` and `projection.backend` through the CLI: a structured qat run, and one-line refusals before work."""

import json

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from tests.helpers import one_line_error

runner = CliRunner()
QUICK = ["--set", "train.epochs=2", "--set", "trainer.hidden=[16]", "--set", "bench.min_time_s=0.05", "--set", "export.baselines=false",
         "--quiet"]  # the run's own baselines are tested in tests/test_patch_cli.py


def test_structured_qat_run_writes_the_qat_file_and_reports_it(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["train-and-export", "--out", str(out), "--set", "projection.backend=structured",
                                 "--quant", "qat", *QUICK])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["quant"] == "qat" and (out / "student_qat.tflite").is_file()
    assert not (out / "student_int8.tflite").exists()
    qat = metrics["student_qat"]
    assert qat["accuracy"] >= 0.5 and qat["bit_flip_rate"] < 0.05 and metrics["student_float"]["bit_flip_rate"] == 0.0
    assert "| student qat |" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, code, message", [
    (["--set", "projection.backend=lsh", "--quant", "int8"], 2,
     "export.quant=int8 is not available for projection.backend=lsh: LSH_PROJECTION hashes the bytes of a float input"),
    (["--set", "projection.backend=lsh", "--set", "projection.bits_per_function=33", "--quant", "float16"], 2,
     "projection.bits_per_function must be between 1 and 32. Received: projection.bits_per_function=33"),
    (["--quant", "int4"], 2, "export.quant must be one of: int8, dynamic, float16, qat. Received: export.quant='int4'"),
    (["--set", "projection.backend=sparse"], 2, "projection.backend must be one of: dense, structured, lsh"),
    (["--set", "export.representative_samples=5"], 1,
     "int8 calibration needs at least 20 representative samples; got 5"),
    (["--set", "export.representative_samples=5", "--quant", "qat"], 1,
     "int8 calibration needs at least 20 representative samples; got 5"),
])
def test_refused_in_one_line_before_any_work(args, code, message, tmp_path):
    result = runner.invoke(app, ["train-and-export", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == code, result.output
    assert message in one_line_error(result.stderr)
    assert not (tmp_path / "o").exists()
