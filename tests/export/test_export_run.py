"""The end-to-end issue's acceptance figures on digits, read from one default run made through the CLI."""

import json

import numpy as np
import pytest

from projnet.config_settings import config_from_toml, resolve_config
from projnet.data import dataset_defaults


def test_metrics_has_the_promised_keys(digits_metrics):
    m = digits_metrics
    assert m["dataset"] == "digits"
    assert set(m["trainer"]) >= {"accuracy", "params"} and set(m["student"]) >= {"accuracy", "params", "bits"}
    for key in ("student_int8", "student_float"):
        assert set(m[key]) >= {"accuracy", "agreement", "size_bytes", "ops", "latency_us", "peak_rss_mb"}
    assert set(m["trainer_float"]) >= {"size_bytes", "latency_us", "peak_rss_mb"}
    for key in ("student_int8", "student_float", "trainer_float"):
        lat = m[key]["latency_us"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"]
        assert isinstance(m[key]["size_bytes"], int) and 0 < m[key]["peak_rss_mb"] < 300


def test_digits_acceptance_floors(digits_metrics):
    m = digits_metrics
    assert m["trainer"]["accuracy"] >= 0.97
    assert m["student_int8"]["accuracy"] >= 0.94
    assert m["student_int8"]["agreement"] >= 0.98
    # the graph within 32 KB; the metadata (labels, normalization, description) adds about 1.2 KB
    assert m["student_int8"]["size_bytes"] - m["student_int8"]["metadata_bytes"] <= 32 * 1024
    assert 0 < m["student_int8"]["metadata_bytes"] <= 2048
    assert m["student_float"]["agreement"] == 1.0
    assert m["student_float"]["bit_flip_rate"] == 0.0
    assert m["student_int8"]["bit_flip_rate"] < 0.02


def test_student_ops_are_builtins(digits_run, digits_metrics):
    from projnet.device_bench.model_file import model_ops

    for name in ("student_int8.tflite", "student_float.tflite"):
        ops = model_ops((digits_run / name).read_bytes())
        assert all(op["builtin"] for op in ops)
    # uint8 RGB pixels in: a zero-point shift, the first channel, the flat row; the student; probabilities out
    assert digits_metrics["student_int8"]["ops"] == [
        "QUANTIZE", "STRIDED_SLICE", "RESHAPE", "FULLY_CONNECTED", "GREATER", "CAST", "QUANTIZE",
        "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX", "DEQUANTIZE"]


def test_run_directory_contents(digits_run):
    names = {p.name for p in digits_run.iterdir()}
    assert names == {"checkpoint", "config.toml", "trainer.keras", "student.keras", "history.json", "training_curves.png",
                     "student_float.tflite", "student_int8.tflite", "trainer_float.tflite", "metrics.json",
                     "report.md", "student_float.expected.npz", "student_int8.expected.npz", "student_float.labels.txt",
                     "student_int8.labels.txt"}
    assert (digits_run / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert config_from_toml(digits_run / "config.toml") == resolve_config(dataset_defaults=dataset_defaults)
    report = (digits_run / "report.md").read_text()
    assert "| student int8 |" in report and "| trainer float |" in report
    history = json.loads((digits_run / "history.json").read_text())
    assert len(history) == resolve_config().train.epochs


def test_int8_tflite_runs_on_the_test_split(digits_run, digits_metrics):
    """Recompute the recorded int8 accuracy from the file itself."""
    from projnet.config import DataConfig
    from projnet.data import load_dataset
    from projnet.export.tflite_eval import run_tflite

    splits = load_dataset(DataConfig())
    from projnet.export.student_input import image_rows

    pixels = image_rows(splits.x_test, splits)  # RGB images of pixel / 255 (quantized: digits' counts as 8-bit grey)
    assert pixels.shape[1:] == (8, 8, 3) and pixels.max() == 1.0 and np.all(pixels[..., 0] == pixels[..., 2])
    pred = run_tflite((digits_run / "student_int8.tflite").read_bytes(), pixels).argmax(axis=1)
    assert np.mean(pred == splits.y_test) == pytest.approx(digits_metrics["student_int8"]["accuracy"])
