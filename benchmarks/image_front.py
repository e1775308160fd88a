"""The image front: patch students and the plain int8 models a user would ship instead, in one run.

    .venv/bin/python -m benchmarks.image_front --dataset fashion_mnist --seeds 0,1,2 \
        --json benchmarks/results/image_front_fashion_mnist.json --plot benchmarks/results/image_front_fashion_mnist.png

Per seed, every point is made by the CLI command stored with it (`command`):
1. students: `projnet train-and-export --dataset D --seed S --set ...` (the CNN trainer and the patch
   student trained jointly: labels + distillation + mixup distillation), one per budget;
2. baselines: `projnet baseline --dataset D --family mlp|cnn --size N --seed S`: plain MLPs 784 -> h -> 10
   and tiny CNNs (3x3 convs of N and 2N filters, each 2x2 max-pooled, Dense), trained on labels with the
   weights of the best validation epoch kept; same splits and int8 converter as the students.
Then every seed-0 .tflite is timed in a fresh process by projnet's device bench (ai-edge-litert, one
thread, one image per invoke, p50 after warm-up). Accuracy is each point's median over the seeds, on
the official 10,000 test images. The budget tables put the best student beside the best plain MLP and
the best tiny CNN at or under each budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.front_points import (budget_rows, family_rows, graph_and_metadata_bytes, merge_seeds, parse_budgets,
                                     plot_front, print_front, run_every_seed)

BUDGETS_KB = (16, 32, 64, 128)


def patch(t: int, d: int, convs: list[int]) -> list[str]:
    """--set overrides of the data set's defaults for a patch student (3x3 patches, stride 1)."""
    return ["projection.backend=patch", f"projection.num_functions={t}", f"projection.bits_per_function={d}",
            "student.hidden=[]", f"student.conv_filters=[{','.join(map(str, convs))}]"]


# one student per budget; int8 bytes ~ the learned convolutions' weights + ~5 KB of graph
STUDENTS = {
    "patch_F8_c16-32": patch(1, 8, [16, 32]),  # <= 16 KB
    "patch_F16_c32-48": patch(2, 8, [32, 48]),  # <= 32 KB
    "patch_F16_c48-64": patch(2, 8, [48, 64]),  # <= 64 KB: the fashion_mnist default
    "patch_F32_c64-96": patch(4, 8, [64, 96]),  # <= 128 KB
}
BASELINES = [("mlp", h) for h in (8, 16, 32, 64, 128)] + [("cnn", f) for f in (4, 8, 16, 32)]
STYLE = {"mlp": "plain MLP", "cnn": "tiny CNN"}  # how the plot marks each family


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "projnet.cli", *args]


def run_student(dataset: str, name: str, settings: list[str], seed: int, runs: Path, reuse: bool) -> dict:
    out = runs / f"{name}-s{seed}"
    args = ["train-and-export", "--dataset", dataset, "--seed", str(seed), *[a for s in settings for a in ("--set", s)]]
    if not (reuse and (out / "metrics.json").is_file()):
        # the run's own baselines are off: the front trains every baseline size itself, below
        subprocess.run(cli(*args, "--set", "export.baselines=false", "--out", str(out), "--overwrite", "--quiet"),
                       check=True, stdout=subprocess.DEVNULL)
    metrics = json.loads((out / "metrics.json").read_text())
    int8 = metrics["student_int8"]
    return {"kind": "student", "family": "patch", "name": name, "model": str(out / "student_int8.tflite"),
            "accuracy": int8["accuracy"], **graph_and_metadata_bytes(int8), "agreement": int8["agreement"],
            "bit_flip_rate": int8["bit_flip_rate"], "trainer_accuracy": metrics["trainer"]["accuracy"],
            "trainer_float_bytes": metrics["trainer_float"]["size_bytes"], "ops": sorted(set(int8["ops"])),
            "command": "projnet " + " ".join(args)}


