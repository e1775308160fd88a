"""Benchmark .tflite models with numpy and a TFLite runtime only.

    python -m projnet.device_bench MODEL.tflite [--threads 1] [--min-time 1.0] [--json out.json|-]

With `--json -` the figures go to stdout as one JSON document (what `projnet bench` reads back).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from projnet.device_bench.runner import BenchSettings, run_benchmark
from projnet.errors import ProjnetError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m projnet.device_bench", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".tflite files")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds of timed runs, at least")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-xnnpack", action="store_true", help="builtin kernels only, no default delegate")
    parser.add_argument("--input", default=None, help=".npy holding the input (default: random)")
    parser.add_argument("--json", default=None, help="write results to this file ('-' for stdout)")
    args = parser.parse_args(argv)
    settings = BenchSettings(threads=args.threads, min_time_s=args.min_time, warmup_runs=args.warmup,
                             use_xnnpack=not args.no_xnnpack)
    try:
        results = [run_benchmark(m, settings, args.input) for m in args.models]
    except ProjnetError as exc:
        if os.environ.get("PROJNET_DEBUG") == "1":
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json == "-":
        json.dump(results, sys.stdout)
        sys.stdout.write("\n")
    else:
        if args.json:
            from projnet.atomic_io import atomic_write_json

            atomic_write_json(args.json, results)
        for r in results:
            lat = r["latency_us"]
            print(f"{r['model']}: p50 {lat['p50']} us  p90 {lat['p90']} us  p99 {lat['p99']} us  "
                  f"peak RSS {r['peak_rss_mb']} MB  ({r['runtime']}, {r['threads']} thread(s), {r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
