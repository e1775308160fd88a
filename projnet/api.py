"""projnet as a library: the calls a Python user needs, each also reachable as `projnet.<name>`.

    import projnet
    metrics = projnet.train_and_export("digits", out="runs/digits", settings={"train.epochs": 20})
    print(projnet.bench(["runs/digits/student_int8.tflite"])[0]["latency_us"]["p50"])
    student = projnet.load_model("runs/digits/student.keras")  # keras.saving.load_model alone cannot

Every call imports what it needs when called: `import projnet` stays free of TensorFlow, so that a
device with numpy and a TFLite runtime can use bench, inspect and predict. Errors are ProjnetError
(bad data or files) or UsageError (bad settings), with the message the CLI would print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

__all__ = ["bench", "export", "inspect", "load_model", "predict", "train_and_export"]


def train_and_export(dataset: str = "digits", out: str | Path | None = None, settings: dict[str, Any] | None = None,
                     config_file: str | Path | None = None, teacher: str | Path | None = None,
                     overwrite: bool = False, progress: bool = False) -> dict:
    """`projnet train-and-export`: train, export and benchmark into `out`; returns metrics.json's content.

    `settings` are `--set` keys (`projnet config` lists them), e.g. {"train.epochs": 20, "student.hidden": [64]}.
    """
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults
    from projnet.run import train_and_export as run
    from projnet.run_dir import default_run_dir

    overrides = {"data.dataset": dataset, **(settings or {})}
    if teacher is not None:
        overrides["trainer.teacher"] = str(teacher)
    overrides = {key: str(value) if isinstance(value, Path) else value for key, value in overrides.items()}
    config = resolve_config(config_file, [], dataset_defaults, overrides)
    return run(config, Path(out) if out else default_run_dir(config.data.dataset), overwrite=overwrite,
               show_progress=progress)


def export(run_dir: str | Path, progress: bool = False) -> dict:
    """`projnet export RUN_DIR`: convert and benchmark a run's saved models again; returns the metrics."""
    from projnet.run import export_existing_run

    return export_existing_run(Path(run_dir), show_progress=progress)


def bench(models: Iterable[str | Path], threads: int = 1, min_time_s: float = 1.0) -> list[dict]:
    """`projnet bench`: each model timed in a fresh process (latency_us p50/p90/p99, peak RSS, ...)."""
    from projnet.device_bench.local import bench_in_subprocess
    from projnet.device_bench.runner import BenchSettings

    settings = BenchSettings(threads=threads, min_time_s=min_time_s)
    return [bench_in_subprocess(model, settings) for model in models]


def inspect(model: str | Path) -> dict:
    """`projnet inspect`: a .tflite's ops, tensors, quantization and size, read without running it."""
    from projnet.device_bench.inspect_model import describe_model

    return describe_model(model)


def predict(model: str | Path, texts: Iterable[str], top_k: int = 3, spec_file: str | Path | None = None) -> list[dict]:
    """`projnet predict`: a text student's top-k labels per text, with the featurizer spec shipped beside it."""
    from projnet.device_bench.text_predict import TextClassifier

    classifier = TextClassifier.load(model, spec_file)
    return [classifier.predict(text, top_k) for text in texts]


def load_model(path: str | Path):
    """A projnet student.keras or trainer.keras, with projnet's layers registered first."""
    from projnet.projection.layers import load_model as load

    return load(path)
