"""A series run end to end: windows split by recording, the patch student along time exported to int8
builtins, and the run's record of the file it read."""

import json

from typer.testing import CliRunner

from projnet.cli import app
from projnet.data.file_records import sha256_of
from projnet.data.synthetic_activity import write_activity_csv


def test_series_trains_exports_and_records_its_file(tmp_path):
    path = write_activity_csv(tmp_path / "acc.csv", recordings_per_activity=16, seconds=12.0)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", f"series:{path}", "--out", str(out), "--quiet",
                                      "--set", "train.epochs=20", "--set", "export.baselines=false",
                                      "--set", "bench.min_time_s=0.2"])
    assert result.exit_code == 0, result.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["data"]["layout"] == "series" and m["data"]["input_shape"] == [50, 3, 1]
    assert m["data"]["files"] == [{"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_of(path)}]
    assert len(m["data"]["scaling"]["subtract"]) == 150
    assert {"CONV_2D", "GREATER", "MAX_POOL_2D"} <= set(m["student_int8"]["ops"])
    # 64 short recordings: far above chance (0.25), below the 120 longer recordings of the benchmark (README)
    assert m["student_int8"]["accuracy"] >= 0.75 and m["student_int8"]["agreement"] >= 0.95
    assert f"sha256 {sha256_of(path)}" in (out / "config.toml").read_text()


def test_an_rgb_image_folder_with_odd_names_trains_and_exports(tmp_path):
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    bunch = load_digits()
    root = tmp_path / "mes données"
    for i, (image, label) in enumerate(zip(bunch.images, bunch.target)):
        folder = root / f"chiffre {label} ünï" / "nested scans"  # class folders may nest files deeper
        folder.mkdir(parents=True, exist_ok=True)
        gray = (image * 255 / 16).astype(np.uint8)
        Image.fromarray(np.stack([gray, gray, 255 - gray], axis=-1), "RGB").save(folder / f"{i}.png")
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", f"images:{root}", "--out", str(out), "--quiet",
                                      "--set", "student.conv_filters=[16]", "--set", "trainer.architecture=mlp",
                                      "--set", "train.epochs=30", "--set", "train.batch_size=32", "--set", "export.baselines=false",
                                      "--set", "bench.min_time_s=0.2"])
    assert result.exit_code == 0, result.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["data"]["input_shape"] == [8, 8, 3] and m["data"]["files"][0]["files"] == 1797
    assert m["data"]["classes"][0] == "chiffre 0 ünï" and m["student_int8"]["accuracy"] >= 0.85
    for model in ("student_int8", "student_float"):  # class names ship beside each student, in output order
        assert (out / f"{model}.labels.txt").read_text(encoding="utf-8").splitlines() == m["data"]["classes"]
