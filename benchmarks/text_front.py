"""The text front: students and the plain alternatives, trained in one run on the same ids and splits.

    .venv/bin/python -m benchmarks.text_front --dataset banking77 --seeds 0,1,2 \
        --json benchmarks/results/text_front_banking77.json --plot benchmarks/results/text_front_banking77.png
    .venv/bin/python -m benchmarks.text_front --dataset csv:../shared/data/hwu64 --seeds 0,1,2 \
        --json benchmarks/results/text_front_hwu64.json --plot benchmarks/results/text_front_hwu64.png

Per seed, every point is made by the CLI command stored with it (`command`):
1. students: `projnet train-and-export --dataset D --seed S --set ...` (trainer and student trained jointly);
2. baselines: `projnet baseline --dataset D --family F --size B --seed S` (hashed TF-IDF linear, small
   embedding bags), the same featurizer ids, splits and int8 converter as the students;
3. fastText supervised + quantize (`.ftz`), where the optional `fasttext-numpy2` package is installed
   (the output says when it is absent).
Then every seed-0 .tflite is timed by `python -m projnet.device_bench.text_bench` in a fresh process
(reference featurizer + ai-edge-litert, one thread, one text per invoke): p50 of featurize + infer
and of infer alone. Accuracy is each point's median over the seeds. The budget table puts the best
student and the best baseline at or under 32, 64, 128 and 256 KB side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.front_points import (budget_rows, graph_and_metadata_bytes, merge_seeds, parse_budgets, plot_front,
                                     print_front, run_every_seed)
from benchmarks.text_front_fasttext import fasttext_point

BUDGETS_KB = (32, 64, 128, 256)
# name -> --set overrides of the text defaults (projnet/data/text_csv.py), one student per budget:
# int8 bytes ~ T * 2^d * E (the code table) + E * classes + ~9 KB of graph
def token(t: int, d: int, e: int) -> list[str]:
    return [f"projection.num_functions={t}", f"projection.bits_per_function={d}", f"student.token_dim={e}"]


STUDENTS = {
    "token_T2_d8_E36": token(2, 8, 36),  # <= 32 KB
    "token_T2_d9_E48": token(2, 9, 48),  # <= 64 KB: the text default
    "token_T2_d10_E48": token(2, 10, 48),  # <= 128 KB
    "token_T2_d11_E48": token(2, 11, 48),  # <= 256 KB
    "hashed_T64_d16_h192": ["projection.backend=hashed", "projection.num_functions=64",  # the previous default:
                            "projection.bits_per_function=16", "student.hidden=[192]",  # one SimHash per text
                            "train.epochs=20", "train.student_learning_rate=0.002"],
}
# wider code-table rows, tried on HWU64 where more rows (d) stopped paying (README, "Text"); not in the default
# run since they did not beat the rows above: --students token_T2_d9_E96,... adds them
WIDE_ROWS = {"token_T2_d9_E96": token(2, 9, 96), "token_T2_d10_E96": token(2, 10, 96),
             "token_T2_d9_E160": token(2, 9, 160)}
DEFAULT_STUDENTS = list(STUDENTS)
STUDENTS.update(WIDE_ROWS)
# name -> --set overrides for the trainer every student of the run learns from (`--trainer`)
TRAINERS = {
    "default": [],  # the text defaults' trainer (projnet/data/text_csv.py): tfidf wide & deep over ids and pairs
    "mean_bag": ["trainer.pooling=mean", "trainer.embedding_dim=64", "trainer.hidden=[256]", "trainer.wide=false",
                 "trainer.adjacent_pairs=false", "trainer.buckets=65536"],  # the defaults before it
    # the defaults' trainer spelt out: what benchmarks/results/text_front_*.json were measured with
    "tfidf_wide_pairs": ["trainer.pooling=tfidf", "trainer.embedding_dim=256", "trainer.hidden=[]", "trainer.wide=true",
                         "trainer.adjacent_pairs=true", "trainer.buckets=32768"],
}
BASELINES = [("hashed_linear", 1 << k) for k in range(8, 13)] + [("embedding_bag", 1024), ("embedding_bag", 4096)]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "projnet.cli", *args]


def run_student(dataset: str, name: str, settings: list[str], seed: int, runs: Path, reuse: bool) -> dict:
    out = runs / f"{name}-s{seed}"
    args = ["train-and-export", "--dataset", dataset, "--seed", str(seed), *[a for s in settings for a in ("--set", s)]]
    if not (reuse and (out / "metrics.json").is_file()):
        subprocess.run(cli(*args, "--out", str(out), "--overwrite", "--quiet"), check=True, stdout=subprocess.DEVNULL)
    metrics = json.loads((out / "metrics.json").read_text())
    return {"kind": "student", "family": name.split("_")[0], "name": name, "model": str(out / "student_int8.tflite"),
            "accuracy": metrics["student_int8"]["accuracy"], **graph_and_metadata_bytes(metrics["student_int8"]),
            "agreement": metrics["student_int8"]["agreement"], "trainer_accuracy": metrics["trainer"]["accuracy"],
            "command": "projnet " + " ".join(args)}


def run_baseline(dataset: str, family: str, size: int, seed: int, runs: Path, reuse: bool) -> dict:
    out = runs / f"{family}_{size}-s{seed}"
    args = ["baseline", "--dataset", dataset, "--family", family, "--size", str(size), "--seed", str(seed)]
    if not (reuse and (out / "metrics.json").is_file()):
        subprocess.run(cli(*args, "--out", str(out), "--overwrite"), check=True, stdout=subprocess.DEVNULL)
    figures = json.loads((out / "metrics.json").read_text())["baseline"]
    return {"kind": "baseline", "family": family, "name": f"{family}_{size}", "model": str(out / "baseline_int8.tflite"),
            "accuracy": figures["accuracy"], "size_bytes": figures["size_bytes"], "agreement": figures["agreement"],
            "command": "projnet " + " ".join(args)}


def time_model(model: str, test_csv: Path, label_column: str, min_time: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench.text_bench", model, str(test_csv),
                           "--label-column", label_column, "--min-time", str(min_time)],
                          check=True, capture_output=True, text=True)
    bench = json.loads(done.stdout)
    assert not bench["tensorflow_imported"]
    return {"p50_us": bench["latency_us"]["featurize_and_infer"]["p50"],
            "infer_p50_us": bench["latency_us"]["infer"]["p50"], "end_to_end_accuracy": bench["accuracy"]}


def test_csv_of(dataset: str) -> tuple[Path, Path, str]:
    """(train.csv, test.csv, label column) of a text data set, where projnet itself finds them."""
    from projnet.config import DataConfig
    from projnet.data.text_csv import csv_path, locate_banking77

    if dataset == "banking77":
        directory = Path(locate_banking77(DataConfig()))
        return directory / "train.csv", directory / "test.csv", "category"
    directory = csv_path(dataset)
    return directory / "train.csv", directory / "test.csv", "label"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="banking77")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=None, help="where the runs go [runs/front/<dataset>]")
    parser.add_argument("--students", default=",".join(DEFAULT_STUDENTS), help="comma list of names from STUDENTS")
    parser.add_argument("--trainer", default="default", choices=list(TRAINERS), help="the students' trainer [default]")
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds of timed texts per model")
    parser.add_argument("--reuse", action="store_true", help="keep runs that already have metrics.json")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS_KB)), help="KB, comma list")
    parser.add_argument("--bars", default="", help="accuracy bars per budget, e.g. 64=0.905,256=0.915")
    args = parser.parse_args()
    budgets = parse_budgets(parser, args.budgets)
    try:
        bars = {int(k): float(v) for k, v in (item.split("=") for item in args.bars.split(",") if item)}
    except ValueError:
        parser.error(f"--bars takes KB=accuracy pairs, e.g. 64=0.905. Received: {args.bars!r}")
    seeds = [int(s) for s in args.seeds.split(",")]
    students = [s for s in args.students.split(",") if s]
    unknown = [s for s in students if s not in STUDENTS]
    if unknown:
        parser.error(f"unknown students {unknown}; known: {', '.join(STUDENTS)}")
    runs = args.runs or Path("runs/front") / args.dataset.replace(":", "_").replace("/", "_").strip("._")
    if args.runs is None and args.trainer != "default":  # --reuse must never pick up another trainer's runs
        runs = runs.with_name(f"{runs.name}-{args.trainer}")
    train_csv, test_csv, label_column = test_csv_of(args.dataset)
    started = time.time()
    runs_by_seed = run_every_seed(
        seeds, {name: TRAINERS[args.trainer] + STUDENTS[name] for name in students}, BASELINES,
        lambda name, settings, seed: run_student(args.dataset, name, settings, seed, runs, args.reuse),
        lambda family, size, seed: run_baseline(args.dataset, family, size, seed, runs, args.reuse), started)
    points = merge_seeds(runs_by_seed)
    for point in points:
        print(f"[{time.time() - started:6.0f} s] timing {point['name']}", flush=True)
        point.update(time_model(point.pop("model"), test_csv, label_column, args.min_time))
    fasttext = fasttext_point(train_csv, test_csv, label_column, seeds)
    if "accuracy" in fasttext:
        points.append(fasttext)
    trainer_runs = [p["trainer_accuracy"] for p in points if p["kind"] == "student"]
    result = {"dataset": args.dataset, "seeds": seeds, "budgets_kb": budgets,
              "trainer": {"name": args.trainer, "settings": TRAINERS[args.trainer],
                          "accuracy": statistics.median(trainer_runs), "accuracy_by_student": trainer_runs},
              "fasttext": fasttext, "points": points, "budgets": budget_rows(points, budgets, bars),
              "seconds": round(time.time() - started)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    plot_front(result, args.plot)
    print_front(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
