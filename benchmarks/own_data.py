"""Your own data, measured: each source against the run it must match, with the CLI a user would type.

    .venv/bin/python -m benchmarks.own_data --seeds 0,1,2 --json benchmarks/results/own_data.json \
        --plot benchmarks/results/own_data.png

1. images:DIR vs idx:DIR: Fashion-MNIST's IDX files, and the same 70,000 images written as PNGs
   (DIR/train/<class>/, DIR/test/<class>/), trained with the same settings (the fashion_mnist
   default); the bar: the PNG run within 0.5 points of the IDX run (seed 0 only: ~6 min a run).
2. table:FILE on scikit-learn's bundled wine and breast-cancer data written as CSVs: student int8
   within 3 points of the trainer.
3. series:FILE on the generated accelerometer recordings (projnet/data/synthetic_activity.py, 120
   recordings of 4 activities): student int8 within 3 points of the trainer, split by recording.
4. --teacher on digits: a Keras MLP fitted with plain `keras.Model.fit` outside projnet, frozen, as
   the teacher; the bar: the student within 1 point of the jointly trained default student.
Accuracy is each run's test accuracy, the median over the seeds. Run baselines are off
(export.baselines=false): these rows compare a source with its reference, not with other models.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJNET = [sys.executable, "-m", "projnet.cli"]
QUIET = ["--quiet", "--set", "export.baselines=false"]


def run(out: Path, args: list[str]) -> dict:
    command = [*PROJNET, "train-and-export", "--out", str(out), "--overwrite", *QUIET, *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {"command": " ".join(command[2:]), "trainer": metrics["trainer"]["accuracy"],
            "student_int8": metrics["student_int8"]["accuracy"], "int8_bytes": metrics["student_int8"]["size_bytes"],
            "seconds": round(time.perf_counter() - started, 1)}


def write_fashion_pngs(root: Path) -> Path:
    """Fashion-MNIST's IDX files as PNGs: root/train/<class>/<n>.png, root/test/<class>/<n>.png."""
    import numpy as np
    from PIL import Image

    from projnet.config import DataConfig
    from projnet.data.fashion_mnist import CLASS_NAMES, locate_fashion_mnist
    from projnet.data.idx_files import find_idx_files, read_idx_set

    x_train, y_train, x_test, y_test = read_idx_set(find_idx_files(Path(locate_fashion_mnist(DataConfig()))))
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        for name in CLASS_NAMES:  # "t-shirt/top" has a slash: folder names cannot
            (root / split / name.replace("/", " or ")).mkdir(parents=True, exist_ok=True)
        for i, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(np.asarray(image)).save(root / split / CLASS_NAMES[label].replace("/", " or ") / f"{i:05d}.png")
    return root


def write_sklearn_csv(path: Path, loader) -> Path:
    bunch = loader()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.replace(" ", "_") for c in bunch.feature_names] + ["label"])
        for row, y in zip(bunch.data, bunch.target):
            writer.writerow([*row, bunch.target_names[y]])
    return path


def fit_digits_teacher(path: Path, seed: int) -> Path:
    """The teacher a user might bring: an MLP fitted on digits' training split with Keras alone."""
    import keras

    from projnet.config import DataConfig
    from projnet.data import load_dataset

    splits = load_dataset(DataConfig())
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(splits.x_train, splits.y_train, epochs=60, batch_size=32, verbose=0,
              validation_data=(splits.x_val, splits.y_val))
    model.save(path)
    return path


def summarize(runs: list[dict]) -> dict:
    return {"trainer": statistics.median(r["trainer"] for r in runs),
            "student_int8": statistics.median(r["student_int8"] for r in runs),
            "int8_bytes": runs[0]["int8_bytes"], "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")  # the row labels below keep their order in the JSON
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--rows", default="table,series,teacher,images",
                        help="which comparisons to run; rows already in --json are kept")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    from sklearn.datasets import load_breast_cancer, load_wine

    from projnet.data.fashion_mnist import locate_fashion_mnist
    from projnet.config import DataConfig
    from projnet.data.synthetic_activity import write_activity_csv

    wanted = set(args.rows.split(","))
    results: dict = json.loads(args.json.read_text()) if args.json.is_file() else {"seeds": seeds, "rows": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = {}
        if "table" in wanted:
            sources["table: wine"] = f"table:{write_sklearn_csv(work / 'wine.csv', load_wine)}"
            sources["table: breast cancer"] = f"table:{write_sklearn_csv(work / 'cancer.csv', load_breast_cancer)}"
        if "series" in wanted:
            sources["series: generated accelerometer"] = f"series:{write_activity_csv(work / 'acc.csv', 30, 20.0)}"
        for label, dataset in sources.items():
            runs = [run(work / f"run-{len(results['rows'])}-{s}", ["--dataset", dataset, "--seed", str(s)])
                    for s in seeds]
            results["rows"][label] = {**summarize(runs), "bar": "student int8 within 3 points of the trainer"}
            print(label, json.dumps({k: v for k, v in results["rows"][label].items() if k != "runs"}), flush=True)
        joint, taught = [], []
        for s in seeds if "teacher" in wanted else ():
            joint.append(run(work / f"joint-{s}", ["--dataset", "digits", "--seed", str(s)]))
            teacher = fit_digits_teacher(work / f"teacher-{s}.keras", s)
            taught.append(run(work / f"taught-{s}", ["--dataset", "digits", "--seed", str(s), "--teacher", str(teacher)]))
        if "teacher" in wanted:
            results["rows"]["digits: jointly trained"] = summarize(joint)
            results["rows"]["digits: --teacher (Keras fit, frozen)"] = {
                **summarize(taught), "bar": "student int8 within 1 point of the jointly trained student"}
            print("teacher", json.dumps({k: summarize(v)["student_int8"] for k, v in (("joint", joint),
                                                                                       ("taught", taught))}), flush=True)
        fashion = locate_fashion_mnist(DataConfig())
        if fashion and "images" in wanted:
            pngs = write_fashion_pngs(work / "fashion png")
            s = str(seeds[0])
            results["rows"]["fashion: idx:DIR"] = summarize([run(work / "idx", ["--dataset", f"idx:{fashion}",
                                                                                 "--seed", s])])
            results["rows"]["fashion: images:DIR (PNG)"] = {
                **summarize([run(work / "png", ["--dataset", f"images:{pngs}", "--seed", s])]),
                "bar": "student int8 within 0.5 points of the idx:DIR run"}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"{'source':42s} {'trainer':>8s} {'int8':>8s} {'KB':>7s}")
    for label, row in results["rows"].items():
        print(f"{label:42s} {row['trainer']:8.4f} {row['student_int8']:8.4f} {row['int8_bytes'] / 1024:7.1f}")
    if args.plot:
        plot(results, args.plot)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(results["rows"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], [results["rows"][k]["trainer"] for k in labels], 0.4, label="trainer (Keras)")
    ax.bar([x + 0.2 for x in xs], [results["rows"][k]["student_int8"] for k in labels], 0.4, label="student int8 .tflite")
    ax.set_xticks(list(xs), [k.replace(": ", ":\n") for k in labels], fontsize=7)
    ax.set_ylabel("test accuracy (median over seeds)")
    ax.set_ylim(0.8, 1.0)
    ax.set_title("Your own data: each source's student against its trainer")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
