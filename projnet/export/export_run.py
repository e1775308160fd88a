"""Export a trained run: student -> float and int8 .tflite, trainer -> float baseline; check, measure, report."""

from __future__ import annotations

import platform
from pathlib import Path

import keras
import numpy as np

from projnet import run_dir as names
from projnet.atomic_io import atomic_write_bytes, atomic_write_json
from projnet.config import RunConfig
from projnet.data.splits import DatasetSplits
from projnet.device_bench.expected_outputs import MAX_ROWS, expected_path
from projnet.device_bench.local import bench_in_subprocess
from projnet.device_bench.runner import BenchSettings
from projnet.errors import ProjnetError
from projnet.metrics_schema import METRICS_SCHEMA_VERSION, check_metrics
from projnet.export.converter import convert_float, require_builtin_ops
from projnet.export.student_conversion import convert_student
from projnet.export.student_input import ShippedStudent, shipped_student
from projnet.export.student_metadata import export_versions, labels_bytes, with_student_metadata
from projnet.export.text_export import featurizer_parity, write_featurizer_spec
from projnet.export.tflite_eval import expected_outputs_npz, run_tflite
from projnet.progress import progress_bar
from projnet.projection.student import projection_submodel
from projnet.run_report import write_report
from projnet.trainer.joint_training import predict_logits


def representative_rows(splits: DatasetSplits, config: RunConfig) -> np.ndarray:
    """Calibration inputs for int8, drawn from the training split with a fixed seed."""
    wanted = config.export.representative_samples
    if min(wanted, len(splits.x_train)) < config.export.min_representative_samples:
        raise ProjnetError(f"int8 calibration needs at least {config.export.min_representative_samples} "
                           f"representative samples; got {min(wanted, len(splits.x_train))}")
    rng = np.random.default_rng(config.data.split_seed)
    return splits.x_train[rng.permutation(len(splits.x_train))[:wanted]]


def bit_flip_rate(student: keras.Model, x: np.ndarray, representative: np.ndarray, mode: str) -> float:
    """Fraction of projection bits (or codes) where the .tflite of the projection alone, exported in `mode`, differs."""
    bits_model = projection_submodel(student)
    # qat fine-tunes only the Dense layers: its projection is quantized exactly as int8 PTQ's
    model = convert_student(bits_model, "int8" if mode == "qat" else mode, representative, "projection")
    expected, got = predict_logits(bits_model, x), run_tflite(model, x)
    if np.issubdtype(expected.dtype, np.integer):  # token codes: an id's code is right or wrong
        return float(np.mean(got != expected))
    return float(np.mean((got > 0.5) != (expected > 0.5)))


def evaluate_student_tflite(model: bytes, splits: DatasetSplits, keras_pred: np.ndarray, rows=lambda x: x) -> dict:
    pred = run_tflite(model, rows(splits.x_test)).argmax(axis=1)
    return {"accuracy": float(np.mean(pred == splits.y_test)), "agreement": float(np.mean(pred == keras_pred))}


def check_rows(splits: DatasetSplits) -> np.ndarray:
    """The rows whose outputs ship beside each student (test rows first, topped up from the others)."""
    return np.concatenate([splits.x_test, splits.x_val, splits.x_train])[:MAX_ROWS]


def quantized_student(student: keras.Model, mode: str, representative: np.ndarray, splits: DatasetSplits) -> bytes:
    """The student's .tflite in a quantized mode; qat fine-tunes a tf_keras twin in its own process first."""
    if mode == "qat":
        from projnet.export.qat import qat_in_subprocess

        return qat_in_subprocess(student, splits, representative)
    return convert_student(student, mode, representative)


def converted_student(shipped: ShippedStudent, mode: str, splits: DatasetSplits) -> bytes:
    """The shipped student converted in `mode` ("float" or a quantized mode), before its metadata."""
    if mode == "float":
        return convert_student(shipped.model, "float")
    return quantized_student(shipped.model, mode, shipped.calibration, splits)


def shipped_student_file(shipped: ShippedStudent, mode: str, splits: DatasetSplits, config: RunConfig) -> bytes:
    """One student .tflite as a run ships it: converted in `mode`, with its metadata."""
    return with_student_metadata(converted_student(shipped, mode, splits), splits, config, shipped.kind, mode)


def data_record(splits: DatasetSplits) -> dict:
    """What the run read and how it was split, as metrics.json and the report give it."""
    record = {"name": splits.name, "description": splits.description, "source": splits.source,
              "layout": splits.layout, "input_shape": list(splits.image_shape), "classes": list(splits.class_names),
              "rows": {"train": len(splits.y_train), "validation": len(splits.y_val), "test": len(splits.y_test)},
              "files": list(splits.files)}
    if splits.scaling is not None:  # the device must apply it: x -> (x - subtract) * multiply, per column
        record["scaling"] = splits.scaling
    return record


