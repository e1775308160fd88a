"""The run directory: what a run writes, under which names, and the refusal to clobber user files."""

from __future__ import annotations

import time
from pathlib import Path

from projnet.errors import ProjnetError

CONFIG = "config.toml"
TRAINER_KERAS = "trainer.keras"
STUDENT_KERAS = "student.keras"
HISTORY = "history.json"
CURVES_PNG = "training_curves.png"
STUDENT_FLOAT = "student_float.tflite"
STUDENT_INT8 = "student_int8.tflite"
TRAINER_FLOAT = "trainer_float.tflite"
METRICS = "metrics.json"
REPORT = "report.md"
PIPELINE = "pipeline.json"  # pipelined runs: engine, stages, where each stage's variables lived, throughput


def default_run_dir(dataset: str) -> Path:
    """runs/<name>-<time>; a csv:PATH data set is named by its file or folder (csv-train), not its path."""
    if dataset.startswith("csv:"):
        dataset = "csv-" + (Path(dataset[len("csv:"):]).expanduser().resolve().stem or "data")
    return Path("runs") / f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare_run_dir(out: str | Path, overwrite: bool) -> Path:
    """Create `out`; refuse an existing one unless `overwrite`, which replaces only a run's own files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ProjnetError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ProjnetError(f"--out {out} already exists and is not empty; pass --overwrite to replace "
                           f"the run files in it (other files are left alone)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjnetError(f"cannot create run directory {out}: {exc.strerror}") from None
    return out


def require_run_dir(run_dir: str | Path, *names: str) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ProjnetError(f"run directory not found: {run_dir}")
    missing = [n for n in names if not (run_dir / n).is_file()]
    if missing:
        raise ProjnetError(f"{run_dir} is not a complete training run: missing {', '.join(missing)}")
    return run_dir
