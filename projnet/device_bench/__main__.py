"""Benchmark .tflite models with numpy and a TFLite runtime only.

    python -m projnet.device_bench MODEL.tflite [--threads 1] [--min-time 1.0] [--json out.json|-]

With `--json -` the figures go to stdout as one JSON document (what `projnet bench` reads back).
When MODEL.expected.npz lies beside the model (export writes it), its inputs are run too and the
outputs checked against the ones recorded at export; a row whose argmax differs fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from projnet.device_bench.expected_outputs import expected_path
from projnet.device_bench.runner import BenchSettings, run_benchmark
from projnet.errors import ProjnetError, UsageError


class _OneLineParser(argparse.ArgumentParser):
    """argparse's errors as a UsageError: one `error:` line and exit code 2, like `projnet`'s."""

    def error(self, message: str):
        raise UsageError(f"{message} (python -m projnet.device_bench -h for usage)")


def main(argv: list[str] | None = None) -> int:
    parser = _OneLineParser(prog="python -m projnet.device_bench", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".tflite files")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds of timed runs, at least")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-xnnpack", action="store_true", help="builtin kernels only, no default delegate")
    parser.add_argument("--input", default=None, help=".npy holding the input (default: random)")
    parser.add_argument("--json", default=None, help="write results to this file ('-' for stdout)")
    parser.add_argument("--no-check", action="store_true", help="skip MODEL.expected.npz even when present")
    try:
        args = parser.parse_args(argv)
        _check_ranges(args)
        settings = BenchSettings(threads=args.threads, min_time_s=args.min_time, warmup_runs=args.warmup,
                                 use_xnnpack=not args.no_xnnpack)
        results = [run_benchmark(m, settings, args.input, _expected_for(m, args.no_check)) for m in args.models]
        _write(results, args.json)
    except ProjnetError as exc:
        return _fail(exc)
    failed = [r for r in results if not r.get("expected_check", {"passed": True})["passed"]]
    if failed:
        return _fail(ProjnetError(mismatch_message(failed[0])))
    return 0


def _check_ranges(args: argparse.Namespace) -> None:
    """The same bounds as `projnet bench`, so a bad value is a usage error, not the runtime's."""
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    if not 0.01 <= args.min_time < float("inf"):  # also refuses nan
        raise UsageError(f"--min-time must be at least 0.01 s, got {args.min_time}")
    if args.warmup < 0:
        raise UsageError(f"--warmup must be at least 0, got {args.warmup}")


def _write(results: list[dict], json_out: str | None) -> None:
    if json_out == "-":
        json.dump(results, sys.stdout)
        sys.stdout.write("\n")
        return
    if json_out:
        from projnet.atomic_io import atomic_write_json

        atomic_write_json(json_out, results)
    for r in results:
        lat = r["latency_us"]
        print(f"{r['model']}: p50 {lat['p50']} us  p90 {lat['p90']} us  p99 {lat['p99']} us  "
              f"peak RSS {r['peak_rss_mb']} MB  ({r['runtime']}, {r['threads']} thread(s), {r['runs']} runs)")


def _expected_for(model: str, skip: bool) -> str | None:
    path = expected_path(model)
    return None if skip or not path.is_file() else str(path)


def mismatch_message(result: dict) -> str:
    check = result["expected_check"]
    wrong = round((1 - check["argmax_match"]) * check["rows"]) - check.get("tied_rows", 0)
    return (f"{result['model']}: {wrong} of {check['rows']} inputs give a different class here than at export, "
            f"where it was not a near tie{' (more than 1% of a dynamic-range model)' if check.get('hybrid') else ''} "
            f"({result['runtime']} on {result['host']['machine']})")


def _fail(exc: ProjnetError) -> int:
    if os.environ.get("PROJNET_DEBUG") == "1":
        raise exc
    print(f"error: {exc}", file=sys.stderr)
    return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
