"""Where the runner's memory goes: peak RSS of bare Python, + numpy, + the runtime, + a benchmark run.

    .venv/bin/python benchmarks/runner_memory.py RUN_DIR/student_int8.tflite [--repeats 5] [--min-time 1 5]
        [--json benchmarks/results/runner_memory.json]

Each figure is the VmHWM (high-water RSS) of a fresh `python -c` process, so nothing the caller
imported is counted; the last one is `python -m projnet.device_bench` itself, which is what a
Raspberry Pi runs, once per `--min-time` (the runner keeps a bounded sample of its timings, so a longer
run must not raise it). Medians over `--repeats` processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
READ_PEAK = "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
STEPS = {
    "python": "",
    "python + numpy": "import numpy",
    "python + numpy + ai_edge_litert": "import numpy, ai_edge_litert.interpreter",
}


def peak_kb(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", f"{code}\n{READ_PEAK}"], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def runner_peak_mb(model: Path, min_time: float) -> float:
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench", str(model), "--min-time", str(min_time),
                           "--json", "-"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])[0]["peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-time", type=float, nargs="+", default=[1.0], help="seconds of timed runs")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "runner_memory.json")
    args = parser.parse_args()
    figures = {name: round(statistics.median(peak_kb(code) for _ in range(args.repeats)) / 1024, 1)
               for name, code in STEPS.items()}
    for min_time in args.min_time:
        figures[f"python -m projnet.device_bench (load, warm-up, {min_time:g} s of runs)"] = round(
            statistics.median(runner_peak_mb(args.model, min_time) for _ in range(args.repeats)), 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"model": str(args.model), "peak_rss_mb": figures}, indent=2) + "\n")
    print("| process | peak RSS (MB) |\n|---|---|")
    for name, mb in figures.items():
        print(f"| {name} | {mb} |")


if __name__ == "__main__":
    main()
