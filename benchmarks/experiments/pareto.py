"""Size / accuracy / latency sweep on Fashion-MNIST: projnet students beside plain int8 MLPs.

One CNN trainer is trained once on labels and its logits on the training split are cached; every
student (backend x T x d x hidden) is then distilled from those logits (projnet/trainer/fixed_teacher.py,
no mixup term) and exported in each quantization mode. The baseline is what a user would otherwise
do: a plain MLP 784 -> h -> 10 trained on labels alone, full-integer int8 through the standard
converter route. Every point's test accuracy, .tflite size and one-thread p50 latency go into
benchmarks/results/pareto.json, which is resumable: points already there are skipped.

    .venv/bin/python -m benchmarks.experiments.pareto                  # the default grid
    .venv/bin/python -m benchmarks.experiments.pareto --quick          # two points, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from projnet.native_output import import_tensorflow_quietly  # noqa: E402

RESULTS = Path(__file__).parent.parent / "results"  # benchmarks/results, beside the live benchmarks
# (backend, T, d, hidden, quant modes): the dense reference, the structured twins at equal sizes,
# students sized under 64 KB, and the lsh backend (float modes only: it hashes float bytes).
GRID = [
    ("dense", 64, 8, [128], ["int8", "float", "dynamic", "float16", "qat"]),
    ("structured", 64, 8, [128], ["int8", "float", "dynamic", "float16", "qat"]),
    ("structured", 64, 8, [96], ["int8", "float"]),
    ("structured", 128, 8, [48], ["int8", "float", "qat"]),
    ("structured", 128, 8, [32], ["int8", "float"]),
    ("structured", 128, 8, [16], ["int8", "float"]),
    ("structured", 256, 8, [16], ["int8", "float"]),
    ("structured", 256, 8, [8], ["int8", "float"]),
    ("structured", 64, 8, [32], ["int8", "float"]),
    ("structured", 32, 8, [64], ["int8", "float"]),
    ("structured", 16, 8, [32], ["int8", "float"]),
    ("dense", 32, 8, [64], ["int8", "float"]),
    ("dense", 16, 8, [32], ["int8", "float"]),
    ("lsh", 32, 8, [64], ["float", "dynamic"]),
]
BASELINE_HIDDEN = [8, 16, 32, 48, 64, 96, 128, 192, 256]  # up to ~200 KB: the front must not stop short of the students
QUICK_GRID = [("structured", 16, 8, [32], ["int8", "float"])]


def point_id(backend: str, t: int, d: int, hidden: list[int], quant: str) -> str:
    return f"{backend}-T{t}-d{d}-h{'x'.join(map(str, hidden))}-{quant}"


def load_results(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"settings": {}, "points": {}}


def save_results(path: Path, results: dict) -> None:
    from projnet.atomic_io import atomic_write_json

    atomic_write_json(path, results)


def cached_teacher_model(splits, config, cache: Path, show: bool):
    """The CNN trainer trained on labels for `config.train.epochs` epochs, and its test accuracy; saved in `cache`."""
    import keras
    import numpy as np

    from projnet.projection.layers import load_model
    from projnet.trainer.joint_training import predict_logits
    from projnet.trainer.models import build_trainer

    path = cache / f"teacher-e{config.train.epochs}-s{config.train.seed}.keras"
    if path.exists():
        trainer = load_model(path)
    else:
        keras.utils.set_random_seed(config.train.seed)
        trainer = build_trainer(splits.num_features, splits.num_classes, splits.image_shape, config.trainer, splits.x_train)
        trainer.compile(optimizer=keras.optimizers.Adam(config.train.learning_rate),
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        trainer.fit(splits.x_train, splits.y_train, batch_size=config.train.batch_size, epochs=config.train.epochs,
                    verbose=2 if show else 0)
        cache.mkdir(parents=True, exist_ok=True)
        trainer.save(path)
    return trainer, float(np.mean(predict_logits(trainer, splits.x_test).argmax(1) == splits.y_test))


def cached_teacher(splits, config, cache: Path, show: bool):
    """The CNN trainer's logits on the training split and its test accuracy, trained once and cached."""
    import numpy as np

    from projnet.trainer.joint_training import predict_logits

    path = cache / f"teacher-e{config.train.epochs}-s{config.train.seed}.npz"
    if path.exists():
        data = np.load(path)
        return data["train_logits"], float(data["test_accuracy"])
    trainer, accuracy = cached_teacher_model(splits, config, cache, show)
    logits = predict_logits(trainer, splits.x_train)
    np.savez(path, train_logits=logits, test_accuracy=accuracy)
    return logits, accuracy


