"""Where a benchmark runs (`--target`): this machine, or an Android device over adb.

Every target returns the same shape of result (model, size_bytes, runtime, threads, latency_us with
at least p50, peak_rss_mb or None, host) so that tables, JSON and plots treat them alike.
"""

from __future__ import annotations

from pathlib import Path

from projnet.device_bench.runner import BenchSettings
from projnet.errors import UsageError

TARGET_FORMS = "local, adb or adb:SERIAL"


def parse_target(target: str) -> tuple[str, str | None]:
    """("local", None), ("adb", None) or ("adb", serial); anything else is a usage error."""
    kind, _, detail = target.partition(":")
    if kind == "local" and not detail:
        return "local", None
    if kind == "adb":
        return "adb", detail or None
    raise UsageError(f"unknown --target {target!r}; expected {TARGET_FORMS}")


def bench_on_target(model: Path, target: str, settings: BenchSettings,
                    benchmark_binary: Path | None = None) -> dict:
    kind, serial = parse_target(target)
    if kind == "local":
        from projnet.device_bench.local import bench_in_subprocess

        return bench_in_subprocess(model, settings)
    if benchmark_binary is None:
        raise UsageError("--target adb needs --benchmark-binary PATH (the official benchmark_model for the phone)")
    from projnet.device_bench.adb_target import bench_on_adb

    result = bench_on_adb(model, benchmark_binary, serial, settings.threads)
    peak = result["benchmark_model"].get("peak_memory_mb")
    return {**result, "runtime": f"benchmark_model ({result['target']})", "peak_rss_mb": peak,
            "host": {"machine": result["target"]}}
