"""The run directory: what a run writes, under which names, and the refusal to clobber user files."""

from __future__ import annotations

import time
from pathlib import Path

from projnet.atomic_io import refuse_to_replace
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
CHECKPOINT_DIR = "checkpoint"
STARTED_CONFIG = "started_with.toml"  # in CHECKPOINT_DIR: config.toml as the run started, which --resume checks
LOCK = ".projnet-run.lock"  # held (the writer's pid inside) while a run writes into the directory
RUN_FILES = (CONFIG, TRAINER_KERAS, STUDENT_KERAS, HISTORY, CURVES_PNG, TRAINER_FLOAT, METRICS, REPORT, PIPELINE)
RUN_PATTERNS = ("student_*.tflite", "*.featurizer.json", "*.expected.npz",  # one per quant mode, text specs, checks
                "*.labels.txt")  # class names, one a line, in output order


def labels_path(model_path: str | Path) -> Path:
    """student_int8.tflite -> student_int8.labels.txt: the class of each output, in order, one a line (the
    format TFLite's metadata and Android's Task Library read as a labels file)."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".labels.txt")


def default_run_dir(dataset: str) -> Path:
    """runs/<name>-<time>; a path-named source is named by its file or folder (csv-train, idx-kmnist), not its path."""
    prefix, _, path = dataset.partition(":")
    if path:
        stem = "".join(c if c.isprintable() and c not in "/\\:" else "_" for c in Path(path).expanduser().resolve().stem)
        dataset = f"{prefix}-{stem or 'data'}"
    return Path("runs") / f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare_run_dir(out: str | Path, overwrite: bool) -> Path:
    """Create `out`; refuse an existing one unless `overwrite`, which replaces only a run's own files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ProjnetError(f"--out {out} exists and is not a directory")
    refuse_to_replace(out, overwrite, "--out", "the run files in it (other files are left alone)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjnetError(f"cannot create run directory {out}: {exc.strerror}") from None
    acquire_lock(out)  # before removing anything: a run still writing here keeps its files
    try:
        remove_run_files(out)
    except OSError as exc:
        release_lock(out)
        raise ProjnetError(f"cannot replace the run files in {out}: {exc.strerror}") from None
    return out


def acquire_lock(out: Path) -> None:
    """Mark `out` as being written by this process; refuse it while another live process holds it.

    A lock left by a run that was killed (its pid no longer exists) is taken over, so resuming works.
    """
    import os

    path = out / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None:
                raise ProjnetError(f"--out {out} is being written by another projnet run (pid {holder}); wait for it "
                                   f"to finish or pick another --out") from None
            path.unlink(missing_ok=True)  # stale: its writer is gone
            continue
        except OSError as exc:
            raise ProjnetError(f"cannot write in run directory {out}: {exc.strerror}") from None
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return
    raise ProjnetError(f"--out {out}: cannot take its lock file {LOCK}")


def _lock_holder(path: Path) -> int | None:
    """The pid in a lock file when that process is alive (and not this one), else None."""
    import os

    try:
        pid = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        return pid
    return pid


def release_lock(out: Path) -> None:
    (Path(out) / LOCK).unlink(missing_ok=True)


def remove_run_files(out: Path) -> list[str]:
    """Delete what an earlier run wrote into `out` (its names and patterns only), so that none of its models or
    specs sits beside the new run's: a text run's featurizer spec beside a digits model, an int8 file after
    --quant changed. Returns the names removed."""
    import shutil

    found = [out / name for name in RUN_FILES] + [p for pattern in RUN_PATTERNS for p in out.glob(pattern)]
    removed = []
    for path in found:
        if path.is_file():
            path.unlink()
            removed.append(path.name)
    if (out / CHECKPOINT_DIR).is_dir():
        shutil.rmtree(out / CHECKPOINT_DIR)
        removed.append(CHECKPOINT_DIR)
    return removed


def require_run_dir(run_dir: str | Path, *names: str) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ProjnetError(f"run directory not found: {run_dir}")
    missing = [n for n in names if not (run_dir / n).is_file()]
    if missing:
        raise ProjnetError(f"{run_dir} is not a complete training run: missing {', '.join(missing)}")
    return run_dir