def measure(model: bytes, path: Path, splits, bench_settings) -> dict:
    """Test accuracy, size and one-thread p50 latency of one .tflite."""
    import numpy as np

    from projnet.atomic_io import atomic_write_bytes
    from projnet.device_bench.local import bench_in_subprocess
    from projnet.export.tflite_eval import run_tflite

    atomic_write_bytes(path, model)
    accuracy = float(np.mean(run_tflite(model, splits.x_test).argmax(1) == splits.y_test))
    bench = bench_in_subprocess(path, bench_settings)
    return {"accuracy": accuracy, "size_bytes": len(model), "p50_us": bench["latency_us"]["p50"]}


def student_for(point, splits, config, teacher_logits, cache: Path, show: bool):
    """The distilled student of one grid point, trained once and kept in the cache as .keras."""
    from projnet.projection.layers import load_model
    from projnet.projection.student import build_student
    from projnet.trainer.fixed_teacher import distil_from_logits

    backend, t, d, hidden, _ = point
    path = cache / f"{point_id(backend, t, d, hidden, 'student')}.keras"
    if path.exists():
        return load_model(path)
    projection = replace(config.projection, backend=backend, num_functions=t, bits_per_function=d)
    student = build_student(splits.num_features, splits.num_classes, projection,
                            replace(config.student, hidden=hidden), splits.x_train.mean(axis=0))
    distil_from_logits(student, splits, teacher_logits, config.train, config.objective, show)
    student.save(path)
    return student


def run_students(grid, splits, config, teacher_logits, results, out: Path, cache: Path, bench_settings,
                 show: bool) -> None:
    from projnet.export.export_run import bit_flip_rate, quantized_student, representative_rows

    representative = representative_rows(splits, config)
    for point in grid:
        backend, t, d, hidden, modes = point
        todo = [m for m in modes if point_id(backend, t, d, hidden, m) not in results["points"]]
        if not todo:
            continue
        student = student_for(point, splits, config, teacher_logits, cache, show)
        for mode in todo:
            pid = point_id(backend, t, d, hidden, mode)
            print(f"exporting {pid}", flush=True)
            model = quantized_student(student, mode, representative, splits)
            entry = {"kind": "projnet", "backend": backend, "T": t, "d": d, "hidden": hidden, "quant": mode,
                     **measure(model, cache / f"{pid}.tflite", splits, bench_settings),
                     "bit_flip_rate": bit_flip_rate(student, splits.x_test, representative, mode)}
            results["points"][pid] = entry
            save_results(out, results)
            print(f"  {pid}: acc {entry['accuracy']:.4f} size {entry['size_bytes'] / 1024:.1f} KB "
                  f"p50 {entry['p50_us']:.1f} us flips {entry['bit_flip_rate']:.4f}", flush=True)


