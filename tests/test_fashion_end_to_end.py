"""Fashion-MNIST end to end with default settings (CI installs Debian's dataset-fashion-mnist)."""

import json

import pytest

pytestmark = pytest.mark.slow


def test_fashion_mnist_acceptance(fashion_run):
    out = fashion_run
    m = json.loads((out / "metrics.json").read_text())
    trainer, student, trainer_file = m["trainer"], m["student_int8"], m["trainer_float"]
    assert trainer["accuracy"] >= 0.90
    # the patch student (README "Images"): <= 64 KB, 20x under the trainer's file, within 3.5 points of it
    assert student["accuracy"] >= 0.88 and student["accuracy"] >= trainer["accuracy"] - 0.035
    assert student["size_bytes"] <= 64 * 1024 and student["size_bytes"] * 20 <= trainer_file["size_bytes"]
    assert student["agreement"] >= 0.97
    assert m["student_float"]["bit_flip_rate"] < 1e-5  # 9-term float sums: TF and TFLite agree to the bit
    # RGB pixels in (export/student_input.py): the first channel first, the patch bits, probabilities out
    assert m["student_input"] == "image" and m["student_float"]["ops"][0] == "STRIDED_SLICE"
    ops = m["student_float"]["ops"]
    assert ops[ops.index("CONV_2D"):][:3] == ["CONV_2D", "GREATER", "CAST"] and ops[-1] == "SOFTMAX"
    # the plain models of the student's size, trained in the same run: the MLP is beaten
    baselines = {b["family"]: b for b in m["baselines"]}
    assert set(baselines) == {"mlp", "cnn"}
    assert all(b["size_bytes"] <= student["size_bytes"] for b in baselines.values())
    assert student["accuracy"] > baselines["mlp"]["accuracy"]
    assert "tiny CNN" in (out / "report.md").read_text() or "plain MLP" in (out / "report.md").read_text()
