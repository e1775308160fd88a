"""`--target qemu-aarch64`: run the runner on the Raspberry Pi's instruction set, under user-mode QEMU.

The arm64 Python is Debian bookworm's (what 64-bit Raspberry Pi OS ships) and the runtime the
aarch64 ai-edge-litert wheel, both from build_aarch64_sysroot.sh, cached under `--qemu-root`. This
proves the model loads and computes the same classes on that ISA and runtime; its timings are
emulation's, several times a Pi's, so results carry `"emulated": true` and say so wherever shown.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from projnet.device_bench.local import read_runner_result
from projnet.device_bench.payload import runner_arguments, runner_tarball
from projnet.device_bench.runner import BenchSettings
from projnet.errors import ProjnetError

BUILD_SCRIPT = Path(__file__).with_name("build_aarch64_sysroot.sh")
# QEMU's default `max` CPU computes wrong int8 results with this runtime (SME kernels); a Pi 4's
# Cortex-A72 is exact and is the board being modelled.
QEMU_CPU = "cortex-a72"
TARGET_NAME = "qemu-aarch64"


def default_qemu_root() -> Path:
    return Path(os.environ.get("PROJNET_QEMU_ROOT") or Path.home() / ".cache" / "projnet" / "qemu-aarch64")


def ensure_sysroot(root: Path, python: str = "python3", timeout_s: float = 900.0) -> Path:
    """Build the sysroot under `root` unless a complete one is there; returns `root`."""
    if (root / "READY").is_file():
        return root
    _preflight(root)
    print(f"building the arm64 sysroot in {root} (once; 1-2 minutes, ~300 MB)", file=sys.stderr)
    try:
        done = subprocess.run(["bash", str(BUILD_SCRIPT), str(root), python], timeout=timeout_s,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except subprocess.TimeoutExpired:
        raise ProjnetError(f"building the arm64 sysroot in {root} took over {timeout_s:.0f} s") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        errors = [line for line in lines if line.startswith("error: ")]
        reason = errors[-1][len("error: "):] if errors else lines[-1]
        raise ProjnetError(f"cannot build the arm64 sysroot in {root}: {reason}")
    return root


def _preflight(root: Path) -> None:
    """The build script's requirements, checked first so that a refusal is one line and costs nothing."""
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    tools = shutil.which("qemu-aarch64-static") and shutil.which("debootstrap")
    if shutil.which("bash") is None or not (tools or can_install):
        raise ProjnetError(f"cannot build the arm64 sysroot in {root}: the qemu-aarch64 target needs "
                           f"qemu-user-static and debootstrap: sudo apt-get install qemu-user-static debootstrap")
    if os.geteuid() != 0:
        raise ProjnetError(f"cannot build the arm64 sysroot in {root}: debootstrap needs root; build it once "
                           f"as root (sudo projnet bench ... --target qemu-aarch64) or pass --qemu-root to a built one")


def qemu_binary() -> str:
    binary = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if binary is None:
        raise ProjnetError("--target qemu-aarch64 needs user-mode QEMU: apt-get install qemu-user-static")
    return binary


def bench_under_qemu(model: Path, settings: BenchSettings, root: Path | None = None,
                     timeout_s: float = 900.0) -> dict:
    """Benchmark `model` with the arm64 Python and runtime; the result says it was emulated."""
    root = ensure_sysroot(root or default_qemu_root())
    sysroot = root / "sysroot"
    python = sysroot / "usr" / "bin" / "python3"
    archive, inside = runner_tarball(Path(model))
    with tempfile.TemporaryDirectory(prefix="projnet-qemu-") as work:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(work, filter="data")
        command = [qemu_binary(), "-L", str(sysroot), str(python), "-m", "projnet.device_bench",
                   *runner_arguments(inside, settings)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "QEMU_CPU": QEMU_CPU, "LANG": "C.UTF-8",
               "PYTHONPATH": f"{work}:{root / 'site'}", "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise ProjnetError(f"{TARGET_NAME}: the benchmark of {model} did not finish within "
                               f"{timeout_s:.0f} s") from None
    result = read_runner_result(done, str(model), where=TARGET_NAME)
    return {**result, "model": str(model), "target": TARGET_NAME, "emulated": True,
            "runtime": f"{result['runtime']} (aarch64, emulated by QEMU {QEMU_CPU})"}
