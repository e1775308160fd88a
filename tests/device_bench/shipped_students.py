"""Small students of every backend, exported in every mode exactly as a run ships them (image input where
the data allows, TFLite metadata, expected outputs), for the tests that load them in other runtimes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from projnet.config import DataConfig, ExportConfig, ProjectionConfig, RunConfig, StudentConfig
from projnet.data import load_dataset
from projnet.data.text_csv import locate_banking77
from projnet.device_bench.expected_outputs import expected_path
from projnet.registry import BACKENDS, quant_modes_for

WORDS = ["card", "lost", "rate", "fee", "top", "up", "pin", "cash", "atm", "refund", "transfer", "limit"]


def text_csv(path: Path) -> Path:
    """A three-intent text CSV of generated sentences: real featurizer ids and a real spec."""
    rng = np.random.default_rng(0)
    rows = ["text,label"]
    for i in range(150):
        label = i % 3
        words = rng.choice(WORDS[label * 4:label * 4 + 4], 3).tolist() + rng.choice(WORDS, 2).tolist()
        rows.append(f"{' '.join(words)},intent_{label}")
    path.write_text("\n".join(rows) + "\n")
    return path


def fashion_style_npz(path: Path) -> Path:
    """28x28 uint8 images of 10 classes (a bright bar at a class's height on noise), official test split
    included: the Fashion-MNIST shape without the download, so the image input is 28x28 as there."""
    rng = np.random.default_rng(1)

    def images(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 90, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            x[i, 2 + 2 * label:4 + 2 * label, 3:25] = 255
        return x, y

    (x, y), (x_test, y_test) = images(600), images(200)
    np.savez(path, x_train=x, y_train=y, x_test=x_test, y_test=y_test)
    return path


def student_for(backend: str, splits):
    """An untrained student of `backend` for `splits` (loading and running are what is checked)."""
    from projnet.projection.student import build_student

    projection = ProjectionConfig(backend=backend, num_functions=4, bits_per_function=8,
                                  center_inputs=BACKENDS[backend].centered)
    if BACKENDS[backend].input_kind == "ids":
        return build_student(splits.num_features, splits.num_classes, projection,
                             StudentConfig(hidden=[16], token_dim=8)), projection
    settings = StudentConfig(hidden=[] if backend == "patch" else [16], conv_filters=[8] if backend == "patch" else [])
    center = splits.x_train.mean(axis=0) if projection.center_inputs else None
    return build_student(splits.num_features, splits.num_classes, projection, settings, center,
                         splits.image_shape), projection


def export_every_student(folder: Path) -> list[Path]:
    """MODEL.tflite with MODEL.expected.npz for every backend x every mode but qat (its file is int8's kind):
    digits for the dense backends (image input where it applies), a generated text CSV for the ids ones,
    28x28 images for dense and patch (fashion_style_*), and BANKING77 for hashed and token where it is."""
    from projnet.export.export_run import shipped_student_file
    from projnet.export.student_input import shipped_student
    from projnet.export.tflite_eval import expected_outputs_npz

    digits = load_dataset(DataConfig())
    fashion_style = load_dataset(DataConfig(dataset=f"npz:{fashion_style_npz(folder / 'fashion_style.npz')}"))
    text = load_dataset(DataConfig(dataset=f"csv:{text_csv(folder / 'intents.csv')}"))
    cases = [(backend, text if BACKENDS[backend].input_kind == "ids" else digits, "") for backend in BACKENDS]
    cases += [(backend, fashion_style, "fashion_style_") for backend in ("dense", "patch")]  # 28x28 image inputs
    if locate_banking77(DataConfig(dataset="banking77")):  # CI and the working tree have it; a bare clone does not
        from projnet.config_settings import resolve_config
        from projnet.data import dataset_defaults

        banking77 = load_dataset(resolve_config(None, ["data.dataset=banking77"], dataset_defaults).data)
        cases += [(backend, banking77, "banking77_") for backend in ("hashed", "token")]
    models = []
    for backend, splits, prefix in cases:
        student, projection = student_for(backend, splits)
        for mode in ["float"] + [m for m in quant_modes_for(backend) if m != "qat"]:
            config = RunConfig(projection=projection, export=ExportConfig(quant=mode if mode != "float" else "int8"))
            shipped = shipped_student(student, splits, config, splits.x_train[:200])
            model = shipped_student_file(shipped, mode, splits, config)
            path = folder / f"{prefix}{backend}_{mode}.tflite"
            path.write_bytes(model)
            expected_path(path).write_bytes(expected_outputs_npz(model, shipped.rows(splits.x_test)))
            models.append(path)
    return models
