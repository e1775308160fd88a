"""Benchmark a .tflite on an Android device over adb with TensorFlow Lite's own `benchmark_model`.

The phone runs the official C++ tool (tensorflow/lite/tools/benchmark); this host only pushes the
files, starts the tool and parses what it prints. Nothing here imports TensorFlow or a TFLite runtime.
"""

from __future__ import annotations

import math
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from projnet.device_bench.model_file import read_model
from projnet.errors import ProjnetError

REMOTE_DIR = "/data/local/tmp"  # the one directory adb shell may write to and execute from
REMOTE_BINARY = f"{REMOTE_DIR}/benchmark_model"
BINARY_HINT = ("download the prebuilt benchmark_model for android_aarch64 from the TensorFlow Lite / LiteRT "
               "releases and pass it with --benchmark-binary")

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
# The summary line of current tools, printed once the timed runs are done. (TF 1.x tools printed
# "Average inference timings in us: Warmup: .., Init: .., no stats: .." instead; that is not read.)
_TIMINGS = re.compile(rf"Inference timings in us: Init: ({_NUM}), First inference: ({_NUM}), "
                      rf"Warmup \(avg\): ({_NUM}), Inference \(avg\): ({_NUM})")
# "count=50 first=.. curr=.. min=.. max=.. avg=.. std=.." and, in newer builds, "p5=.. median=.. p95=..";
# a run whose timings were all equal prints just "count=N curr=X". A log tag may precede it ("INFO: ",
# logcat's "I tflite  : "). The op profiler's "Timings (microseconds): count=.." and "Memory (bytes):
# count=.." lines look alike but are the profiler's own totals, not run statistics.
_STATS = re.compile(r"^(?!.*\((?:microseconds|bytes)\): count=).*?\bcount=(\d+)((?:\s+\w+=\S+)*)")
_PAIR = re.compile(rf"(\w+)=({_NUM})")
# Tools from around TF 2.3 (2020) said "Peak memory footprint (MB)" for the same two figures.
_MEMORY = re.compile(rf"(?:Memory footprint delta from the start of the tool|Peak memory footprint) \(MB\): "
                     rf"init=({_NUM}) overall=({_NUM})")
_PEAK = re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring: ({_NUM})")
_THREADS = re.compile(r"(?:^|\s)(?:Num threads|#threads used for CPU inference): \[(-?\d+)\]")


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None  # JSON has no NaN; a missing figure is absent instead


def _stats(fields: str) -> dict[str, float]:
    return {key: value for key, text in _PAIR.findall(fields) if (value := _finite(text)) is not None}


def parse_benchmark_model_output(text: str) -> dict:
    """The figures `benchmark_model` printed, in microseconds (memory in MB); absent when not printed.

    When the text holds several benchmarks (a logcat with earlier runs), the last one counts.
    """
    lines = text.replace("\r", "").splitlines()
    result: dict | None = None
    pending: list[tuple[int, str]] = []  # run-statistics lines since the last summary
    start = end = 0  # the last benchmark's lines: after the summary before it, up to the next one
    for index, line in enumerate(lines):
        if match := _STATS.search(line):
            pending.append((int(match[1]), match[2]))
        elif match := _TIMINGS.search(line):
            values = [_finite(v) for v in match.groups()]
            result = {key: v for key, v in zip(("init_us", "first_inference_us", "warmup_avg_us",
                                                "inference_avg_us"), values) if v is not None}
            # The tool prints the warm-up runs' statistics, then the timed runs', then this summary.
            if pending:
                *earlier, (count, fields) = pending
                result["run_count"], result["run_stats_us"] = count, _stats(fields)
                if earlier:
                    result["warmup_count"], result["warmup_stats_us"] = earlier[-1][0], _stats(earlier[-1][1])
            pending, start, end = [], end, index + 1
    if result is None:
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        raise ProjnetError(f"benchmark_model printed no inference timings; its last line was: {last[:200]!r}"
                           if last else "benchmark_model printed nothing")
    for line in lines[start:end]:  # the settings echo precedes the summary
        if match := _THREADS.search(line):
            result["threads"] = int(match[1])  # "#threads used for CPU inference" follows "Num threads"
    for line in lines[end:]:  # the memory figures follow it
        if match := _MEMORY.search(line):
            result["memory_init_mb"], result["memory_overall_mb"] = float(match[1]), float(match[2])
        elif match := _PEAK.search(line):
            result["peak_memory_mb"] = float(match[1])
    return result


def _adb(adb: str, serial: str | None, args: list[str], timeout_s: float) -> str:
    """Run one adb command; its stdout and stderr together (benchmark_model logs to stderr)."""
    command = [adb, *(["-s", serial] if serial else []), *args]
    shown = " ".join(command[:4]) + (" ..." if len(command) > 4 else "")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise ProjnetError(f"{shown} did not answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise ProjnetError(f"cannot run {adb}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1].strip()
        raise ProjnetError(f"{shown} failed (exit code {done.returncode}): {tail}")
    return done.stdout + done.stderr


def bench_on_adb(model_path: str | Path, benchmark_binary: str | Path, serial: str | None = None,
                 threads: int = 1, timeout_s: float = 300.0, adb: str = "adb") -> dict:
    """Push the model and `benchmark_model` to the device, run it there, and return parsed figures."""
    if shutil.which(adb) is None:
        raise ProjnetError(f"adb not found: install Android platform-tools and put {adb} on PATH")
    binary = Path(benchmark_binary)
    if not binary.is_file():
        raise ProjnetError(f"benchmark binary not found: {binary}; {BINARY_HINT}")
    model = Path(model_path)
    size = len(read_model(model))  # a missing or non-TFLite file fails here, before any device time
    remote_model = f"{REMOTE_DIR}/{model.name}"
    _adb(adb, serial, ["push", str(model), remote_model], timeout_s)
    _adb(adb, serial, ["push", str(binary), REMOTE_BINARY], timeout_s)
    _adb(adb, serial, ["shell", "chmod", "+x", REMOTE_BINARY], timeout_s)
    # adb shell hands its arguments to the device's shell as one line, so quote what we do not control.
    output = _adb(adb, serial, ["shell", REMOTE_BINARY, f"--graph={shlex.quote(remote_model)}",
                                f"--num_threads={int(threads)}"], timeout_s)
    figures = parse_benchmark_model_output(output)
    stats = figures.get("run_stats_us", {})
    source = "median" if "median" in stats else "avg"
    if source == "avg" and "inference_avg_us" not in figures:
        raise ProjnetError("benchmark_model finished without timing a single run")
    latency = {"p50": stats["median"] if source == "median" else figures["inference_avg_us"]}
    latency.update({k: stats[k] for k in ("p5", "p95", "min", "max", "std") if k in stats})
    if "inference_avg_us" in figures:
        latency["mean"] = figures["inference_avg_us"]
    return {"target": f"adb:{serial}" if serial else "adb", "model": str(model), "size_bytes": size,
            "threads": threads, "latency_us": latency, "latency_source": source, "benchmark_model": figures}