def train_plain_mlp(splits, hidden: int, train):
    """The baseline a user would otherwise train: 784 -> hidden -> classes on labels alone (Keras, float)."""
    import keras

    keras.utils.set_random_seed(train.seed)
    inputs = keras.Input((splits.num_features,))
    x = keras.layers.Dense(hidden, activation="relu")(inputs)
    mlp = keras.Model(inputs, keras.layers.Dense(splits.num_classes)(x))
    mlp.compile(optimizer=keras.optimizers.Adam(train.student_learning_rate or 1e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    mlp.fit(splits.x_train, splits.y_train, batch_size=train.batch_size, epochs=train.epochs, verbose=0)
    return mlp


def run_baselines(hidden_sizes, splits, config, results, out: Path, cache: Path, bench_settings, show: bool):
    """Plain MLPs on labels alone, int8 through TFLiteConverter: the route projnet must beat."""
    from projnet.export.converter import convert_int8
    from projnet.export.export_run import representative_rows

    representative = representative_rows(splits, config)
    for h in hidden_sizes:
        pid = f"baseline-mlp-h{h}-int8"
        if pid in results["points"]:
            continue
        mlp = train_plain_mlp(splits, h, config.train)
        entry = {"kind": "baseline", "hidden": [h], "quant": "int8",
                 **measure(convert_int8(mlp, representative, "baseline"), cache / f"{pid}.tflite", splits,
                           bench_settings)}
        results["points"][pid] = entry
        save_results(out, results)
        print(f"  {pid}: acc {entry['accuracy']:.4f} size {entry['size_bytes'] / 1024:.1f} KB "
              f"p50 {entry['p50_us']:.1f} us", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "pareto.json")
    parser.add_argument("--plot", type=Path, default=RESULTS / "pareto.png")
    parser.add_argument("--cache", type=Path, default=Path("runs/pareto-cache"),
                        help="trainer logits, students and .tflite files (reused on a re-run)")
    parser.add_argument("--teacher-epochs", type=int, default=4)
    parser.add_argument("--student-epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="one student and two baselines")
    parser.add_argument("--backends", default="dense,structured,lsh", help="comma list: run only these")
    parser.add_argument("--modes", default="int8,float,dynamic,float16,qat", help="comma list: run only these")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    import_tensorflow_quietly()
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults, load_dataset
    from projnet.device_bench.runner import BenchSettings

    config = resolve_config(set_options=["data.dataset=fashion_mnist"], dataset_defaults=dataset_defaults)
    splits = load_dataset(config.data)
    results = load_results(args.out)
    results["settings"].update(dataset="fashion_mnist", teacher_epochs=args.teacher_epochs,
                               student_epochs=args.student_epochs, bench_threads=1,
                               note="one CNN trainer, every student distilled from its cached logits")
    teacher_config = replace(config, train=replace(config.train, epochs=args.teacher_epochs))
    student_config = replace(config, train=replace(config.train, epochs=args.student_epochs))
    bench_settings = BenchSettings(threads=1, min_time_s=0.5, warmup_runs=20)
    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    backends, modes = args.backends.split(","), args.modes.split(",")
    grid = [(b, t, d, h, [m for m in ms if m in modes]) for b, t, d, h, ms in (QUICK_GRID if args.quick else GRID)
            if b in backends]
    baselines = BASELINE_HIDDEN[:2] if args.quick else BASELINE_HIDDEN
    run_baselines(baselines, splits, student_config, results, args.out, args.cache, bench_settings, not args.quiet)
    if any(point_id(b, t, d, h, m) not in results["points"] for b, t, d, h, ms in grid for m in ms):
        # only when a student is missing: the students in the JSON keep the teacher they were distilled from
        teacher_logits, results["settings"]["teacher_test_accuracy"] = cached_teacher(
            splits, teacher_config, args.cache, not args.quiet)
        run_students(grid, splits, student_config, teacher_logits, results, args.out, args.cache, bench_settings,
                     not args.quiet)
    from benchmarks.experiments.pareto_report import plot_pareto, print_table, summary

    results["summary"] = summary(results)
    save_results(args.out, results)
    print_table(results)
    print(json.dumps(results["summary"], indent=2))
    plot_pareto(results, args.plot)


if __name__ == "__main__":
    main()