def export_run(run_dir: Path, config: RunConfig, splits: DatasetSplits, trainer: keras.Model,
               student: keras.Model, show_progress: bool = True, teacher: dict | None = None) -> dict:
    """Write the three .tflite files, metrics.json and report.md into `run_dir`; returns the metrics."""
    representative = representative_rows(splits, config)
    bench_settings = BenchSettings(threads=config.bench.threads, min_time_s=config.bench.min_time_s,
                                   warmup_runs=config.bench.warmup_runs)
    student_pred = predict_logits(student, splits.x_test).argmax(axis=1)
    trainer_pred = predict_logits(trainer, splits.x_test).argmax(axis=1)
    metrics: dict = {
        "schema_version": METRICS_SCHEMA_VERSION,
        "dataset": splits.name,
        "data": data_record(splits),
        **({"teacher": teacher} if teacher else {}),
        "trainer": {"accuracy": float(np.mean(trainer_pred == splits.y_test)), "params": trainer.count_params()},
        "student": {"accuracy": float(np.mean(student_pred == splits.y_test)), "params": student.count_params(),
                    "bits": config.num_bits},
    }
    mode = config.export.quant
    metrics["quant"] = mode
    metrics["export_versions"] = export_versions()
    if splits.featurizer is not None:
        metrics["featurizer_parity"] = featurizer_parity(splits)
    # images: pixels in, probabilities out (export/student_input.py); the trainer keeps flat rows
    shipped = shipped_student(student, splits, config, representative)
    metrics["student_input"], rows = shipped.kind, shipped.rows
    jobs = [
        (names.STUDENT_FLOAT, "student_float", lambda: converted_student(shipped, "float", splits)),
        (f"student_{mode}.tflite", f"student_{mode}", lambda: converted_student(shipped, mode, splits)),
        (names.TRAINER_FLOAT, "trainer_float", lambda: convert_float(trainer, "trainer")),
    ]
    with progress_bar(show_progress) as progress:
        task = progress.add_task("exporting", total=len(jobs) * 2 + 2)
        for filename, key, convert in jobs:
            progress.update(task, description=f"converting {filename}")
            model = convert()
            plain_size = len(model)
            if key.startswith("student"):  # labels, normalization and the featurizer travel inside the file
                model = with_student_metadata(model, splits, config, shipped.kind, key.removeprefix("student_"))
            atomic_write_bytes(run_dir / filename, model)
            entry = {"size_bytes": len(model), "ops": require_builtin_ops(model, filename)}
            if key.startswith("student"):
                entry["metadata_bytes"] = len(model) - plain_size
                entry.update(evaluate_student_tflite(model, splits, student_pred, rows))
                if splits.featurizer is not None:  # text: the featurizer spec also ships beside the student
                    write_featurizer_spec(run_dir / filename, splits)
                atomic_write_bytes(expected_path(run_dir / filename),
                                   expected_outputs_npz(model, rows(check_rows(splits))))
                atomic_write_bytes(names.labels_path(run_dir / filename), labels_bytes(splits))
            metrics[key] = entry
            progress.advance(task)
        progress.update(task, description="checking projection bits")
        for key, how in (("student_float", "float"), (f"student_{mode}", mode)):
            metrics[key]["bit_flip_rate"] = bit_flip_rate(student, splits.x_test, representative, how)
        progress.advance(task, 2)
        for filename, key, _ in jobs:
            progress.update(task, description=f"benchmarking {filename}")
            bench = bench_in_subprocess(run_dir / filename, bench_settings)
            metrics[key].update(latency_us=bench["latency_us"], peak_rss_mb=bench["peak_rss_mb"],
                                init_ms=bench["init_ms"])
            progress.advance(task)
        if config.export.baselines:  # what a user would ship instead, at the student's size, on the same splits
            from projnet.baselines.baseline_run import baselines_within

            progress.update(task, description="training the plain baselines")
            # the student's graph against theirs: both without metadata, which a baseline's file would carry too
            quantized = metrics[f"student_{mode}"]
            found = baselines_within(splits, quantized["size_bytes"] - quantized["metadata_bytes"], seed=config.train.seed)
            metrics["baselines"] = found
            metrics["baseline"] = max(found, key=lambda b: b["accuracy"]) if found else None
    metrics["bench"] = {"runtime": bench["runtime"], "threads": bench["threads"],
                        "machine": f"{platform.machine()} {platform.system()}"}
    metrics["size_ratio_int8_to_trainer"] = metrics[f"student_{mode}"]["size_bytes"] / metrics["trainer_float"]["size_bytes"]
    check_metrics(metrics)
    atomic_write_json(run_dir / names.METRICS, metrics)
    write_report(run_dir / names.REPORT, metrics)
    return metrics
