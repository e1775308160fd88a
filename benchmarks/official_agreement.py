"""device_bench against LiteRT's official benchmark tool, on the same models, threads and machine.

    .venv/bin/python benchmarks/official_agreement.py MODEL.tflite [MODEL2 ...] [--rounds 3] [--threads 1]
        [--json benchmarks/results/official_agreement.json]

The two tools alternate, `--rounds` times each per model, so that machine noise hits both alike;
the median over rounds of each tool's median latency is compared. The official tool is
`python -m ai_edge_litert.tools.benchmark_litert_model` (it reports milliseconds with two
decimals, so models under about 0.5 ms are below its resolution: their ratio means little).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from projnet.device_bench.local import bench_in_subprocess
from projnet.device_bench.runner import BenchSettings

HERE = Path(__file__).resolve().parent


def official_median_us(model: Path, threads: int, runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "official.json"
        subprocess.run([sys.executable, "-m", "ai_edge_litert.tools.benchmark_litert_model", "--model", str(model),
                        "--num_threads", str(threads), "--num_runs", str(runs), "--warmup_runs", "50",
                        "--result_json", str(result)], check=True, capture_output=True)
        return json.loads(result.read_text())["latency"]["median_ms"] * 1000.0


def compare(model: Path, rounds: int, threads: int) -> dict:
    ours, official = [], []
    for _ in range(rounds):
        ours.append(bench_in_subprocess(model, BenchSettings(threads=threads, min_time_s=2.0))["latency_us"]["p50"])
        official.append(official_median_us(model, threads, runs=5000))
    ours_us, official_us = statistics.median(ours), statistics.median(official)
    return {"model": str(model), "threads": threads, "rounds": rounds, "device_bench_p50_us": ours_us,
            "official_median_us": official_us, "ratio": round(ours_us / official_us, 3),
            "official_resolves": official_us >= 500.0, "device_bench_rounds": ours, "official_rounds": official}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "official_agreement.json")
    args = parser.parse_args()
    results = [compare(m, args.rounds, args.threads) for m in args.models]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print("| model | device_bench p50 us | official median us | ratio |\n|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['device_bench_p50_us']:.1f} | {r['official_median_us']:.0f} | {r['ratio']:.2f} |")


if __name__ == "__main__":
    main()
