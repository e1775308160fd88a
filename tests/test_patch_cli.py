"""A patch student through the CLI on digits: trained, exported, compared with the plain baselines of its size."""

import json

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.config import DataConfig
from projnet.data.fashion_mnist import locate_fashion_mnist
from tests.helpers import one_line_error, require_system_dependency

runner = CliRunner()
PATCH = ["--set", "projection.backend=patch", "--set", "projection.num_functions=2", "--set", "student.hidden=[]",
         "--set", "student.conv_filters=[16]", "--set", "train.epochs=25", "--set", "bench.min_time_s=0.2", "--quiet"]


@pytest.fixture(scope="module")
def patch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("patch") / "run"
    result = runner.invoke(app, ["train-and-export", "--out", str(out), *PATCH])
    assert result.exit_code == 0, result.output
    return out


def test_patch_student_exports_builtin_and_meets_its_baselines(patch_run):
    m = json.loads((patch_run / "metrics.json").read_text())
    int8 = m["student_int8"]
    assert int8["accuracy"] >= 0.85 and int8["agreement"] >= 0.95, int8
    assert m["student_float"]["bit_flip_rate"] == 0.0  # 9-term sums of 8x8 digits: TF and TFLite agree exactly
    assert int8["bit_flip_rate"] < 0.02
    # RGB pixels in: the zero-point shift and the first channel, then the image, the patch bits, probabilities out
    assert int8["ops"][:7] == ["QUANTIZE", "STRIDED_SLICE", "RESHAPE", "CONV_2D", "GREATER", "CAST", "QUANTIZE"]
    assert int8["ops"][-2:] == ["SOFTMAX", "DEQUANTIZE"]
    assert [b["family"] for b in m["baselines"]] == ["mlp", "cnn"]
    assert all(b["size_bytes"] <= int8["size_bytes"] for b in m["baselines"])
    assert m["baseline"] == max(m["baselines"], key=lambda b: b["accuracy"])
    report = (patch_run / "report.md").read_text()
    assert "baseline int8 (MLP, " in report and "baseline int8 (CNN, " in report and "points" in report


def test_export_refuses_a_data_set_of_other_images(patch_run):
    require_system_dependency(bool(locate_fashion_mnist(DataConfig())),
                              "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)")
    config = patch_run / "config.toml"
    config.write_text(config.read_text().replace('dataset = "digits"', 'dataset = "fashion_mnist"'))
    result = runner.invoke(app, ["export", str(patch_run), "--quiet"])
    assert result.exit_code == 1
    assert one_line_error(result.stderr) == ("error: the student takes 8x8x1 images of 64 values but fashion_mnist "
                                             "has 784 (28x28x1); export it with the data set it was trained on")


def test_the_api_loads_a_saved_student_in_a_fresh_process(patch_run):
    """keras.saving.load_model alone cannot: projnet's layer classes must be imported first."""
    import subprocess
    import sys

    code = ("import sys, projnet; assert 'keras' not in sys.modules; from projnet.api import load_model; "
            f"m = load_model({str(patch_run / 'student.keras')!r}); print(m.count_params())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3",
                                                                                              "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 0
