"""The text figures for the README: BANKING77 trained and exported, then featurize + infer timed without TensorFlow.

    .venv/bin/python benchmarks/text_end_to_end.py [--seed 0] [--run-dir runs/banking77-text] [--reuse]
        [--min-time 5] [--json benchmarks/results/text_end_to_end.json]

1. `projnet train-and-export --dataset banking77` with default settings into --run-dir (--reuse keeps
   an existing run there; --seed N other than 0 passes `--seed N`, which sets train.seed and
   projection.seed, and names the defaults runs/banking77-text-seedN and text_end_to_end_seedN.json);
2. `python -m projnet.device_bench.text_bench` in a fresh process (numpy + ai-edge-litert, never
   TensorFlow): every BANKING77 test text through the reference featurizer and student_int8.tflite,
   one text per invoke, one thread;
3. the must-show checks of the text issue, printed as a table and written to --json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_SIZE_BYTES = 256 * 1024


def train(run_dir: Path, seed: int) -> None:
    seed_args = ["--seed", str(seed)] if seed else []
    subprocess.run([sys.executable, "-m", "projnet.cli", "train-and-export", "--dataset", "banking77",
                    "--out", str(run_dir), "--overwrite", "--quiet", *seed_args], check=True, stdout=subprocess.DEVNULL)


def text_bench(model: Path, test_csv: Path, min_time: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench.text_bench", str(model), str(test_csv),
                           "--min-time", str(min_time)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def must_show(metrics: dict, bench: dict) -> dict[str, tuple[str, bool]]:
    int8, parity = metrics["student_int8"], metrics["featurizer_parity"]
    p50 = bench["latency_us"]["featurize_and_infer"]["p50"]
    return {
        "trainer accuracy >= 0.88": (f"{metrics['trainer']['accuracy']:.4f}", metrics["trainer"]["accuracy"] >= 0.88),
        "student int8 accuracy >= 0.84": (f"{int8['accuracy']:.4f}", int8["accuracy"] >= 0.84),
        "student int8 .tflite <= 256 KB": (f"{int8['size_bytes'] / 1024:.1f} KB", int8["size_bytes"] <= MAX_SIZE_BYTES),
        "identical ids, training vs reference featurizer": (
            f"{parity['identical_rows']} / {parity['rows']} rows", parity["identical_rows"] == parity["rows"]),
        ".tflite top-1 = Keras top-1 on >= 99%": (f"{int8['agreement']:.4f}", int8["agreement"] >= 0.99),
        "p50 featurize + infer <= 1 ms (1 thread)": (f"{p50:.0f} us", p50 <= 1000),
        "no TensorFlow in the benchmark process": (str(not bench["tensorflow_imported"]), not bench["tensorflow_imported"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", type=Path, default=None, help="[default: runs/banking77-text, -seedN]")
    parser.add_argument("--reuse", action="store_true", help="use the run already in --run-dir")
    parser.add_argument("--min-time", type=float, default=5.0, help="seconds of timed texts")
    parser.add_argument("--json", type=Path, default=None, help="[default: benchmarks/results/text_end_to_end.json]")
    args = parser.parse_args()
    suffix = f"-seed{args.seed}" if args.seed else ""
    args.run_dir = args.run_dir or Path("runs") / f"banking77-text{suffix}"
    args.json = args.json or HERE / "results" / f"text_end_to_end{suffix.replace('-', '_')}.json"
    if not (args.reuse and (args.run_dir / "metrics.json").is_file()):
        train(args.run_dir, args.seed)
    metrics = json.loads((args.run_dir / "metrics.json").read_text())
    from projnet.config_settings import config_from_toml
    from projnet.data.text_csv import locate_banking77

    test_csv = Path(locate_banking77(config_from_toml(args.run_dir / "config.toml").data)) / "test.csv"
    bench = text_bench(args.run_dir / "student_int8.tflite", test_csv, args.min_time)
    checks = must_show(metrics, bench)
    result = {"metrics": metrics, "text_bench": bench,
              "must_show": {name: {"value": value, "met": met} for name, (value, met) in checks.items()}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print("| must show | measured | met |\n|---|---|---|")
    for name, (value, met) in checks.items():
        print(f"| {name} | {value} | {'yes' if met else 'NO'} |")
    lat = bench["latency_us"]
    print(f"\nend-to-end accuracy on raw test texts: {bench['accuracy']:.4f}; p50 featurize "
          f"{lat['featurize']['p50']:.0f} us + infer {lat['infer']['p50']:.0f} us; p99 both "
          f"{lat['featurize_and_infer']['p99']:.0f} us; peak RSS {bench['peak_rss_mb']:.1f} MB ({bench['runtime']})")


if __name__ == "__main__":
    main()