def run_baseline(dataset: str, family: str, size: int, seed: int, runs: Path, reuse: bool) -> dict:
    out = runs / f"{family}_{size}-s{seed}"
    args = ["baseline", "--dataset", dataset, "--family", family, "--size", str(size), "--seed", str(seed)]
    if not (reuse and (out / "metrics.json").is_file()):
        subprocess.run(cli(*args, "--out", str(out), "--overwrite"), check=True, stdout=subprocess.DEVNULL)
    figures = json.loads((out / "metrics.json").read_text())["baseline"]
    return {"kind": "baseline", "family": family, "style": STYLE[family], "name": f"{family}_{size}",
            "model": str(out / "baseline_int8.tflite"), "accuracy": figures["accuracy"],
            "size_bytes": figures["size_bytes"], "agreement": figures["agreement"], "command": "projnet " + " ".join(args)}


def time_model(model: str, min_time: float) -> dict:
    from projnet.device_bench.local import bench_in_subprocess
    from projnet.device_bench.runner import BenchSettings

    bench = bench_in_subprocess(model, BenchSettings(threads=1, min_time_s=min_time, warmup_runs=50))
    return {"p50_us": bench["latency_us"]["p50"], "peak_rss_mb": bench["peak_rss_mb"], "runtime": bench["runtime"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=None, help="where the runs go [runs/front/<dataset>]")
    parser.add_argument("--students", default=",".join(STUDENTS), help="comma list of names from STUDENTS")
    parser.add_argument("--baselines", default=",".join(f"{f}_{s}" for f, s in BASELINES),
                        help="comma list of FAMILY_SIZE (mlp_64, cnn_16, ...)")
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds of timed invokes per model")
    parser.add_argument("--reuse", action="store_true", help="keep runs that already have metrics.json")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS_KB)), help="KB, comma list")
    parser.add_argument("--bars", default="64=0.885", help="accuracy bars per budget, e.g. 64=0.885")
    args = parser.parse_args()
    budgets = parse_budgets(parser, args.budgets)
    try:
        bars = {int(k): float(v) for k, v in (item.split("=") for item in args.bars.split(",") if item)}
        baselines = [(b.rsplit("_", 1)[0], int(b.rsplit("_", 1)[1])) for b in args.baselines.split(",") if b]
    except ValueError:
        parser.error("--bars takes KB=accuracy pairs (64=0.885), --baselines FAMILY_SIZE names (mlp_64)")
    seeds = [int(s) for s in args.seeds.split(",")]
    students = [s for s in args.students.split(",") if s]
    unknown = [s for s in students if s not in STUDENTS] + [f for f, _ in baselines if f not in STYLE]
    if unknown:
        parser.error(f"unknown students or baseline families {unknown}; students: {', '.join(STUDENTS)}; "
                     f"families: {', '.join(STYLE)}")
    runs = args.runs or Path("runs/front") / args.dataset
    started = time.time()
    runs_by_seed = run_every_seed(
        seeds, {name: STUDENTS[name] for name in students}, baselines,
        lambda name, settings, seed: run_student(args.dataset, name, settings, seed, runs, args.reuse),
        lambda family, size, seed: run_baseline(args.dataset, family, size, seed, runs, args.reuse), started)
    points = merge_seeds(runs_by_seed)
    for point in points:
        print(f"[{time.time() - started:6.0f} s] timing {point['name']}", flush=True)
        point.update(time_model(point.pop("model"), args.min_time))
    trainer_runs = [a for p in points if p["kind"] == "student" for a in p["trainer_accuracy_runs"]]
    result = {"dataset": args.dataset, "seeds": seeds, "budgets_kb": budgets,
              "latency_label": "p50 of one image, one thread, ai-edge-litert (us, log scale)",
              "trainer": {"accuracy": statistics.median(trainer_runs), "accuracy_runs": trainer_runs},
              "points": points, "budgets": budget_rows(points, budgets, bars),
              "by_family": family_rows(points, budgets, list(STYLE)), "seconds": round(time.time() - started)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    plot_front(result, args.plot)
    print_front(result)
    for row in result["by_family"]:
        leads = "  ".join(f"vs {f} {row[f] or '-'}: {row[f'student_lead_over_{f}_points']}" for f in STYLE)
        print(f"{row['budget_kb']:>5}KB {row['student'] or '-':24} {leads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
