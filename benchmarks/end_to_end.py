"""End-to-end figures for the README: train-and-export with default settings on each data set.

    .venv/bin/python benchmarks/end_to_end.py [--datasets digits,fashion_mnist] [--seeds 0]
        [--json benchmarks/results/end_to_end.json]

Each (data set, seed) is one `projnet train-and-export` run in a run directory under
benchmarks/results/runs/; the table printed at the end (markdown) is what the README shows.
Seeds other than 0 vary `train.seed` and `projection.seed` together, to show the spread.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(dataset: str, seed: int, runs_dir: Path) -> dict:
    out = runs_dir / f"{dataset}-seed{seed}"
    command = [sys.executable, "-m", "projnet.cli", "train-and-export", "--dataset", dataset,
               "--out", str(out), "--overwrite", "--quiet"]
    if seed:
        command += ["--set", f"train.seed={seed}", "--set", f"projection.seed={seed + 1}"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["seed"], metrics["job_seconds"] = seed, round(time.perf_counter() - start, 1)
    return metrics


def markdown_row(m: dict) -> str:
    i8, fl, tr = m["student_int8"], m["student_float"], m["trainer_float"]
    return (f"| {m['dataset']} | {m['seed']} | {m['trainer']['accuracy']:.4f} | {m['student']['accuracy']:.4f} | "
            f"{i8['accuracy']:.4f} | {i8['agreement']:.4f} | {i8['size_bytes'] / 1024:.1f} KB | "
            f"{tr['size_bytes'] / 1024:.1f} KB | {m['size_ratio_int8_to_trainer']:.3f} | "
            f"{i8['latency_us']['p50']:.1f} / {fl['latency_us']['p50']:.1f} / {tr['latency_us']['p50']:.1f} | "
            f"{i8['peak_rss_mb']:.1f} | {i8['bit_flip_rate']:.3%} | {m['job_seconds']:.0f} s |")


HEADER = ("| data set | seed | trainer acc | student acc (Keras) | student int8 acc | int8 agreement | int8 size "
          "| trainer float size | size ratio | p50 us int8 / float / trainer | int8 peak RSS MB | int8 bit flips "
          "| job time |\n|" + "---|" * 13)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,fashion_mnist")
    parser.add_argument("--seeds", default="0", help="comma-separated, e.g. 0,1,2")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "end_to_end.json")
    args = parser.parse_args()
    results = [run_one(d, int(s), HERE / "results" / "runs")
               for d in args.datasets.split(",") for s in args.seeds.split(",")]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(HEADER)
    for m in results:
        print(markdown_row(m))


if __name__ == "__main__":
    main()
