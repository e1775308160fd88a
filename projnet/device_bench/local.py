"""Run the benchmark in a fresh Python process per model on this machine and read its JSON back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from projnet.device_bench.runner import BenchSettings
from projnet.errors import ProjnetError


def bench_in_subprocess(model_path: str | Path, settings: BenchSettings = BenchSettings(),
                        timeout_s: float = 600.0, input_npy: Path | None = None) -> dict:
    """A child process per model, so its peak RSS is that model's runtime, never the caller's TensorFlow."""
    from projnet.device_bench.payload import runner_arguments

    command = [sys.executable, "-m", "projnet.device_bench", *runner_arguments(str(model_path), settings)]
    if input_npy is not None:
        command += ["--input", str(input_npy)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        raise ProjnetError(f"benchmark of {model_path} did not finish within {timeout_s:.0f} s") from None
    return read_runner_result(done, str(model_path))


def read_runner_result(done: subprocess.CompletedProcess, model: str, where: str = "") -> dict:
    """The runner's one result from its JSON on stdout, or its failure as one line (`where` prefixes it)."""
    prefix = f"{where}: " if where else ""
    if done.returncode < 0:  # killed by a signal: the runtime crashed inside invoke()
        name = signal.Signals(-done.returncode).name
        raise ProjnetError(f"{prefix}the TFLite runtime crashed ({name}) running {model}; the model is damaged "
                           f"or needs an op this runtime lacks")
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.startswith("error: ")]
        reason = lines[-1][len("error: "):] if lines else (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProjnetError(prefix + reason)
    try:
        (result,) = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ProjnetError(f"{prefix}the runner printed no result for {model}") from None
    return result
