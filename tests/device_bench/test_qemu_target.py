"""`--target qemu-aarch64`: the digits student on the Raspberry Pi's ISA and runtime, under QEMU.

Builds the arm64 sysroot with the project's own script when the cache has none (about a minute,
needs root, the Debian mirror and PyPI), so it is a slow case; CI runs it.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.device_bench.qemu_target import default_qemu_root
from tests.helpers import one_line_error, require_system_dependency

runner = CliRunner()


def tools_present() -> bool:
    return bool(shutil.which("qemu-aarch64-static") and shutil.which("debootstrap"))


@pytest.mark.slow
def test_aarch64_runtime_gives_the_same_class_as_x86_on_1000_inputs(digits_run, tmp_path):
    if not (default_qemu_root() / "READY").is_file():
        require_system_dependency(tools_present() and os.geteuid() == 0,
                                  "qemu-user-static and debootstrap (and root) are needed to build the arm64 sysroot")
    model = digits_run / "student_int8.tflite"
    result = runner.invoke(app, ["bench", str(model), "--target", "qemu-aarch64", "--min-time", "0.2",
                                 "--warmup", "5", "--json", str(tmp_path / "qemu.json")])
    assert result.exit_code == 0, result.output
    (r,) = json.loads((tmp_path / "qemu.json").read_text())
    assert r["host"]["machine"] == "aarch64" and r["emulated"] is True
    assert r["runtime"].startswith("ai_edge_litert (aarch64, emulated")
    check = r["expected_check"]  # the 1,000 rows export ran on x86, run again on arm64
    assert check["rows"] == 1000 and check["argmax_match"] == 1.0
    # the int8 kernels agree to the last unit on almost every row: the softmax of 3 rows in 1,000 differs by one
    # unit (1/256) between x86 and arm64 kernels (measured), within the tie tolerance
    assert check["exact_rows"] >= 990 and check["max_abs_diff"] <= 1 / 256 + 1e-9, check
    assert "EMULATED" in result.stdout


def test_unbuildable_sysroot_is_one_line(digits_run, tmp_path, monkeypatch):
    """No tools and no apt to install them: refused in one line, exit 1, nothing built."""
    (tmp_path / "empty-bin").mkdir()
    os.symlink(shutil.which("bash"), tmp_path / "empty-bin" / "bash")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # neither qemu nor debootstrap nor apt-get
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), "--target", "qemu-aarch64",
                                 "--qemu-root", str(tmp_path / "root")])
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "cannot build the arm64 sysroot" in line and "qemu-user-static" in line
    assert not (tmp_path / "root").exists()
