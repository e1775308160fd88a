"""The runner as a tarball: the few files `python -m projnet.device_bench` needs, plus the models.

A remote or emulated target gets this archive, unpacks it into a temporary directory and runs the
runner from there with PYTHONPATH pointing at it: nothing of projnet is installed on the target,
and only numpy and a TFLite runtime must be.
"""

from __future__ import annotations

import io
import shlex
import tarfile
from pathlib import Path

import projnet
from projnet.device_bench.expected_outputs import expected_path
from projnet.device_bench.runner import BenchSettings

PACKAGE_DIR = Path(projnet.__file__).resolve().parent
RUNNER_FILES = (  # everything `python -m projnet.device_bench` imports, and nothing else
    "__init__.py", "errors.py", "atomic_io.py", "fd_redirect.py",
    "device_bench/__init__.py", "device_bench/__main__.py", "device_bench/runner.py",
    "device_bench/runtime.py", "device_bench/model_file.py", "device_bench/expected_outputs.py",
    "device_bench/flatbuffer_reader.py", "device_bench/tflite_enums.py",  # a too-new model's min_runtime_version
)
MODEL_DIR = "models"


def runner_tarball(model: Path) -> tuple[bytes, str]:
    """(tar bytes, the model's path inside the archive); MODEL.expected.npz travels with it when present."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in RUNNER_FILES:
            tar.add(PACKAGE_DIR / name, arcname=f"projnet/{name}")
        inside = f"{MODEL_DIR}/{model.name}"
        tar.add(model, arcname=inside)
        expected = expected_path(model)
        if expected.is_file():
            tar.add(expected, arcname=expected_path(inside).as_posix())
    return buffer.getvalue(), inside


def runner_arguments(model_inside: str, settings: BenchSettings) -> list[str]:
    """The runner's command line after `python -m projnet.device_bench`, JSON on stdout."""
    args = [model_inside, "--threads", str(settings.threads), "--min-time", str(settings.min_time_s),
            "--warmup", str(settings.warmup_runs), "--json", "-"]
    return args + ([] if settings.use_xnnpack else ["--no-xnnpack"])


def unpack_and_run_script(python: str, model_inside: str, settings: BenchSettings) -> str:
    """A POSIX sh script: unpack the tarball from stdin into a temporary directory, run, clean up."""
    runner = " ".join(shlex.quote(a) for a in [python, "-m", "projnet.device_bench",
                                                 *runner_arguments(model_inside, settings)])
    return ('d=$(mktemp -d) || exit 70; trap \'rm -rf "$d"\' EXIT; '
            'tar -xf - -C "$d" || exit 71; cd "$d" && PYTHONPATH="$d" ' + runner)
