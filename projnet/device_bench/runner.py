"""The benchmark itself: load, warm up, time invocations for a minimum time, report percentiles.

Meant to run in a process of its own (see `local.py`), so that peak RSS is the runtime's, the
model's and numpy's, not the trainer's.
"""

from __future__ import annotations

import array
import os
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from projnet.device_bench.expected_outputs import check_expected
from projnet.device_bench.model_file import read_model
from projnet.device_bench.runtime import make_interpreter
from projnet.errors import ProjnetError


@dataclass
class BenchSettings:
    threads: int = 1
    min_time_s: float = 1.0
    warmup_runs: int = 20
    min_runs: int = 50  # percentiles of fewer runs mean little
    use_xnnpack: bool = True
    seed: int = 0


MAX_LATENCY_SAMPLES = 100_000  # 800 KB of doubles: the percentiles' sample, however many runs there are


class LatencySample:
    """The times of every `stride`-th timed run, the stride doubling (and every other kept time
    dropped) whenever the sample fills, so memory stays under MAX_LATENCY_SAMPLES doubles however fast
    the model is, and the sample stays spread evenly over the whole timed period. Keeping every
    time instead grew the digits student's runner by about 4 MB per second of 1.4 us runs: 65 MB
    peak RSS with --min-time 4, over the 60 MB budget."""

    def __init__(self, capacity: int = MAX_LATENCY_SAMPLES):
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity, self.stride, self.count = capacity, 1, 0
        self.values = array.array("d")

    def add(self, seconds: float) -> None:
        if self.count % self.stride == 0:  # kept: exactly the runs whose index is a multiple of stride
            self.values.append(seconds)
            if len(self.values) == self.capacity:
                self.values, self.stride = self.values[::2], self.stride * 2
        self.count += 1


def peak_rss_mb() -> float:
    """This process's high-water RSS. On Linux from VmHWM: ru_maxrss survives exec, so a child would
    report the peak of the (TensorFlow-sized) parent that forked it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def random_input(detail: dict, rng: np.random.Generator) -> np.ndarray:
    """Random values over the whole range of the input's dtype (or [0, 1) for floats)."""
    shape, dtype = tuple(int(s) for s in detail["shape"]), np.dtype(detail["dtype"])
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.random(shape).astype(dtype)


def load_inputs(detail: dict, npy_path: str | None, rng: np.random.Generator) -> np.ndarray:
    if npy_path is None:
        return random_input(detail, rng)
    try:
        array = np.load(npy_path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ProjnetError(f"cannot read input {npy_path}: {exc}") from None
    shape, dtype = tuple(int(s) for s in detail["shape"]), np.dtype(detail["dtype"])
    if array.dtype != dtype or tuple(array.shape) != shape:
        raise ProjnetError(f"input {npy_path} is {array.dtype}{list(array.shape)}; "
                           f"the model expects {dtype}{list(shape)}")
    return array


def percentiles_us(seconds) -> dict[str, float]:
    us = np.asarray(seconds, dtype=np.float64) * 1e6
    return {"p50": round(float(np.percentile(us, 50)), 2), "p90": round(float(np.percentile(us, 90)), 2),
            "p99": round(float(np.percentile(us, 99)), 2), "mean": round(float(us.mean()), 2)}


def run_benchmark(model_path: str | Path, settings: BenchSettings = BenchSettings(),
                  input_npy: str | None = None, expected_npz: str | Path | None = None) -> dict:
    """Benchmark one model in this process; returns plain JSON-able figures.

    With `expected_npz` (see expected_outputs.py), the shipped inputs are run afterwards and the
    outputs compared with the ones recorded at export; the peak RSS is read before that.
    """
    baseline_rss = current_rss_mb()
    data = read_model(model_path)
    start = time.perf_counter()
    runtime, interpreter = make_interpreter(data, settings.threads, settings.use_xnnpack)
    init_s = time.perf_counter() - start
    inputs = interpreter.get_input_details()
    rng = np.random.default_rng(settings.seed)
    for detail in inputs:
        interpreter.set_tensor(detail["index"], load_inputs(detail, input_npy, rng))

    start = time.perf_counter()
    interpreter.invoke()
    first_s = time.perf_counter() - start
    for _ in range(settings.warmup_runs):
        interpreter.invoke()
    timings = LatencySample()
    deadline = time.perf_counter() + settings.min_time_s
    while timings.count < settings.min_runs or time.perf_counter() < deadline:
        start = time.perf_counter()
        interpreter.invoke()
        timings.add(time.perf_counter() - start)
    peak = peak_rss_mb()
    result = {
        "model": str(model_path), "size_bytes": len(data), "runtime": runtime,
        "threads": settings.threads, "xnnpack": settings.use_xnnpack,
        "init_ms": round(init_s * 1e3, 3), "first_inference_us": round(first_s * 1e6, 2),
        "warmup_runs": settings.warmup_runs, "runs": timings.count,
        "latency_samples": len(timings.values), "latency_us": percentiles_us(timings.values),
        "peak_rss_mb": round(peak, 2), "rss_growth_mb": round(peak - baseline_rss, 2),
        "host": {"machine": platform.machine(), "system": platform.system(), "python": platform.python_version()},
        "settings": asdict(settings),
    }
    if expected_npz is not None:
        result["expected_check"] = check_expected(interpreter, expected_npz)
    return result
